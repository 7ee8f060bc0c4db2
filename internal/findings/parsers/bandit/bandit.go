// Package bandit parses Bandit JSON reports (scan type "Bandit Scan").
package bandit

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/jsonstream"
)

// Parser is the "Bandit Scan" parser.
type Parser struct{}

// ScanType implements findings.Parser.
func (Parser) ScanType() string { return "Bandit Scan" }

type result struct {
	Code            *string `json:"code"`
	Filename        string  `json:"filename"`
	IssueConfidence string  `json:"issue_confidence"`
	IssueSeverity   string  `json:"issue_severity"`
	IssueText       string  `json:"issue_text"`
	LineNumber      int     `json:"line_number"`
	MoreInfo        string  `json:"more_info"`
	TestID          string  `json:"test_id"`
	TestName        string  `json:"test_name"`
	IssueCWE        struct {
		ID int `json:"id"`
	} `json:"issue_cwe"`
}

// Stream implements findings.Parser, one result at a time. Every finding
// is dated generated_at; in the rare report that lists its results first,
// they are spooled until the date is read.
func (Parser) Stream(r io.Reader, emit func(findings.Finding) error) error {
	d := jsonstream.New(r)
	var date time.Time
	var dated bool
	var early jsonstream.Spool
	defer early.Close()
	hasResults := false
	err := d.Object(false, func(key string) error {
		switch key {
		case "generated_at":
			var raw string
			if err := d.Decode(&raw); err != nil {
				return err
			}
			date, _ = time.Parse(time.RFC3339, raw)
			dated = true
			return early.Each(func(d *jsonstream.Decoder) error { return decodeAndEmit(d, date, emit) })
		case "results":
			hasResults = true
			return d.Array(false, func() error {
				if !dated {
					return early.Keep(d)
				}
				return decodeAndEmit(d, date, emit)
			})
		}
		return d.Skip()
	})
	if err != nil {
		return jsonstream.FormatError(err, "bandit wants its JSON output (bandit -f json)")
	}
	if !hasResults {
		return fmt.Errorf("%w: bandit report has no results list", findings.ErrFormat)
	}
	err = early.Each(func(d *jsonstream.Decoder) error { return decodeAndEmit(d, date, emit) })
	return jsonstream.FormatError(err, "bandit wants its JSON output (bandit -f json)")
}

func decodeAndEmit(d *jsonstream.Decoder, date time.Time, emit func(findings.Finding) error) error {
	var res result
	if err := d.Decode(&res); err != nil {
		return err
	}
	return emit(finding(res, date))
}

func finding(res result, date time.Time) findings.Finding {
	code := "None" // Python's str() of a missing code, as DefectDojo writes it
	if res.Code != nil {
		code = strings.ReplaceAll(*res.Code, "```", "\\`\\`\\`")
	}
	description := strings.Join([]string{
		"**Test Name:** `" + res.TestName + "`", "**Test ID:** `" + res.TestID + "`",
		"**Filename:** `" + res.Filename + "`", fmt.Sprintf("**Line number:** `%d`", res.LineNumber),
		"**Issue Confidence:** `" + res.IssueConfidence + "`", "**Code:**", "```", code, "```"}, "\n")
	return findings.Finding{
		Title: res.IssueText, Description: description, Severity: findings.NormalizeSeverity(res.IssueSeverity),
		FilePath: res.Filename, Line: res.LineNumber, VulnIDFromTool: res.TestName + ":" + res.TestID,
		References: res.MoreInfo, CWE: res.IssueCWE.ID, Date: date, StaticFinding: true, NbOccurences: 1,
	}
}
