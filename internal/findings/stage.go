package findings

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// An import first copies its report's findings into a temporary table of
// its transaction, staged, as it parses the report: nothing is locked yet,
// and a report that breaks halfway leaves nothing behind. Each staged row
// is a finding ready to store (bounded, hashed, dated), in report order
// (ord), with its repeat key (Finding.RepeatKey) and, for a reimport, the
// finding of the test it matches.
const createStaged = `
	CREATE TEMPORARY TABLE staged (
		ord integer PRIMARY KEY, repeat_key text, repeat_separator text NOT NULL, matched integer,
		title text NOT NULL, date date NOT NULL, cwe integer NOT NULL, severity text NOT NULL,
		description text NOT NULL, mitigation text NOT NULL, impact text NOT NULL, "references" text NOT NULL,
		active boolean NOT NULL, verified boolean NOT NULL, false_p boolean NOT NULL, is_mitigated boolean NOT NULL,
		mitigated timestamptz, hash_code text NOT NULL, line integer, file_path text, component_name text,
		component_version text, static_finding boolean NOT NULL, dynamic_finding boolean NOT NULL,
		unique_id_from_tool text, vuln_id_from_tool text, vulnerability_ids text[] NOT NULL,
		nb_occurences integer NOT NULL, service text, tags text[] NOT NULL,
		validity text, validity_checked_at timestamptz, validity_owner text, validity_scopes text[], revocation jsonb
	) ON COMMIT DROP`

// stagedColumns are the columns of findings that staged rows carry.
var stagedColumns = []string{
	"title", "date", "cwe", "severity", "description", "mitigation", "impact",
	"references", "active", "verified", "false_p", "is_mitigated", "mitigated", "hash_code",
	"line", "file_path", "component_name", "component_version",
	"static_finding", "dynamic_finding", "unique_id_from_tool", "vuln_id_from_tool",
	"vulnerability_ids", "nb_occurences", "service", "tags",
	"validity", "validity_checked_at", "validity_owner", "validity_scopes", "revocation",
}

// analyzeStagedAfter is how many staged rows make the import analyze the
// staging table, so that the statements reading it are planned on its
// real size and number of distinct hash codes.
const analyzeStagedAfter = 1000

// stage creates the staging table and copies into it, in one COPY, the
// findings of src as they are read: those below MinimumSeverity dropped,
// the rest bounded, hashed and dated; then it merges the repeats.
func stage(ctx context.Context, tx pgx.Tx, opt ImportOptions, src Source) error {
	if _, err := tx.Exec(ctx, createStaged); err != nil {
		return fmt.Errorf("creating the staging table: %w", err)
	}
	prep := newPreparer(opt)
	next, stop := pull(src)
	defer stop()
	// pgx reads rows on a goroutine of its own and turns their error into
	// the server's "COPY from stdin failed"; the report's error is kept
	// here (read after CopyFrom returns, which waits for that goroutine).
	var reportErr error
	repeats := false
	ord := 0
	row := func() ([]any, error) {
		for {
			f, err, ok := next()
			if !ok {
				return nil, nil
			}
			if err != nil {
				reportErr = &ReportError{Err: err}
				return nil, reportErr
			}
			p, ok := prep.prepare(f)
			if !ok {
				continue
			}
			ord++
			repeats = repeats || p.RepeatKey != ""
			return append([]any{ord, nullStr(p.RepeatKey), p.RepeatSeparator}, prep.row(p)...), nil
		}
	}
	columns := append([]string{"ord", "repeat_key", "repeat_separator"}, stagedColumns...)
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"staged"}, columns, pgx.CopyFromFunc(row))
	if reportErr != nil {
		return reportErr
	}
	if err != nil {
		return fmt.Errorf("staging findings: %w", err)
	}
	if repeats {
		if err := mergeRepeats(ctx, tx, prep); err != nil {
			return err
		}
	}
	if n >= analyzeStagedAfter {
		if _, err := tx.Exec(ctx, `ANALYZE staged`); err != nil {
			return fmt.Errorf("analyzing the staging table: %w", err)
		}
	}
	return nil
}

// prepared is a finding that passed MinimumSeverity, with its hash_code.
type prepared struct {
	Finding
	hash string
}

// preparer drops findings below MinimumSeverity, bounds the others and
// computes their hash codes and stored values.
type preparer struct {
	opt        ImportOptions
	minimum    int
	fields     []string
	text       *textBudget
	now, today time.Time
}

func newPreparer(opt ImportOptions) *preparer {
	minimum := SeverityRank(Info)
	if opt.MinimumSeverity != "" {
		minimum = SeverityRank(NormalizeSeverity(opt.MinimumSeverity))
	}
	now := time.Now().UTC()
	return &preparer{opt: opt, minimum: minimum, fields: DedupFor(opt.ScanType).Fields, text: newTextBudget(opt.ReportBytes),
		now: now, today: now.Truncate(24 * time.Hour)}
}

