// Package bandit parses Bandit JSON reports (scan type "Bandit Scan").
package bandit

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/secbot/secbot/internal/findings"
)

// Parser is the "Bandit Scan" parser.
type Parser struct{}

// ScanType implements findings.Parser.
func (Parser) ScanType() string { return "Bandit Scan" }

type report struct {
	GeneratedAt string    `json:"generated_at"`
	Results     *[]result `json:"results"`
}

type result struct {
	Code            string `json:"code"`
	Filename        string `json:"filename"`
	IssueConfidence string `json:"issue_confidence"`
	IssueSeverity   string `json:"issue_severity"`
	IssueText       string `json:"issue_text"`
	LineNumber      int    `json:"line_number"`
	MoreInfo        string `json:"more_info"`
	TestID          string `json:"test_id"`
	TestName        string `json:"test_name"`
	IssueCWE        struct {
		ID int `json:"id"`
	} `json:"issue_cwe"`
}

// Parse implements findings.Parser.
func (Parser) Parse(r io.Reader) ([]findings.Finding, error) {
	var rep report
	if err := json.NewDecoder(r).Decode(&rep); err != nil {
		return nil, fmt.Errorf("%w: bandit wants its JSON output (bandit -f json): %w", findings.ErrFormat, err)
	}
	if rep.Results == nil {
		return nil, fmt.Errorf("%w: bandit report has no results list", findings.ErrFormat)
	}
	date, _ := time.Parse(time.RFC3339, rep.GeneratedAt)
	var out []findings.Finding
	for _, res := range *rep.Results {
		description := fmt.Sprintf("**Test Name:** `%s`\n**Test ID:** `%s`\n**Filename:** %s\n**Line number:** %d\n**Issue Confidence:** %s\n**Code:**\n\n```\n%s\n```",
			res.TestName, res.TestID, res.Filename, res.LineNumber, res.IssueConfidence, strings.TrimRight(res.Code, "\n"))
		out = append(out, findings.Finding{
			Title: res.IssueText, Description: description, Severity: findings.NormalizeSeverity(res.IssueSeverity),
			FilePath: res.Filename, Line: res.LineNumber, VulnIDFromTool: res.TestName + ":" + res.TestID,
			References: res.MoreInfo, CWE: res.IssueCWE.ID, Date: date, StaticFinding: true, NbOccurences: 1,
		})
	}
	return out, nil
}
