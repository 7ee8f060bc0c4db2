package findings

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Service is the findings service over PostgreSQL.
type Service struct {
	pool *pgxpool.Pool
}

// NewService returns a service on the database of pool (migrated by store).
func NewService(pool *pgxpool.Pool) *Service { return &Service{pool: pool} }

// ImportOptions are the fields of an import-scan request.
type ImportOptions struct {
	Target
	ScanType  string
	TestTitle string
	// ScanDate, when set, is every finding's date.
	ScanDate time.Time
	// MinimumSeverity drops less severe findings (default Info: none).
	MinimumSeverity string
	// Active and Verified, when set, override the parser's values.
	Active, Verified    *bool
	Tags                []string
	ApplyTagsToFindings bool
	// DedupOnEngagement limits deduplication to the engagement.
	DedupOnEngagement bool
	Version, BuildID  string
	BranchTag         string
	CommitHash        string
	Service           string
}

// SeverityStats counts findings of one severity (or all) by status.
type SeverityStats struct {
	Active       int `json:"active"`
	Verified     int `json:"verified"`
	Duplicate    int `json:"duplicate"`
	FalseP       int `json:"false_p"`
	OutOfScope   int `json:"out_of_scope"`
	IsMitigated  int `json:"is_mitigated"`
	RiskAccepted int `json:"risk_accepted"`
	Total        int `json:"total"`
}

// Stats are DefectDojo's import statistics: info, low, medium, high,
// critical and total.
type Stats map[string]SeverityStats

// ImportResult is what an import made.
type ImportResult struct {
	ProductType, Product, Engagement, Test int
	After                                  Stats
}

// Import stores findings as a new test, deduplicating them against the
// product (or engagement) synchronously. It is all or nothing.
func (s *Service) Import(ctx context.Context, opt ImportOptions, parsed []Finding) (ImportResult, error) {
	return s.ImportFrom(ctx, opt, FromList(parsed))
}

