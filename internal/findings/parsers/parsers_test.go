package parsers

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/testenv/fixtures"
)

var update = flag.Bool("update", false, "rewrite the golden files from the parsers' output")

const dojo = "defectdojo/"

// The counts DefectDojo's own tests expect for these reports.
var expected = []struct {
	scanType, file string
	count          int
}{
	{"Gitleaks Scan", "gitleaks/gitleaks8_many.json", 3},
	{"Gitleaks Scan", "gitleaks/data_one.json", 1},
	{"Gitleaks Scan", "gitleaks/no_findings.json", 0},
	{"Gitleaks Scan", "gitleaks/data_many.json", 2},
	{"Gitleaks Scan", "gitleaks/issue4336.json", 1},
	{"Gitleaks Scan", "gitleaks/version_7.5.0.json", 4},
	{"SARIF", "sarif/njsscan.sarif", 3},
	{"SARIF", "sarif/flawfinder.sarif", 53},
	{"SARIF", "sarif/appendix_k.sarif", 1},
	{"SARIF", "sarif/bash-report.sarif", 27},
	{"SARIF", "sarif/no_runs.sarif", 0},
	{"SARIF", "sarif/blackduck_nested_fingerprints.sarif", 5},
	{"SARIF", "sarif/sentinel_fingerprints.sarif", 4},
	{"SARIF", "sarif/suppression_test.sarif", 5},
	{"SARIF", "sarif/SuppressionTestCurrent.sarif", 4},
	{"SARIF", "sarif/appendix_k1.sarif", 0},
	{"SARIF", "sarif/appendix_k2.sarif", 1},
	{"SARIF", "sarif/appendix_k3.sarif", 1},
	{"SARIF", "sarif/dockle_0_3_15.sarif", 4},
	{"Trivy Scan", "trivy/scheme_2_many_vulns.json", 5},
	{"Trivy Scan", "trivy/scheme_2_no_vuln.json", 0},
	{"Trivy Scan", "trivy/misconfigurations_and_secrets.json", 5},
	{"Trivy Scan", "trivy/kubernetes.json", 20},
	{"Trivy Scan", "trivy/kubernetes_cluster_scoped_resources.json", 3},
	{"Trivy Scan", "trivy/license_scheme.json", 19},
	{"Trivy Scan", "trivy/legacy_trivy_mix.json", 6},
	{"Trivy Scan", "trivy/issue_9092.json", 1},
	{"Semgrep JSON Report", "semgrep/one_finding.json", 1},
	{"Semgrep JSON Report", "semgrep/many_findings.json", 3},
	{"Semgrep JSON Report", "semgrep/empty.json", 0},
	{"Semgrep JSON Report", "semgrep/repeated_findings.json", 1},
	{"Bandit Scan", "bandit/one_vuln.json", 1},
	{"Bandit Scan", "bandit/many_vulns.json", 214},
	{"Bandit Scan", "bandit/no_vuln.json", 0},
	{"GitLab SAST Report", "gitlab_sast/gl-sast-report-0-vuln.json", 0},
	{"GitLab SAST Report", "gitlab_sast/gl-sast-report-1-vuln_v14.json", 1},
	{"GitLab SAST Report", "gitlab_sast/gl-sast-report-1-vuln_v15.json", 1},
	{"GitLab SAST Report", "gitlab_sast/gl-sast-report-cwe_v15.json", 3},
	{"GitLab SAST Report", "gitlab_sast/gl-sast-report-cwe_v14.json", 3},
	{"GitLab SAST Report", "gitlab_sast/gl-sast-report-confidence_v14.json", 8},
	{"GitLab SAST Report", "gitlab_sast/gl-sast-report-multiple-cwe-fabricated_v15.json", 1},
	{"GitLab SAST Report", "gitlab_sast/gl-sast-report_issue4344_v15.json", 1},
	{"GitLab Secret Detection Report", "gitlab_secret_detection_report/gitlab_secret_detection_report_0_vuln.json", 0},
	{"GitLab Secret Detection Report", "gitlab_secret_detection_report/gitlab_secret_detection_report_1_vuln_v14.json", 1},
	{"GitLab Secret Detection Report", "gitlab_secret_detection_report/gitlab_secret_detection_report_1_vuln_v15.json", 1},
	{"GitLab Secret Detection Report", "gitlab_secret_detection_report/gitlab_secret_detection_report_3_vuln_v14.json", 3},
	{"GitLab Secret Detection Report", "gitlab_secret_detection_report/gitlab_secret_detection_report_3_vuln_v15.json", 3},
	{"GitLab Dependency Scanning Report", "gitlab_dep_scan/gl-dependency-scanning-report-0-vuln.json", 0},
	{"GitLab Dependency Scanning Report", "gitlab_dep_scan/gl-dependency-scanning-report-1-vuln_v14.json", 1},
	{"GitLab Dependency Scanning Report", "gitlab_dep_scan/gl-dependency-scanning-report-1-vuln_v15.json", 1},
	{"GitLab Dependency Scanning Report", "gitlab_dep_scan/gl-dependency-scanning-report-2-vuln-missing-component_v14.json", 2},
	{"GitLab Dependency Scanning Report", "gitlab_dep_scan/gl-dependency-scanning-report-2-vuln-missing-component_v15.json", 2},
	{"GitLab Container Scan", "gitlab_container_scan/gl-container-scanning-report-0-vuln.json", 0},
	{"GitLab Container Scan", "gitlab_container_scan/gl-container-scanning-report-1-vuln_v14.json", 1},
	{"GitLab Container Scan", "gitlab_container_scan/gl-container-scanning-report-1-vuln_v15.json", 1},
	{"GitLab Container Scan", "gitlab_container_scan/gl-container-scanning-report-5-vuln_v14.json", 5},
	{"GitLab Container Scan", "gitlab_container_scan/gl-container-scanning-report-5-vuln_v15.json", 5},
	{"GitLab Container Scan", "gitlab_container_scan/gl-container-scanning-report-multiple-cwe-fabricated_v15.json", 1},
	{"GitLab DAST Report", "gitlab_dast/gitlab_dast_zero_vul.json", 0},
	{"GitLab DAST Report", "gitlab_dast/gitlab_dast_one_vul_v14.json", 1},
	{"GitLab DAST Report", "gitlab_dast/gitlab_dast_one_vul_v15.json", 1},
	{"GitLab DAST Report", "gitlab_dast/gitlab_dast_many_vul_v14.json", 10},
	{"GitLab DAST Report", "gitlab_dast/gitlab_dast_multiple_cwe_fabricated_v15.json", 1},
	{"Checkov Scan", "checkov/checkov-report-0-vuln.json", 0},
	{"Checkov Scan", "checkov/checkov-report-1-vuln.json", 1},
	{"Checkov Scan", "checkov/checkov-report-severity.json", 4},
	{"Checkov Scan", "checkov/checkov-report-many-vuln.json", 3},
	{"Checkov Scan", "checkov/checkov2-report-0-vuln.json", 0},
	{"TFSec Scan", "tfsec/no_findings.json", 0},
	{"TFSec Scan", "tfsec/many_findings_current.json", 13},
	{"TFSec Scan", "tfsec/one_finding_legacy.json", 1},
	{"TFSec Scan", "tfsec/many_findings_legacy.json", 3},
	{"TFSec Scan", "tfsec/finding_with_null_provider.json", 1},
	{"Hadolint Dockerfile check", "hadolint/one_dockerfile.json", 4},
	{"Hadolint Dockerfile check", "hadolint/many_dockerfile.json", 12},
	{"Gosec Scanner", "gosec/many_vulns.json", 28},
	{"Gosec Scanner", "gosec/many_vulns_no_cwe.json", 28},
	{"Nuclei Scan", "nuclei/empty.jsonl", 0},
	{"Nuclei Scan", "nuclei/no_findings.json", 0},
	{"Nuclei Scan", "nuclei/issue_9201.json", 1},
	{"Nuclei Scan", "nuclei/many_findings.json", 16},
	{"Nuclei Scan", "nuclei/many_findings_new.json", 2},
	{"Nuclei Scan", "nuclei/multiple_v3.json", 5},
	{"Nuclei Scan", "nuclei/many_findings_third.json", 2},
	{"Nuclei Scan", "nuclei/invalid_cwe.json", 1},
	{"Nuclei Scan", "nuclei/multiple_matches.json", 2},
	{"Nuclei Scan", "nuclei/multi_cwe_fabricated.json", 1},
	{"Trufflehog Scan", "trufflehog/v2_many_vulns.json", 18},
	{"Trufflehog Scan", "trufflehog/v3_git.json", 3},
	{"Trufflehog Scan", "trufflehog/v3_github.json", 3},
	{"Ggshield Scan", "ggshield/no_finding.json", 0},
	{"Ggshield Scan", "ggshield/one_finding.json", 1},
	{"Ggshield Scan", "ggshield/many_findings.json", 2},
	{"Detect-secrets Scan", "detect_secrets/no_findings.json", 0},
	{"Detect-secrets Scan", "detect_secrets/many_findings.json", 4},
	{"Nosey Parker Scan", "noseyparker/noseyparker_zero_vul.jsonl", 0},
	{"Nosey Parker Scan", "noseyparker/noseyparker_one_vul.jsonl", 1},
	{"Nosey Parker Scan", "noseyparker/noseyparker_many_vul.jsonl", 3},
	{"Nosey Parker Scan", "noseyparker/noseyparker_0_22_0_without_githistory.jsonl", 6},
	// Dependency (SCA) scanners.
	{"Anchore Grype", "anchore_grype/no_vuln.json", 0},
	{"Anchore Grype", "anchore_grype/same_cve_different_paths.json", 1},
	{"Anchore Grype", "anchore_grype/many_vulns4.json", 9},
	{"Anchore Grype", "anchore_grype/fix_available.json", 1},
	{"Anchore Grype", "anchore_grype/check_all_fields.json", 5},
	{"Anchore Grype", "anchore_grype/anchore_grype_epss_problem.json", 1},
	{"Dependency Track Finding Packaging Format (FPF) Export", "dependency_track/no_findings_because_findings_key_is_empty_list.json", 0},
	{"Dependency Track Finding Packaging Format (FPF) Export", "dependency_track/one_finding.json", 1},
	{"Dependency Track Finding Packaging Format (FPF) Export", "dependency_track/many_findings.json", 4},
	{"Dependency Track Finding Packaging Format (FPF) Export", "dependency_track/dependency_track_3.8.0_2021-01-18.json", 9},
	{"Dependency Track Finding Packaging Format (FPF) Export", "dependency_track/many_findings_with_alias.json", 12},
	{"Dependency Track Finding Packaging Format (FPF) Export", "dependency_track/one_finding_with_analysis_detail.json", 1},
	{"Dependency Track Finding Packaging Format (FPF) Export", "dependency_track/deptrack_npm_4.14.1.json", 22},
	{"Dependency Track Finding Packaging Format (FPF) Export", "dependency_track/no_findings_because_findings_key_is_missing.json", 0},
	{"Dependency Track Finding Packaging Format (FPF) Export", "dependency_track/no_findings_because_findings_key_is_null.json", 0},
	{"Dependency Track Finding Packaging Format (FPF) Export", "dependency_track/dependency_track_4.10_2024_02_11.json", 1},
	{"OSV Scan", "osv_scanner/no_findings.json", 0},
	{"OSV Scan", "osv_scanner/some_findings.json", 1},
	{"OSV Scan", "osv_scanner/multi_cwe_fabricated.json", 1},
	{"NPM Audit v7+ Scan", "npm_audit_7_plus/no_vuln.json", 0},
	{"NPM Audit v7+ Scan", "npm_audit_7_plus/one_vuln.json", 1},
	{"NPM Audit v7+ Scan", "npm_audit_7_plus/many_vulns.json", 6},
	{"NPM Audit v7+ Scan", "npm_audit_7_plus/issue_10801.json", 1},
	{"pip-audit Scan", "pip_audit/empty.json", 0},
	{"pip-audit Scan", "pip_audit/zero_vulns_new.json", 0},
	{"pip-audit Scan", "pip_audit/many_vulns.json", 7},
	{"pip-audit Scan", "pip_audit/zero_vulns.json", 0},
	{"pip-audit Scan", "pip_audit/many_vulns_new.json", 7},
	{"Govulncheck Scanner", "govulncheck/no_vulns.json", 0},
	{"Govulncheck Scanner", "govulncheck/many_vulns_new_version.json", 1},
	{"Govulncheck Scanner", "govulncheck/many_vulns.json", 3},
	{"Govulncheck Scanner", "govulncheck/no_vulns_new_version.json", 0},
	{"Govulncheck Scanner", "govulncheck/many_vulns_new_version_custom_severity.json", 2},
	{"Snyk Scan", "snyk/single_project_no_vulns.json", 0},
	{"Snyk Scan", "snyk/single_project_one_vuln.json", 1},
	{"Snyk Scan", "snyk/all-projects_one_vuln.json", 1},
	{"Snyk Scan", "snyk/all-projects_many_vulns.json", 4},
	{"Snyk Scan", "snyk/single_project_None_cvss.json", 1},
	{"Snyk Scan", "snyk/snykcontainer_issue_epss.json", 1},
	{"Snyk Scan", "snyk/snykcode_issue_9270.json", 39},
	{"Snyk Scan", "snyk/all-projects_no_vulns.json", 0},
	// XML reports and DefectDojo's generic formats.
	{"Dependency Check Scan", "dependency_check/single_dependency_with_related_no_vulnerability.xml", 0},
	{"Dependency Check Scan", "dependency_check/single_vuln.xml", 1},
	{"Dependency Check Scan", "dependency_check/multiple_vulnerabilities_has_multiple_findings.xml", 9},
	{"Dependency Check Scan", "dependency_check/dc_empty.xml", 0},
	{"CycloneDX Scan", "cyclonedx/retirejs.latest.xml", 0},
	{"CycloneDX Scan", "cyclonedx/cyclonedx_bom.xml", 0},
	{"CycloneDX Scan", "cyclonedx/spec1.xml", 1},
	{"CycloneDX Scan", "cyclonedx/spec1_lowfirst.xml", 1},
	{"CycloneDX Scan", "cyclonedx/valid-vulnerability-1.4.json", 1},
	{"CycloneDX Scan", "cyclonedx/valid-vulnerability-1.4.xml", 1},
	{"CycloneDX Scan", "cyclonedx/issue_8022.json", 1},
	{"CycloneDX Scan", "cyclonedx/multiple_cwes_fabricated.xml", 1},
	{"CycloneDX Scan", "cyclonedx/log4j.json", 8},
	{"CycloneDX Scan", "cyclonedx/jake2.json", 7},
	{"CycloneDX Scan", "cyclonedx/grype_dd_1_14_1.xml", 312},
	{"ZAP Scan", "zap/empty_2.9.0.xml", 0},
	{"ZAP Scan", "zap/some_2.9.0.xml", 7},
	{"ZAP Scan", "zap/0_zap_sample.xml", 4},
	{"ZAP Scan", "zap/3_zap_sampl_0_and_different_severities.xml", 4},
	{"ZAP Scan", "zap/5_zap_sample_one.xml", 2},
	{"ZAP Scan", "zap/zap-xml-plus-format.xml", 1},
	{"ZAP Scan", "zap/zap_missing_body.xml", 1}, // one alert; the count is the report's, its DefectDojo test unread
	{"ZAP Scan", "zap/juicy2.xml", 6},
	{"Generic Findings Import", "generic/generic_report1.csv", 1},
	{"Generic Findings Import", "generic/generic_report1.json", 2},
	{"Generic Findings Import", "generic/generic_report2.json", 2},
	{"Generic Findings Import", "generic/generic_report3.json", 4},
	{"Generic Findings Import", "generic/generic_report3.csv", 2},
	{"Generic Findings Import", "generic/generic_report4.json", 1},
	{"Generic Findings Import", "generic/generic_report4.csv", 4},
	{"Generic Findings Import", "generic/generic_report_fix_version.json", 2},
	{"Generic Findings Import", "generic/generic_custom_test.json", 1},
	{"Generic Findings Import", "generic/generic_csv_with_epss.csv", 1},
}

