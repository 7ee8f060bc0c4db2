// Package gosec parses gosec JSON reports (scan type "Gosec Scanner"), with
// or without the CWE that newer gosec versions give each issue.
package gosec

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/jsonstream"
)

// Parser is the "Gosec Scanner" parser.
type Parser struct{}

// ScanType implements findings.Parser.
func (Parser) ScanType() string { return "Gosec Scanner" }

const want = "gosec wants its JSON output (gosec -fmt json)"

type issue struct {
	Severity   string          `json:"severity"`
	Confidence string          `json:"confidence"`
	RuleID     string          `json:"rule_id"`
	Details    string          `json:"details"`
	File       string          `json:"file"`
	Code       string          `json:"code"`
	Line       json.RawMessage `json:"line"`
	CWE        *struct {
		ID  json.RawMessage `json:"id"`
		URL string          `json:"url"`
	} `json:"cwe"`
}

// Stream implements findings.Parser, one issue at a time. Issues with the
// same title at the same file and line are one finding, as DefectDojo
// keys them: each is emitted with a repeat key and merged by the import
// (or findings.Parse).
func (Parser) Stream(r io.Reader, emit func(findings.Finding) error) error {
	d := jsonstream.New(r)
	hasIssues := false
	err := d.Object(false, func(key string) error {
		if key != "Issues" {
			return d.Skip()
		}
		hasIssues = true
		return d.Array(true, func() error {
			var is issue
			if err := d.Decode(&is); err != nil {
				return err
			}
			return emit(finding(is))
		})
	})
	if err != nil {
		return jsonstream.FormatError(err, want)
	}
	if !hasIssues {
		return fmt.Errorf("%w: %s: the report has no Issues", findings.ErrFormat, want)
	}
	return nil
}

func finding(is issue) findings.Finding {
	title := is.Details + " - rule " + is.RuleID
	line := text(is.Line)
	var d strings.Builder
	fmt.Fprintf(&d, "Filename: %s\n\n", is.File)
	fmt.Fprintf(&d, "Line number: %s\n\n", line)
	fmt.Fprintf(&d, "Issue Confidence: %s\n\n", is.Confidence)
	fmt.Fprintf(&d, "Code:\n\n```%s```", is.Code)
	f := findings.Finding{
		Title: title, Description: d.String(), Severity: findings.NormalizeSeverity(is.Severity),
		FilePath: is.File, StaticFinding: true, NbOccurences: 1,
		// DefectDojo's parser sets static_finding and leaves dynamic_finding
		// at its model's default, true.
		DynamicFinding: true,
	}
	if is.CWE != nil {
		f.CWE, _ = strconv.Atoi(text(is.CWE.ID))
		f.References = is.CWE.URL
	}
	if f.References == "" {
		// gosec's documentation of the rule, as DefectDojo links it.
		f.References = strings.ToLower("https://securego.io/docs/rules/" + is.RuleID + ".html")
	}
	// A range of lines ("12-14") points at its first.
	first, _, _ := strings.Cut(line, "-")
	lineKey := "None"
	if n, err := strconv.Atoi(first); err == nil && isDigits(first) {
		f.Line, lineKey = n, strconv.Itoa(n)
	}
	f.RepeatKey = repeatKey(title + is.File + lineKey)
	return f
}

// repeatKey is DefectDojo's key of an issue, hashed to bound its size.
func repeatKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// text is a JSON string's value, or a number's text: gosec writes lines
// and CWE ids as strings, which other tools may write as numbers.
func text(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