// ImportFrom is Import reading the findings from src as it stores them, so
// a report of any size takes little memory. An error of src (a report that
// turns out broken halfway) is a *ReportError, and nothing is stored.
func (s *Service) ImportFrom(ctx context.Context, opt ImportOptions, src Source) (ImportResult, error) {
	var res ImportResult
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		r, err := resolveEngagement(ctx, tx, opt.Target)
		if err != nil {
			return err
		}
		res.ProductType, res.Product, res.Engagement = r.productType, r.product, r.engagement
		err = tx.QueryRow(ctx, `
			INSERT INTO tests (engagement, scan_type, title, tags, version, build_id, commit_hash, branch_tag)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			r.engagement, opt.ScanType, opt.TestTitle, nonNil(opt.Tags), opt.Version, opt.BuildID, opt.CommitHash, opt.BranchTag,
		).Scan(&res.Test)
		if err != nil {
			return fmt.Errorf("creating test: %w", err)
		}
		if err := insertFindings(ctx, tx, r, res.Test, opt, src, nil); err != nil {
			return err
		}
		if err := deduplicate(ctx, tx, res.Test, 0, opt.ScanType, opt.DedupOnEngagement); err != nil {
			return err
		}
		res.After, err = statsWhere(ctx, tx, "test = $1", res.Test)
		return err
	})
	return res, err
}

// prepared is a finding that passed MinimumSeverity, with its hash_code.
type prepared struct {
	Finding
	hash string
}

// preparer drops findings below MinimumSeverity and computes hash codes.
type preparer struct {
	minimum int
	fields  []string
	service string
}

func newPreparer(opt ImportOptions) preparer {
	minimum := SeverityRank(Info)
	if opt.MinimumSeverity != "" {
		minimum = SeverityRank(NormalizeSeverity(opt.MinimumSeverity))
	}
	return preparer{minimum: minimum, fields: DedupFor(opt.ScanType).Fields, service: opt.Service}
}

func (p preparer) prepare(f Finding) (prepared, bool) {
	if SeverityRank(f.Severity) > p.minimum {
		return prepared{}, false
	}
	withoutNUL(&f)
	f.Service = p.service
	return prepared{Finding: f, hash: HashCode(f, p.fields)}, true
}

// withoutNUL replaces NUL characters, which PostgreSQL's text cannot hold
// (a scanner quoting a binary file may report them), with U+FFFD.
func withoutNUL(f *Finding) {
	fix := func(s *string) {
		if strings.IndexByte(*s, 0) >= 0 {
			*s = strings.ReplaceAll(*s, "\x00", "\uFFFD")
		}
	}
	for _, s := range []*string{&f.Title, &f.Description, &f.Mitigation, &f.Impact, &f.References, &f.FilePath,
		&f.ComponentName, &f.ComponentVersion, &f.UniqueIDFromTool, &f.VulnIDFromTool} {
		fix(s)
	}
	// The lists are copied before a change: they may be the caller's.
	for _, list := range []*[]string{&f.VulnerabilityIDs, &f.Tags} {
		if slices.ContainsFunc(*list, func(s string) bool { return strings.IndexByte(s, 0) >= 0 }) {
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

// copyColumns are the columns insertFindings fills.
var copyColumns = []string{
	"test", "engagement", "product", "title", "date", "cwe", "severity", "description", "mitigation", "impact",
	"references", "active", "verified", "false_p", "is_mitigated", "mitigated", "hash_code",
	"line", "file_path", "component_name", "component_version",
	"static_finding", "dynamic_finding", "unique_id_from_tool", "vuln_id_from_tool",
	"vulnerability_ids", "nb_occurences", "service", "tags",
}

// insertFindings copies the findings of src into test as they are read,
// in one COPY. keep, when not nil, decides which prepared findings are
// stored (a reimport stores only those it cannot match).
func insertFindings(ctx context.Context, tx pgx.Tx, r resolved, test int, opt ImportOptions, src Source, keep func(prepared) bool) error {
	now := time.Now().UTC()
	today := now.Truncate(24 * time.Hour)
	prep := newPreparer(opt)
	next, stop := pull(src)
	defer stop()
	// pgx reads rows on a goroutine of its own and turns their error into
	// the server's "COPY from stdin failed"; the report's error is kept
	// here (read after CopyFrom returns, which waits for that goroutine).
	var reportErr error
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
			if !ok || (keep != nil && !keep(p)) {
				continue
			}
			return findingRow(p, r, test, opt, now, today), nil
		}
	}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"findings"}, copyColumns, pgx.CopyFromFunc(row))
	if reportErr != nil {
		return reportErr
	}
	if err != nil {
		return fmt.Errorf("inserting findings: %w", err)
	}
	if n >= analyzeAfter {
		// The statistics may still describe a much smaller table (a quiet
		// database, a first large import): planned on them, deduplication
		// scans the table once per new finding. ANALYZE in the transaction
		// counts the rows just copied.
		if _, err := tx.Exec(ctx, `ANALYZE findings`); err != nil {
			return fmt.Errorf("analyzing findings: %w", err)
		}
	}
	return nil
}

// analyzeAfter is how many findings one import copies before it refreshes
// the table's statistics (a few hundred milliseconds on a large table).
const analyzeAfter = 5000

// findingRow is a prepared finding as a row of copyColumns.
func findingRow(p prepared, r resolved, test int, opt ImportOptions, now, today time.Time) []any {
	f := p.Finding
	active := pick(opt.Active, f.Active, true) && !f.FalsePositive && !f.IsMitigated
	verified := pick(opt.Verified, f.Verified, false)
	date := today
	switch {
	case !opt.ScanDate.IsZero():
		date = opt.ScanDate
	case !f.Date.IsZero():
		date = f.Date
	}
	var mitigated *time.Time
	if f.IsMitigated {
		mitigated = &now
	}
	tags := f.Tags
	if opt.ApplyTagsToFindings {
		tags = append(append([]string{}, tags...), opt.Tags...)
	}
	return []any{
		test, r.engagement, r.product, f.Title, date, f.CWE, f.Severity, f.Description, f.Mitigation, f.Impact,
		f.References, active, verified, f.FalsePositive, f.IsMitigated, mitigated, p.hash,
		nullInt(f.Line), nullStr(f.FilePath), nullStr(f.ComponentName), nullStr(f.ComponentVersion),
		f.StaticFinding, f.DynamicFinding, nullStr(f.UniqueIDFromTool), nullStr(f.VulnIDFromTool),
		nonNil(f.VulnerabilityIDs), max(f.NbOccurences, 1), nullStr(opt.Service), nonNil(tags),
	}
}

// deduplicate marks each finding of test with an id above after that
// matches an older finding of the product (or engagement) as its
// duplicate: inactive, unverified, and pointing at the oldest original
// that is not itself a duplicate, so chains stay flat. One statement.
func deduplicate(ctx context.Context, tx pgx.Tx, test, after int, scanType string, onEngagement bool) error {
	byUniqueID := DedupFor(scanType).Algorithm == ByUniqueIDOrHash
	_, err := tx.Exec(ctx, `
		UPDATE findings f SET duplicate = true, active = false, verified = false, duplicate_finding = m.original
		FROM (
			SELECT n.id, (
				SELECT o.id FROM findings o
				WHERE o.product = n.product AND (NOT $2 OR o.engagement = n.engagement)
				  AND o.id < n.id AND NOT o.duplicate
				  AND (o.hash_code = n.hash_code
				       OR ($3 AND n.unique_id_from_tool IS NOT NULL AND o.unique_id_from_tool = n.unique_id_from_tool))
				ORDER BY o.id LIMIT 1) AS original
			FROM findings n WHERE n.test = $1 AND n.id > $4
		) m
		WHERE f.id = m.id AND m.original IS NOT NULL`, test, onEngagement, byUniqueID, after)
	if err != nil {
		return fmt.Errorf("deduplicating: %w", err)
	}
	return nil
}

// statsWhere counts the findings matching a condition on the findings
// table (with its arguments) by severity and status.
func statsWhere(ctx context.Context, tx pgx.Tx, cond string, args ...any) (Stats, error) {
	stats := emptyStats()
	rows, err := tx.Query(ctx, `
		SELECT lower(severity), count(*) FILTER (WHERE active), count(*) FILTER (WHERE verified),
			count(*) FILTER (WHERE duplicate), count(*) FILTER (WHERE false_p), count(*) FILTER (WHERE out_of_scope),
			count(*) FILTER (WHERE is_mitigated), count(*) FILTER (WHERE risk_accepted), count(*)
		FROM findings WHERE `+cond+` GROUP BY severity`, args...)
	if err != nil {
		return nil, err
	}
	var sev string
	var s SeverityStats
	_, err = pgx.ForEachRow(rows, []any{&sev, &s.Active, &s.Verified, &s.Duplicate, &s.FalseP, &s.OutOfScope,
		&s.IsMitigated, &s.RiskAccepted, &s.Total}, func() error {
		stats[sev] = s
		t := stats["total"]
		t.Active, t.Verified, t.Duplicate, t.FalseP = t.Active+s.Active, t.Verified+s.Verified, t.Duplicate+s.Duplicate, t.FalseP+s.FalseP
		t.OutOfScope, t.IsMitigated, t.RiskAccepted, t.Total = t.OutOfScope+s.OutOfScope, t.IsMitigated+s.IsMitigated, t.RiskAccepted+s.RiskAccepted, t.Total+s.Total
		stats["total"] = t
		return nil
	})
	return stats, err
}

func pick(override, parser *bool, def bool) bool {
	if override != nil {
		return *override
	}
	if parser != nil {
		return *parser
	}
	return def
}

func nullStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nullInt(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