// summary is what the golden files pin down for each finding.
type summary struct {
	Title          string `json:"title"`
	Severity       string `json:"severity"`
	FilePath       string `json:"file_path"`
	Line           int    `json:"line"`
	CWE            int    `json:"cwe"`
	VulnIDFromTool string `json:"vuln_id_from_tool,omitempty"`
	UniqueID       string `json:"unique_id_from_tool,omitempty"`
	FalsePositive  bool   `json:"false_p,omitempty"`
	Inactive       bool   `json:"inactive,omitempty"`
	Occurences     int    `json:"nb_occurences"`
}

func TestFixtures(t *testing.T) {
	for _, tt := range expected {
		t.Run(tt.file, func(t *testing.T) {
			p, err := Lookup(tt.scanType)
			if err != nil {
				t.Fatal(err)
			}
			f, err := fixtures.Open(dojo + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := findings.Parse(p, f)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.count {
				t.Fatalf("%d findings, DefectDojo's tests expect %d", len(got), tt.count)
			}
			var sums []summary
			for _, x := range got {
				if x.Title == "" || x.Severity == "" || findings.NormalizeSeverity(x.Severity) != x.Severity {
					t.Fatalf("finding without title or with a non-DefectDojo severity: %+v", x)
				}
				sums = append(sums, summary{Title: x.Title, Severity: x.Severity, FilePath: x.FilePath, Line: x.Line,
					CWE: x.CWE, VulnIDFromTool: x.VulnIDFromTool, UniqueID: x.UniqueIDFromTool, FalsePositive: x.FalsePositive,
					Inactive: x.Active != nil && !*x.Active, Occurences: x.NbOccurences})
			}
			golden(t, filepath.Join("testdata", strings.ReplaceAll(tt.file, "/", "_")+".golden.json"), sums)
		})
	}
}

func golden(t *testing.T, path string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("output differs from %s (go test -update rewrites it after review):\n%s", path, got)
	}
}

