// Package tfsec parses tfsec JSON reports (scan type "TFSec Scan"), in the
// current format (rule ids such as aws-vpc-no-excessive-port-access, a
// list of links) and the legacy one (AWS050, one link).
package tfsec

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/jsonstream"
)

// Parser is the "TFSec Scan" parser.
type Parser struct{}

// ScanType implements findings.Parser.
func (Parser) ScanType() string { return "TFSec Scan" }

const want = "tfsec wants its JSON output (tfsec --format json)"

type result struct {
	RuleID          string    `json:"rule_id"`
	RuleDescription string    `json:"rule_description"`
	RuleProvider    string    `json:"rule_provider"`
	Description     string    `json:"description"`
	Impact          string    `json:"impact"`
	Resolution      string    `json:"resolution"`
	Links           *[]string `json:"links"`
	Link            string    `json:"link"`
	Severity        string    `json:"severity"`
	Passed          bool      `json:"passed"`
	Location        struct {
		Filename  string `json:"filename"`
		StartLine *int   `json:"start_line"`
		EndLine   *int   `json:"end_line"`
	} `json:"location"`
}

// Stream implements findings.Parser, one result at a time. Results that
// passed are no findings. Repeats of one rule at one place are one finding
// (DefectDojo's parser counts them in nb_occurences): each is emitted with
// a repeat key and merged by the import (or findings.Parse).
func (Parser) Stream(r io.Reader, emit func(findings.Finding) error) error {
	d := jsonstream.New(r)
	hasResults := false
	err := d.Object(false, func(key string) error {
		if key != "results" {
			return d.Skip()
		}
		hasResults = true
		return d.Array(true, func() error {
			var res result
			if err := d.Decode(&res); err != nil {
				return err
			}
			if res.Passed {
				return nil
			}
			return emit(finding(res))
		})
	})
	if err != nil {
		return jsonstream.FormatError(err, want)
	}
	if !hasResults {
		return fmt.Errorf("%w: %s: the report has no results", findings.ErrFormat, want)
	}
	return nil
}

// severities maps tfsec's severities, current and legacy; any other is Low.
var severities = map[string]string{
	"CRITICAL": findings.Critical, "HIGH": findings.High, "ERROR": findings.High,
	"MEDIUM": findings.Medium, "WARNING": findings.Medium, "LOW": findings.Low, "INFO": findings.Info,
}

func finding(res result) findings.Finding {
	severity, ok := severities[strings.ToUpper(res.Severity)]
	if !ok {
		severity = findings.Low
	}
	references := res.Link
	if res.Links != nil {
		references = strings.Join(*res.Links, "\n")
	}
	line := 0
	if res.Location.StartLine != nil {
		line = *res.Location.StartLine
	}
	return findings.Finding{
		Title: res.RuleDescription, Severity: severity, Description: "Rule ID: " + res.RuleID + "\n" + res.Description,
		Mitigation: res.Resolution, Impact: res.Impact, References: references,
		FilePath: res.Location.Filename, Line: line, VulnIDFromTool: res.RuleID, NbOccurences: 1,
		// DefectDojo's parser leaves static_finding and dynamic_finding at
		// its model's defaults: not static, dynamic.
		DynamicFinding: true,
		RepeatKey:      repeatKey(res),
	}
}

// repeatKey is DefectDojo's key of a result: provider, rule, file and
// lines run together, hashed.
func repeatKey(res result) string {
	sum := sha256.Sum256([]byte(res.RuleProvider + res.RuleID + res.Location.Filename +
		optionalInt(res.Location.StartLine) + optionalInt(res.Location.EndLine)))
	return hex.EncodeToString(sum[:])
}

// optionalInt is n as Python's str() writes it, None when absent.
func optionalInt(n *int) string {
	if n == nil {
		return "None"
	}
	return fmt.Sprint(*n)
}
