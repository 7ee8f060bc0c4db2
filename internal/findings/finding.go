// Package findings is SecBot's built-in DefectDojo-compatible findings
// service: its model, the report parsers and deduplication.
package findings

import (
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Severities, as DefectDojo names them.
const (
	Critical = "Critical"
	High     = "High"
	Medium   = "Medium"
	Low      = "Low"
	Info     = "Info"
)

// severityRank orders severities from Critical (0) to Info (4), as
// DefectDojo's numerical_severity S0…S4.
var severityRank = map[string]int{Critical: 0, High: 1, Medium: 2, Low: 3, Info: 4}

// NormalizeSeverity maps a scanner's severity word to DefectDojo's
// (case-insensitive; "informational", "unknown" and unknown words are Info).
func NormalizeSeverity(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "critical":
		return Critical
	case "high", "error":
		return High
	case "medium", "moderate", "warning":
		return Medium
	case "low":
		return Low
	}
	return Info
}

// SeverityRank is 0 for Critical through 4 for Info.
func SeverityRank(severity string) int {
	if r, ok := severityRank[severity]; ok {
		return r
	}
	return severityRank[Info]
}

// Finding is one finding as a parser reports it, before it is stored.
type Finding struct {
	Title       string
	Description string
	Severity    string
	Mitigation  string
	Impact      string
	References  string
	CWE         int
	// Line is 0 when the report gives none.
	Line             int
	FilePath         string
	ComponentName    string
	ComponentVersion string
	VulnIDFromTool   string
	UniqueIDFromTool string
	// VulnerabilityIDs are CVE and similar ids.
	VulnerabilityIDs []string
	// Date is zero when the report gives none.
	Date time.Time
	// Active and Verified are nil where the parser leaves them to the
	// import (DefectDojo's model defaults: active, not verified).
	Active        *bool
	Verified      *bool
	FalsePositive bool
	IsMitigated   bool
	StaticFinding bool
	// DynamicFinding is true for findings of running systems.
	DynamicFinding bool
	NbOccurences   int
	// Service is the import's service name; it joins the hash_code.
	Service string
	Tags    []string
	// RepeatKey, when set, marks a finding its report may repeat (a
	// parser's own deduplication, as DefectDojo's parsers have): the
	// findings of one report with the same key are stored as the first of
	// them, with NbOccurences counting them all and, when the first has a
	// RepeatSeparator, the others' descriptions after it, each after the
	// separator (bounded as any description).
	RepeatKey       string
	RepeatSeparator string
	// Validity is whether a secret works, where the report says
	// (SecBot's gitleaks scan checks each with its provider).
	Validity Validity
	// Revocation is set when SecBot revoked the secret (a live GitLab
	// token): the import records it in the finding's history.
	Revocation *Revocation
}

// Parser reads one scanner's report format.
type Parser interface {
	// ScanType is DefectDojo's scan_type name, e.g. "Gitleaks Scan".
	ScanType() string
	// Stream reads a report, calling emit with each finding as soon as it
	// is read, so a large report is never held whole; it stops at the
	// first error emit returns and returns it. A report it cannot read is
	// an error wrapping ErrFormat that says why; an empty report is no
	// findings and no error.
	Stream(r io.Reader, emit func(Finding) error) error
}

// Parse reads a whole report into a list, for small reports and tests,
// with its repeats merged (see Finding.RepeatKey) as an import merges them.
func Parse(p Parser, r io.Reader) ([]Finding, error) {
	var out []Finding
	groups := map[string]*repeated{}
	err := p.Stream(r, func(f Finding) error {
		if g := groups[f.RepeatKey]; g != nil {
			g.add(f)
			return nil
		}
		if f.RepeatKey != "" {
			groups[f.RepeatKey] = newRepeated(len(out), f)
		}
		out = append(out, f)
		return nil
	})
	for _, g := range groups {
		if g.count > 1 {
			out[g.index] = g.merged()
		}
	}
	return out, err
}

// Source produces a report's findings one at a time (see Parser.Stream):
// it calls emit for each, stops at the first error emit returns, and
// returns that or its own error.
type Source func(emit func(Finding) error) error

// FromReport is the Source of a report read by p.
func FromReport(p Parser, r io.Reader) Source {
	return func(emit func(Finding) error) error { return p.Stream(r, emit) }
}

// FromList is the Source of findings already in memory.
func FromList(list []Finding) Source {
	return func(emit func(Finding) error) error {
		for _, f := range list {
			if err := emit(f); err != nil {
				return err
			}
		}
		return nil
	}
}

// ErrFormat wraps errors for reports a parser cannot read.
var ErrFormat = errors.New("report format not recognised")

var cweNumber = regexp.MustCompile(`(?i)CWE[-:/ ]*(\d+)`)

// ParseCWE reads the number of the first CWE mentioned in s ("CWE-79",
// "CWE-696: Incorrect Behavior Order", "external/cwe/cwe-079"); 0 if none.
func ParseCWE(s string) int {
	m := cweNumber.FindStringSubmatch(s)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// Bool returns a pointer to b, for Finding.Active and Verified.
func Bool(b bool) *bool { return &b }