func TestUnknownScanType(t *testing.T) {
	_, err := Lookup("Nessus Scan")
	var unknown *UnknownScanTypeError
	if !errors.As(err, &unknown) || err.Error() != `"Nessus Scan" is not a valid choice.` {
		t.Fatalf("err = %v", err)
	}
}

func TestBrokenReports(t *testing.T) {
	for _, scanType := range ScanTypes() {
		for name, body := range map[string]string{"truncated": `{"results": [`, "wrong shape": `{"unrelated": true}`, "binary": "\x00\x01\x02"} {
			t.Run(scanType+"/"+name, func(t *testing.T) {
				p, _ := Lookup(scanType)
				got, err := findings.Parse(p, strings.NewReader(body))
				if !errors.Is(err, findings.ErrFormat) {
					t.Fatalf("Parse = %d findings, %v; want an ErrFormat error", len(got), err)
				}
			})
		}
	}
}

func FuzzParsers(f *testing.F) {
	for _, tt := range expected {
		data, err := fixtures.ReadFile(dojo + tt.file)
		if err != nil {
			f.Fatal(err)
		}
		if len(data) < 20000 {
			f.Add(tt.scanType, data)
		}
	}
	f.Fuzz(func(t *testing.T, scanType string, data []byte) {
		p, err := Lookup(scanType)
		if err != nil {
			return
		}
		got, err := findings.Parse(p, bytes.NewReader(data))
		if err != nil && !errors.Is(err, findings.ErrFormat) {
			t.Fatalf("an error that is not ErrFormat: %v", err)
		}
		for _, x := range got {
			if findings.NormalizeSeverity(x.Severity) != x.Severity {
				t.Fatalf("severity %q is not DefectDojo's", x.Severity)
			}
		}
	})
}

