package gitlabreport

import (
	"io"

	"github.com/secbot/secbot/internal/findings"
)

// DependencyScanning is the "GitLab Dependency Scanning Report" parser:
// gl-dependency-scanning-report.json, the artifact of GitLab's dependency
// scanning (Gemnasium).
type DependencyScanning struct{}

// ScanType implements findings.Parser.
func (DependencyScanning) ScanType() string { return "GitLab Dependency Scanning Report" }

const dependencyScanningWants = "GitLab Dependency Scanning Report wants the JSON report of a GitLab dependency " +
	"scanning job (gl-dependency-scanning-report.json: an object with a \"vulnerabilities\" list)"

// Stream implements findings.Parser; like SAST, findings with the same
// unique id are one.
func (DependencyScanning) Stream(r io.Reader, emit func(findings.Finding) error) error {
	return stream(r, dependencyScanningWants, func(v vulnerability, sc scan) error {
		return emit(dependencyFinding(v, sc))
	})
}

func dependencyFinding(v vulnerability, sc scan) findings.Finding {
	uid := uniqueID(v)
	title, severity := severityInTitle(v.Severity, defaultTitle(v, uid))
	ids := readIdentifiers(v.Identifiers, cweNumber)
	if ids.cve != "" {
		title = ids.cve + ": " + title
	}
	dep := v.Location.Dependency
	f := findings.Finding{
		Title: title, Severity: severity, Description: scannerLine(sc, "could not be determined") + messageAndDescription(v),
		Mitigation: str(v.Solution), References: ids.references, CWE: ids.cwe, FilePath: str(v.Location.File),
		ComponentName: str(dep.Package.Name), ComponentVersion: str(dep.Version),
		UniqueIDFromTool: uid, StaticFinding: true, NbOccurences: 1,
	}
	if ids.cve != "" {
		f.VulnerabilityIDs = []string{ids.cve}
	}
	if uid != "" {
		f.RepeatKey = repeatKey("GitLab Dependency Scanning Report", uid)
	}
	return f
}
