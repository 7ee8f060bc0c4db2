package reportfilter_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"path"
	"slices"
	"testing"

	"github.com/secbot/secbot/internal/reportfilter"
	"github.com/secbot/secbot/internal/testenv/fixtures"
)

// fixtureTypes maps the fixtures' folders to their reports' scan types.
var fixtureTypes = map[string]string{
	"bandit": "Bandit Scan", "gitleaks": "Gitleaks Scan", "gosec": "Gosec Scanner",
	"sarif": "SARIF", "semgrep": "Semgrep JSON Report", "trivy": "Trivy Scan",
	"gitlab_sast": "GitLab SAST Report", "gitlab_secret_detection_report": "GitLab Secret Detection Report",
	"gitlab_dep_scan": "GitLab Dependency Scanning Report", "gitlab_container_scan": "GitLab Container Scan",
	"gitlab_dast": "GitLab DAST Report",
	"checkov":     "Checkov Scan", "tfsec": "TFSec Scan", "hadolint": "Hadolint Dockerfile check", "nuclei": "Nuclei Scan",
	"trufflehog": "Trufflehog Scan", "ggshield": "Ggshield Scan", "detect_secrets": "Detect-secrets Scan",
	"noseyparker":   "Nosey Parker Scan",
	"anchore_grype": "Anchore Grype", "dependency_track": "Dependency Track Finding Packaging Format (FPF) Export",
	"osv_scanner": "OSV Scan", "npm_audit_7_plus": "NPM Audit v7+ Scan", "pip_audit": "pip-audit Scan",
	"govulncheck": "Govulncheck Scanner", "snyk": "Snyk Scan",
	"dependency_check": "Dependency Check Scan", "cyclonedx": "CycloneDX Scan", "zap": "ZAP Scan",
	"generic": "Generic Findings Import",
}

// unfiltered are the fixtures' folders of scan types Filter does not
// know: the dependency scanners'.
var unfiltered = map[string]bool{
	"anchore_grype": true, "dependency_track": true, "govulncheck": true, "npm_audit_7_plus": true,
	"osv_scanner": true, "pip_audit": true, "snyk": true,
}

// FuzzFilter: no report makes Filter panic; a copy it makes without error
// is valid JSON, and filtering the copy again keeps all of it.
func FuzzFilter(f *testing.F) {
	types := reportfilter.ScanTypes()
	err := fs.WalkDir(fixtures.FS, "defectdojo", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		folder := path.Base(path.Dir(name))
		if unfiltered[folder] {
			return nil
		}
		scanType, ok := fixtureTypes[folder]
		if !ok {
			f.Fatalf("%s: no scan type for its folder", name)
		}
		data, err := fixtures.ReadFile(name)
		if err != nil {
			return err
		}
		if !reportfilter.Supports(scanType) {
			return nil // SecBot parses it, Filter does not filter it (see TestSupports)
		}
		if len(data) < 64<<10 { // a larger seed slows every mutation
			f.Add(uint8(slices.Index(types, scanType)), data)
		}
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(uint8(slices.Index(types, "SARIF")), []byte(basesAfterResults))
	f.Fuzz(func(t *testing.T, kind uint8, report []byte) {
		scanType := types[int(kind)%len(types)]
		keep := func(path string) bool { return len(path)%2 == 0 }
		var out bytes.Buffer
		kept, dropped, err := reportfilter.Filter(scanType, bytes.NewReader(report), &out, keep)
		if err != nil {
			return
		}
		if !json.Valid(out.Bytes()) {
			t.Fatalf("the %s copy is not valid JSON: %q", scanType, out.Bytes())
		}
		var again bytes.Buffer
		kept2, dropped2, err := reportfilter.Filter(scanType, bytes.NewReader(out.Bytes()), &again, keep)
		if err != nil || kept2 != kept || dropped2 != 0 {
			t.Fatalf("filtering the %s copy again: kept %d, dropped %d, err %v; the first time kept %d and dropped %d",
				scanType, kept2, dropped2, err, kept, dropped)
		}
	})
}
