package gitlabreport

import (
	"io"
	"strings"

	"github.com/secbot/secbot/internal/findings"
)

// DAST is the "GitLab DAST Report" parser: gl-dast-report.json, the
// artifact of GitLab's DAST (ZAP, the browser-based analyzer) and API
// security scans.
type DAST struct{}

// ScanType implements findings.Parser.
func (DAST) ScanType() string { return "GitLab DAST Report" }

const dastWants = "GitLab DAST Report wants the JSON report of a GitLab DAST job (gl-dast-report.json: " +
	"an object with a \"vulnerabilities\" list)"

// Stream implements findings.Parser. DefectDojo's parser makes the
// vulnerabilities with the same severity, title and description one
// finding, counting them in nb_occurences (and gathering their URLs as its
// endpoints, which SecBot does not store): they carry one repeat key.
func (DAST) Stream(r io.Reader, emit func(findings.Finding) error) error {
	return stream(r, dastWants, func(v vulnerability, sc scan) error { return emit(dastFinding(v, sc)) })
}

func dastFinding(v vulnerability, sc scan) findings.Finding {
	description := scannerLine(sc, "Could not be determined")
	switch {
	case v.Message != nil:
		description += *v.Message + "\n"
	case v.Description != nil:
		description += *v.Description + "\n"
	}
	uid := str(v.ID)
	title := uid
	if v.Name != nil {
		title = *v.Name
	}
	if title == "" {
		// DefectDojo cannot store a finding without a title; it fails.
		title = strings.TrimSpace(strings.TrimPrefix(description, scannerLine(sc, "Could not be determined")))
	}
	f := findings.Finding{
		Title: title, Severity: findings.NormalizeSeverity(str(v.Severity)), Description: description,
		Mitigation: str(v.Solution), Date: parseTime(v.DiscoveredAt), UniqueIDFromTool: uid,
		DynamicFinding: true, NbOccurences: 1,
		RepeatKey: repeatKey("GitLab DAST Report", str(v.Severity), title, description),
	}
	for _, id := range v.Identifiers {
		if strings.EqualFold(id.Type, "cwe") {
			f.CWE = cweNumber(id.Value)
			break
		}
	}
	urls := make([]string, 0, len(v.Links))
	for _, l := range v.Links {
		urls = append(urls, l.URL)
	}
	f.References = strings.Join(urls, "\n")
	return f
}
