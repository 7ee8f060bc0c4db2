// Package noseyparker parses Nosey Parker's JSON lines reports (scan type
// "Nosey Parker Scan", noseyparker report --format jsonl): each line one
// secret with its matches, in the shape of v0.16 (the secret in
// match_content, git provenance in commit_provenance) or of v0.22 and
// later (finding_id, the secret base64 in groups, git provenance in
// first_commit, none for files scanned outside git). Every match is a
// finding, its secret redacted before it is emitted.
package noseyparker

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/jsonstream"
	"github.com/secbot/secbot/internal/redact"
)

// Parser is the "Nosey Parker Scan" parser.
type Parser struct{}

// ScanType implements findings.Parser.
func (Parser) ScanType() string { return "Nosey Parker Scan" }

const want = "nosey parker wants its JSON lines report (noseyparker report --format jsonl), one secret a line"

// mitigation is every finding's advice.
const mitigation = "Revoke the secret (reset the account or token), remove it from the code, and keep secrets in a secret manager or vault."

// header is what a line says of its secret, before or after its matches.
type header struct {
	RuleName     *string `json:"rule_name"`
	MatchContent *string `json:"match_content"` // v0.16: the secret
	FindingID    *string `json:"finding_id"`    // v0.22
	RuleTextID   string  `json:"rule_text_id"`  // v0.22
}

// legacy reports whether the line has v0.16's shape, as DefectDojo tells
// them apart: a rule and the secret.
func (h *header) legacy() bool { return h.RuleName != nil && h.MatchContent != nil }

// current reports whether the line has v0.22's shape: a rule and an id.
func (h *header) current() bool { return h.RuleName != nil && h.FindingID != nil && !h.legacy() }

type match struct {
	Provenance []struct {
		Path             string      `json:"path"`
		CommitProvenance *provenance `json:"commit_provenance"` // v0.16
		FirstCommit      *provenance `json:"first_commit"`      // v0.22
	} `json:"provenance"`
	Location struct {
		SourceSpan struct {
			Start struct {
				Line int `json:"line"`
			} `json:"start"`
		} `json:"source_span"`
	} `json:"location"`
	MatchContent string   `json:"match_content"`
	Groups       []string `json:"groups"`
}

type provenance struct {
	CommitMetadata struct {
		CommitID       string `json:"commit_id"`
		CommitterName  string `json:"committer_name"`
		CommitterEmail string `json:"committer_email"`
	} `json:"commit_metadata"`
	BlobPath string `json:"blob_path"`
}

// Stream implements findings.Parser, one match at a time. Matches listed
// before the line says which shape it has are spooled until its end. The
// same secret (v0.16) or rule (v0.22) at the same line of a file is one
// finding, as DefectDojo counts them. Empty lines ({}) and an empty
// report are no findings.
func (Parser) Stream(r io.Reader, emit func(findings.Finding) error) error {
	d := jsonstream.New(r)
	n := 0
	err := d.Values(func() error {
		n++
		return streamLine(d, n, emit)
	})
	return jsonstream.FormatError(err, want)
}

func streamLine(d *jsonstream.Decoder, n int, emit func(findings.Finding) error) error {
	var h header
	var early jsonstream.Spool
	defer early.Close()
	keys := 0
	var emitErr error // passed on as it is, not as the report's fault
	each := func(d *jsonstream.Decoder) error {
		var m match
		if err := d.Decode(&m); err != nil {
			return err
		}
		emitErr = emit(finding(&h, m))
		return emitErr
	}
	err := d.Object(false, func(key string) error {
		keys++
		switch key {
		case "rule_name":
			return d.Decode(&h.RuleName)
		case "match_content":
			return d.Decode(&h.MatchContent)
		case "finding_id":
			return d.Decode(&h.FindingID)
		case "rule_text_id":
			return d.Decode(&h.RuleTextID)
		case "matches":
			return d.Array(true, func() error {
				// v0.22 writes its id and rule before its matches; a line
				// whose shape is not known yet is read at its end.
				if h.legacy() || (h.current() && h.RuleTextID != "") {
					return each(d)
				}
				return early.Keep(d)
			})
		}
		return d.Skip()
	})
	// The report's faults say which line broke; emit's pass as they are.
	where := func(err error) error {
		if err == nil || err == emitErr {
			return err
		}
		return fmt.Errorf("line %d: %w", n, err)
	}
	switch {
	case err != nil:
		return where(err)
	case keys == 0:
		return nil
	case !h.legacy() && !h.current():
		return fmt.Errorf("%w: %s; line %d has no rule_name with match_content (v0.16) or finding_id (v0.22)",
			findings.ErrFormat, want, n)
	}
	return where(early.Each(each))
}

func finding(h *header, m match) findings.Finding {
	line := m.Location.SourceSpan.Start.Line
	var git *provenance
	path := ""
	if len(m.Provenance) > 0 {
		last := m.Provenance[len(m.Provenance)-1]
		git, path = last.FirstCommit, last.Path
		if h.legacy() {
			git = last.CommitProvenance
		}
	}
	if git != nil {
		path = git.BlobPath
	}
	title := "Secret(s) Found in Repository"
	var d strings.Builder
	if h.legacy() {
		// DefectDojo shows the secret's first characters: the marker
		// stands in their place.
		fmt.Fprintf(&d, "Secret found of type:   %s \nSECRET starts with:  '%s' \n", *h.RuleName, redact.Marker)
	} else {
		fmt.Fprintf(&d, "Secret found of type: %s \nRule Text ID: '%s' \n", *h.RuleName, h.RuleTextID)
	}
	if git != nil {
		meta := git.CommitMetadata
		title += " with Commit ID " + meta.CommitID
		fmt.Fprintf(&d, "Committer Name: %s  \nCommitter Email: %s \nCommit ID: %s  \n", meta.CommitterName, meta.CommitterEmail, meta.CommitID)
	}
	fmt.Fprintf(&d, "Location: %s line #%d \nLine #%d ", path, line, line)
	key := repeatKey("v0.22", path, h.RuleTextID, strconv.Itoa(line))
	if h.legacy() {
		key = repeatKey("v0.16", path, *h.MatchContent, strconv.Itoa(line))
	}
	f := findings.Finding{
		Title: title, Description: d.String(), Severity: findings.High, CWE: 798, Mitigation: mitigation,
		FilePath: path, Line: line, Active: findings.Bool(true), Verified: findings.Bool(false),
		StaticFinding: true, NbOccurences: 1, RepeatKey: key,
	}
	for _, s := range secretsOf(h, m) {
		f.RedactSecret(s)
	}
	return f
}

// secretsOf lists a match's secret as it may appear in text: v0.16's
// match_content, v0.22's capture groups decoded from base64.
func secretsOf(h *header, m match) []string {
	var out []string
	if h.MatchContent != nil {
		out = append(out, findings.BeforeTruncation(*h.MatchContent))
	}
	out = append(out, findings.BeforeTruncation(m.MatchContent))
	for _, g := range m.Groups {
		if b, err := base64.StdEncoding.DecodeString(g); err == nil && utf8.Valid(b) {
			out = append(out, string(b))
		}
	}
	return out
}

// repeatKey is a match's repeat key: a hash, so the secret it may be
// made of is not kept.
func repeatKey(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:])
}