// prepare bounds f's fields and hashes it; the import's text budget is
// taken after the hash, so a finding's hash_code does not depend on where
// in its report it stands.
func (p *preparer) prepare(f Finding) (prepared, bool) {
	if SeverityRank(f.Severity) > p.minimum {
		return prepared{}, false
	}
	withoutNUL(&f)
	// The import's service, when it names one, replaces the parser's (a
	// Kubernetes resource, for trivy), as DefectDojo's importer does.
	if p.opt.Service != "" {
		f.Service = p.opt.Service
	}
	bound(&f)
	hash := HashCode(f, p.hashFields(f))
	p.text.spend(&f)
	return prepared{Finding: f, hash: hash}, true
}

// row is a prepared finding as the values of stagedColumns.
func (p *preparer) row(pf prepared) []any {
	f, opt := pf.Finding, p.opt
	active := pick(opt.Active, f.Active, true) && !f.FalsePositive && !f.IsMitigated
	verified := pick(opt.Verified, f.Verified, false)
	date := p.today
	switch {
	case !opt.ScanDate.IsZero():
		date = opt.ScanDate
	case !f.Date.IsZero():
		date = f.Date
	}
	var mitigated *time.Time
	if f.IsMitigated {
		mitigated = &p.now
	}
	tags := f.Tags
	if opt.ApplyTagsToFindings {
		tags = boundList(append(slices.Clone(tags), opt.Tags...), MaxTags, MaxTag)
	}
	return []any{
		f.Title, date, f.CWE, f.Severity, f.Description, f.Mitigation, f.Impact,
		f.References, active, verified, f.FalsePositive, f.IsMitigated, mitigated, pf.hash,
		nullInt(f.Line), nullStr(f.FilePath), nullStr(f.ComponentName), nullStr(f.ComponentVersion),
		f.StaticFinding, f.DynamicFinding, nullStr(f.UniqueIDFromTool), nullStr(f.VulnIDFromTool),
		nonNil(f.VulnerabilityIDs), max(f.NbOccurences, 1), nullStr(f.Service), nonNil(tags),
		nullStr(f.Validity.Validity), nullTime(f.Validity.CheckedAt), nullStr(f.Validity.Owner), f.Validity.Scopes, revocationJSON(f.Revocation),
	}
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// revocationJSON is a revocation as the findings' jsonb column holds it
// (nil for none).
func revocationJSON(r *Revocation) []byte {
	if r == nil {
		return nil
	}
	raw, _ := json.Marshal(r) // a struct of plain fields: cannot fail
	return raw
}

// withoutNUL replaces NUL characters and invalid UTF-8, which PostgreSQL's
// text cannot hold (a scanner quoting a binary file may report them, a CSV
// may be in another encoding), with U+FFFD, in every text a finding has
// (its repeat key too: a parser may join fields with NUL).
func withoutNUL(f *Finding) {
	bad := func(s string) bool { return strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) }
	fix := func(s *string) {
		if bad(*s) {
			*s = strings.ReplaceAll(strings.ToValidUTF8(*s, "\uFFFD"), "\x00", "\uFFFD")
		}
	}
	for _, s := range []*string{&f.Title, &f.Description, &f.Mitigation, &f.Impact, &f.References, &f.FilePath,
		&f.ComponentName, &f.ComponentVersion, &f.UniqueIDFromTool, &f.VulnIDFromTool, &f.Service, &f.Validity.Owner,
		&f.RepeatKey, &f.RepeatSeparator} {
		fix(s)
	}
	// The lists are copied before a change: they may be the caller's.
	for _, list := range []*[]string{&f.VulnerabilityIDs, &f.Tags} {
		if slices.ContainsFunc(*list, bad) {
			*list = slices.Clone(*list)
			for i := range *list {
				fix(&(*list)[i])
			}
		}
	}
}

// ReportError is a report that could not be read to its end: the client's
// fault, answered 400 with its message.
type ReportError struct{ Err error }

func (e *ReportError) Error() string { return e.Err.Error() }
func (e *ReportError) Unwrap() error { return e.Err }

// errStopped ends a Source early when its reader stops.
var errStopped = errors.New("findings: source stopped")

// pull turns a Source into a pull iterator (a coroutine, not a goroutine).
func pull(src Source) (next func() (Finding, error, bool), stop func()) {
	return iter.Pull2(func(yield func(Finding, error) bool) {
		err := src(func(f Finding) error {
			if !yield(f, nil) {
				return errStopped
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStopped) {
			yield(Finding{}, err)
		}
	})
}
