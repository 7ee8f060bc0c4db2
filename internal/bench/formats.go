package bench

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/secbot/secbot/internal/findings/parsers/zap/zaptest"
)

// The formats part's reports: about 100 MB each, the size the reporter
// must import within 100 MB of RSS.
const (
	trivyN = 300000
	zapN   = 160000
)

// formatResult is one large report of a format other than SARIF, imported.
type formatResult struct {
	scanType string
	n, mb    int
	took     time.Duration
	peak     int // the reporter's peak RSS while it imported, MB
}

// formatsPhase imports a report of about 100 MB of one JSON format
// (Trivy) and one XML format (ZAP), its findings all different, each into
// a product of its own, measuring the rate and the reporter's peak RSS.
func (s *stack) formatsPhase(ctx context.Context) ([]formatResult, error) {
	var out []formatResult
	for _, f := range []struct {
		scanType, file string
		n              int
		report         func(int) []byte
	}{
		{"Trivy Scan", "trivy.json", trivyN, trivyReport},
		{"ZAP Scan", "zap.xml", zapN, zaptest.Report},
	} {
		report := f.report(f.n)
		s.procs["reporter"].resetPeak()
		took, err := s.importAs(ctx, "bench/"+f.file, f.scanType, f.file, report)
		if err != nil {
			return out, fmt.Errorf("importing %s: %w", f.scanType, err)
		}
		_, peak := s.procs["reporter"].memory()
		out = append(out, formatResult{scanType: f.scanType, n: f.n, mb: len(report) >> 20, took: took, peak: int(peak)})
	}
	return out, nil
}

// trivyReport is a trivy image report of n vulnerabilities of n packages.
func trivyReport(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"SchemaVersion": 2, "ArtifactName": "registry.example.com/app:1", "ArtifactType": "container_image",
		"Results": [{"Target": "registry.example.com/app:1 (debian 12.5)", "Class": "os-pkgs", "Type": "debian", "Vulnerabilities": [`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"VulnerabilityID": "CVE-2024-%05d", "PkgName": "lib%d", "InstalledVersion": "1.%d.0",
			"FixedVersion": "1.%d.1", "Severity": "%s", "Title": "lib%d: a flaw in its parser",
			"Description": "A crafted input makes lib%d read past its buffer.", "CweIDs": ["CWE-125"],
			"References": ["https://security-tracker.debian.org/tracker/CVE-2024-%05d"]}`,
			i, i, i%50, i%50, []string{"CRITICAL", "HIGH", "MEDIUM", "LOW"}[i%4], i, i, i)
	}
	b.WriteString(`]}]}`)
	return b.Bytes()
}

// rows renders the part's rows.
func formatRows(results []formatResult, row func(measure, got, anchor, target string, ok bool)) {
	for _, r := range results {
		rate := float64(r.n) / r.took.Seconds()
		row(fmt.Sprintf("import of a %s report of %d findings (%d MB)", r.scanType, r.n, r.mb),
			fmt.Sprintf("%.0f findings/s (%s); reporter peak RSS %d MB", rate, r.took.Round(time.Millisecond), r.peak),
			"SARIF, the import row above", "≥ 10,000/s, RSS < 100 MB", rate >= 10000 && r.peak < 100)
	}
}