// TestReportsCutShortFail reads each sample report cut at two thirds: the
// parser has emitted some findings by then, and must still fail.
func TestReportsCutShortFail(t *testing.T) {
	for _, tt := range expected {
		if tt.count < 2 {
			continue
		}
		t.Run(tt.file, func(t *testing.T) {
			data, err := fixtures.ReadFile(dojo + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			p, _ := Lookup(tt.scanType)
			err = p.Stream(bytes.NewReader(data[:len(data)*2/3]), func(findings.Finding) error { return nil })
			if !errors.Is(err, findings.ErrFormat) {
				t.Fatalf("a report cut short: err = %v, want ErrFormat", err)
			}
		})
	}
}

// TestStreamStopsWhenEmitFails checks that an error of emit (the database
// refusing a row) ends the parse with that very error.
func TestStreamStopsWhenEmitFails(t *testing.T) {
	stop := errors.New("stop here")
	for _, tt := range expected {
		if tt.count < 2 {
			continue
		}
		t.Run(tt.file, func(t *testing.T) {
			f, err := fixtures.Open(dojo + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			p, _ := Lookup(tt.scanType)
			calls := 0
			err = p.Stream(f, func(findings.Finding) error { calls++; return stop })
			if err != stop || calls != 1 {
				t.Fatalf("err = %v after %d calls, want the emit error after 1", err, calls)
			}
		})
	}
}

// TestKeysInAnyOrder reads documents whose parts come in an unusual order:
// a SARIF run with its results before its tool, a Bandit report with its
// results before generated_at, Trivy results with their lists before their
// target and Kubernetes resources with their results before their names.
func TestKeysInAnyOrder(t *testing.T) {
	const rules = `"tool": {"driver": {"name": "x", "rules": [{"id": "R1", "shortDescription": {"text": "Rule one"},
		"properties": {"security-severity": "9.5", "tags": ["CWE-79"]}}]}}`
	const results = `"results": [{"ruleId": "R1", "message": {"text": "found it"},
		"locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.go"}, "region": {"startLine": 3}}}]}]`
	sarif, _ := Lookup("SARIF")
	inOrder, err := findings.Parse(sarif, strings.NewReader(`{"version": "2.1.0", "runs": [{`+rules+`, `+results+`}]}`))
	if err != nil {
		t.Fatal(err)
	}
	reversed, err := findings.Parse(sarif, strings.NewReader(`{"runs": [{`+results+`, `+rules+`}], "version": "2.1.0"}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(inOrder) != 1 || inOrder[0].Severity != findings.Critical || inOrder[0].CWE != 79 {
		t.Fatalf("in order: %+v", inOrder)
	}
	if !reflect.DeepEqual(inOrder, reversed) {
		t.Fatalf("results before the tool read differently:\n%+v\n%+v", reversed, inOrder)
	}

	bandit, _ := Lookup("Bandit Scan")
	got, err := findings.Parse(bandit, strings.NewReader(`{"results": [{"issue_text": "t", "issue_severity": "HIGH",
		"filename": "a.py", "line_number": 1, "test_id": "B1", "test_name": "n"}], "generated_at": "2024-05-01T10:00:00Z"}`))
	if err != nil || len(got) != 1 || got[0].Date.Format("2006-01-02") != "2024-05-01" {
		t.Fatalf("bandit results before generated_at: %+v, %v", got, err)
	}

	trivy, _ := Lookup("Trivy Scan")
	const vulns = `"Vulnerabilities": [{"VulnerabilityID": "CVE-1", "PkgName": "p", "InstalledVersion": "1", "Severity": "HIGH"}]`
	const secrets = `"Secrets": [{"RuleID": "r", "Title": "Token", "Severity": "CRITICAL", "StartLine": 2}]`
	for _, docs := range [][2]string{
		{`{"Results": [{"Target": "img", ` + vulns + `, ` + secrets + `}]}`, `{"Results": [{` + secrets + `, ` + vulns + `, "Target": "img"}]}`},
		{`{"Resources": [{"Namespace": "ns", "Kind": "Pod", "Name": "a", "Results": [{"Target": "img", ` + vulns + `}]}]}`,
			`{"Resources": [{"Results": [{` + vulns + `, "Target": "img"}], "Kind": "Pod", "Namespace": "ns", "Name": "a"}]}`},
	} {
		inOrder, err := findings.Parse(trivy, strings.NewReader(docs[0]))
		if err != nil || len(inOrder) == 0 || !strings.Contains(inOrder[0].Description, "img") {
			t.Fatalf("trivy in order: %+v, %v", inOrder, err)
		}
		reordered, err := findings.Parse(trivy, strings.NewReader(docs[1]))
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(reordered, func(a, b findings.Finding) int { return strings.Compare(a.Title, b.Title) })
		slices.SortFunc(inOrder, func(a, b findings.Finding) int { return strings.Compare(a.Title, b.Title) })
		if !reflect.DeepEqual(inOrder, reordered) {
			t.Fatalf("trivy out of order read differently:\n%+v\n%+v", reordered, inOrder)
		}
	}
}
