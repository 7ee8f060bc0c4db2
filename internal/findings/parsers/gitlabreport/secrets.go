package gitlabreport

import (
	"io"
	"strings"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/redact"
)

// SecretDetection is the "GitLab Secret Detection Report" parser:
// gl-secret-detection-report.json, the artifact of GitLab's secret
// detection (gitleaks).
type SecretDetection struct{}

// ScanType implements findings.Parser.
func (SecretDetection) ScanType() string { return "GitLab Secret Detection Report" }

const secretDetectionWants = "GitLab Secret Detection Report wants the JSON report of a GitLab secret detection " +
	"job (gl-secret-detection-report.json: an object with a \"vulnerabilities\" list)"

// Stream implements findings.Parser. Every finding has its secret (the
// report's raw_source_code_extract) redacted before it is emitted.
func (SecretDetection) Stream(r io.Reader, emit func(findings.Finding) error) error {
	return stream(r, secretDetectionWants, func(v vulnerability, sc scan) error {
		return emit(secretFinding(v, sc))
	})
}

// detected ends every secret detection title, as in GitLab's messages.
const detected = "detected; please remove and revoke it if this is a leak."

func secretFinding(v vulnerability, sc scan) findings.Finding {
	title := str(v.Name)
	if v.Message != nil {
		title = *v.Message
	}
	if !strings.Contains(title, detected) {
		title += " " + detected
	}
	description := str(v.Description)
	if v.RawSourceCodeExtract != nil {
		// DefectDojo appends the extract (the secret) to the description:
		// SecBot appends its marker.
		description += "\n" + redact.Marker
	}
	line := 0
	if v.Location.StartLine != nil {
		line = int(*v.Location.StartLine)
	}
	f := findings.Finding{
		Title: title, Severity: findings.NormalizeSeverity(str(v.Severity)), Description: description,
		FilePath: str(v.Location.File), Line: line, Date: sc.end, UniqueIDFromTool: str(v.ID),
		StaticFinding: true, NbOccurences: 1,
	}
	if extract := findings.BeforeTruncation(str(v.RawSourceCodeExtract)); extract != "" {
		f.RedactSecret(extract)
		for _, s := range []*string{&f.Title, &f.Description, &f.FilePath, &f.UniqueIDFromTool} {
			*s = redactCutCopies(*s, extract)
		}
	}
	return f
}

// minCut is the shortest start of a secret that redactCutCopies takes for
// what is left of it.
const minCut = 16

// redactCutCopies replaces what is left of the copies of secret that the
// report's reader cut short: a string longer than jsonstream.MaxString
// keeps its start, and may end in the first part of a secret, which
// replacing the whole secret misses. Every run of at least minCut bytes
// (or the whole of a shorter secret) that begins as secret does goes.
func redactCutCopies(s, secret string) string {
	head := secret[:min(len(secret), minCut)]
	var b strings.Builder
	for {
		i := strings.Index(s, head)
		if i < 0 {
			break
		}
		n := len(head)
		for i+n < len(s) && n < len(secret) && s[i+n] == secret[n] {
			n++
		}
		b.WriteString(s[:i])
		b.WriteString(redact.Marker)
		s = s[i+n:]
	}
	b.WriteString(s)
	return b.String()
}
