package gitlabreport

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/secbot/secbot/internal/findings"
)

// SAST is the "GitLab SAST Report" parser: gl-sast-report.json, the
// artifact of GitLab's SAST analyzers (Semgrep, SpotBugs, njsscan…).
type SAST struct{}

// ScanType implements findings.Parser.
func (SAST) ScanType() string { return "GitLab SAST Report" }

const sastWants = "GitLab SAST Report wants the JSON report of a GitLab SAST job (gl-sast-report.json: " +
	"an object with a \"vulnerabilities\" list)"

// Stream implements findings.Parser. As DefectDojo's parser keeps one
// finding per unique id (a vulnerability's id, or its older cve
// fingerprint), findings with the same one carry a repeat key, and the
// import keeps the first of them.
func (SAST) Stream(r io.Reader, emit func(findings.Finding) error) error {
	return stream(r, sastWants, func(v vulnerability, sc scan) error { return emit(sastFinding(v, sc)) })
}

func sastFinding(v vulnerability, sc scan) findings.Finding {
	uid := uniqueID(v)
	title, severity := severityInTitle(v.Severity, defaultTitle(v, uid))
	ids := readIdentifiers(v.Identifiers, sastCWE)
	line := 0
	if l := v.Location.StartLine; l != nil {
		line = int(*l)
	}
	if l := v.Location.EndLine; l != nil {
		line = int(*l)
	}
	f := findings.Finding{
		Title: title, Severity: severity, Description: scannerLine(sc, "Could not be determined") + messageAndDescription(v),
		Mitigation: str(v.Solution), References: ids.references, CWE: ids.cwe, FilePath: str(v.Location.File), Line: line,
		UniqueIDFromTool: uid, StaticFinding: true, NbOccurences: 1,
	}
	if ids.cve != "" {
		f.VulnerabilityIDs = []string{ids.cve}
	}
	if uid != "" {
		f.RepeatKey = repeatKey("GitLab SAST Report", uid)
	}
	return f
}

// sastCWE is DefectDojo's reading of a SAST CWE identifier: a number, or
// a string of digits; anything else ("node_nosqli_injection") is none.
func sastCWE(v scalar) int {
	n, err := strconv.Atoi(v.Text)
	if err != nil || n <= 0 || (!v.Number && strings.TrimLeft(v.Text, "0123456789") != "") {
		return 0
	}
	return n
}

// uniqueID is a vulnerability's id or, in reports older than the id, its
// cve fingerprint.
func uniqueID(v vulnerability) string {
	if v.ID != nil {
		return *v.ID
	}
	return v.CVE
}

// defaultTitle is the title of SAST and dependency scanning findings: the
// name, the message, the description or else the unique id.
func defaultTitle(v vulnerability, uid string) string {
	for _, p := range []*string{v.Name, v.Message, v.Description} {
		if p != nil {
			return *p
		}
	}
	return uid
}

// messageAndDescription ends the description of SAST and dependency
// scanning findings: the message and the description, a line each.
func messageAndDescription(v vulnerability) string {
	var b strings.Builder
	for _, p := range []*string{v.Message, v.Description} {
		if p != nil {
			b.WriteString(*p + "\n")
		}
	}
	return b.String()
}

// severityInTitle is the severity of SAST and dependency scanning
// findings: GitLab's "Undefined" and "Unknown" (or none) are Info, with
// the report's word in front of the title ("[Unknown severity] …").
func severityInTitle(severity *string, title string) (string, string) {
	switch {
	case severity == nil:
		return "[None severity] " + title, findings.Info
	case *severity == "Undefined" || *severity == "Unknown":
		return fmt.Sprintf("[%s severity] %s", *severity, title), findings.Info
	}
	return title, findings.NormalizeSeverity(*severity)
}

// identified is what SAST and dependency scanning findings take from the
// identifiers: the last CWE and CVE given, and the others as references.
type identified struct {
	cwe        int
	cve        string
	references string
}

func readIdentifiers(list []identifier, cwe func(scalar) int) identified {
	var out identified
	var refs strings.Builder
	for _, id := range list {
		switch strings.ToLower(id.Type) {
		case "cwe":
			if n := cwe(id.Value); n != 0 {
				out.cwe = n
			}
		case "cve":
			if id.Value.truthy() {
				out.cve = id.Value.Text
			}
		default:
			fmt.Fprintf(&refs, "Identifier type: %s\nName: %s\nValue: %s\n", id.Type, id.Name, id.Value.Text)
			if id.URL != nil {
				fmt.Fprintf(&refs, "URL: %s\n", *id.URL)
			}
			refs.WriteString("\n")
		}
	}
	out.references = refs.String()
	return out
}
