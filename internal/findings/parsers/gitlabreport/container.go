package gitlabreport

import (
	"io"
	"strings"
	"unicode/utf8"

	"github.com/secbot/secbot/internal/findings"
)

// ContainerScanning is the "GitLab Container Scan" parser:
// gl-container-scanning-report.json, the artifact of GitLab's container
// scanning (Trivy or Grype).
type ContainerScanning struct{}

// ScanType implements findings.Parser.
func (ContainerScanning) ScanType() string { return "GitLab Container Scan" }

const containerScanningWants = "GitLab Container Scan wants the JSON report of a GitLab container scanning job " +
	"(gl-container-scanning-report.json: an object with a \"vulnerabilities\" list)"

// Stream implements findings.Parser.
func (ContainerScanning) Stream(r io.Reader, emit func(findings.Finding) error) error {
	return stream(r, containerScanningWants, func(v vulnerability, sc scan) error {
		return emit(containerFinding(v, sc))
	})
}

// DefectDojo shortens a container finding's component name and version
// to these many characters.
const (
	componentNameWidth    = 190
	componentVersionWidth = 90
)

func containerFinding(v vulnerability, sc scan) findings.Finding {
	name, version := str(v.Location.Dependency.Package.Name), str(v.Location.Dependency.Version)
	title := str(v.Message)
	if title == "" {
		// Reports of schema v15 have no message.
		title = firstIssue(v.Identifiers) + " in " + packageString(name, version)
	}
	f := findings.Finding{
		Title: title, Severity: findings.NormalizeSeverity(str(v.Severity)), Description: str(v.Description),
		Mitigation: str(v.Solution), Date: sc.end, UniqueIDFromTool: str(v.ID), StaticFinding: true, NbOccurences: 1,
	}
	for _, id := range v.Identifiers {
		switch id.Type {
		case "cve":
			if id.Value.truthy() {
				f.VulnerabilityIDs = append(f.VulnerabilityIDs, id.Value.Text)
			}
		case "cwe":
			if n := cweNumber(id.Value); n != 0 {
				f.CWE = n
			}
		}
	}
	if name != "" {
		f.ComponentName = shorten(name, componentNameWidth)
	}
	if version != "" {
		f.ComponentVersion = shorten(version, componentVersionWidth)
	}
	return f
}

// firstIssue names a message-less vulnerability as DefectDojo does: its
// first CVE or, with none, "CWE-" and the CWE when the last identifier is
// one, else None.
func firstIssue(list []identifier) string {
	var lastCWE scalar
	for _, id := range list {
		lastCWE = scalar{Null: true}
		if id.Type == "cwe" {
			lastCWE = id.Value
		}
		if id.Type == "cve" && id.Value.truthy() {
			return id.Value.Text
		}
	}
	if lastCWE.truthy() {
		return "CWE-" + lastCWE.Text
	}
	return "None"
}

// packageString is "name-version", the name, "unknown-package-version"
// or None, whichever the dependency allows.
func packageString(name, version string) string {
	switch {
	case name != "" && version != "":
		return name + "-" + version
	case name != "":
		return name
	case version != "":
		return "unknown-package-" + version
	}
	return "None"
}

// shorten is Python's textwrap.shorten(s, width, placeholder="..."), as
// DefectDojo applies it to the component: white space collapsed and, when
// longer than width characters still, the words that fit with "..." after
// them ("..." alone when the first word does not fit). Python also breaks
// words after hyphens; this does not.
func shorten(s string, width int) string {
	words := strings.Fields(s)
	s = strings.Join(words, " ")
	if utf8.RuneCountInString(s) <= width {
		return s
	}
	const placeholder = "..."
	n, kept := 0, 0
	for i, w := range words {
		l := utf8.RuneCountInString(w)
		if i > 0 {
			l++
		}
		if n+l+len(placeholder) > width {
			break
		}
		n, kept = n+l, i+1
	}
	return strings.Join(words[:kept], " ") + placeholder
}
