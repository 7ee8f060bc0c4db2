package reportfilter_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers"
	"github.com/secbot/secbot/internal/reportfilter"
	"github.com/secbot/secbot/internal/testenv/fixtures"
)

// fixtureCase filters a real report with a keep() that accepts some
// files. accept are the paths keep() accepts (and must be asked about);
// written are the same files as the report writes them, which the test's
// own filter (oracle) compares with the raw field.
type fixtureCase struct {
	scanType, file string
	name           string // for a case the table has more of

	transform       func([]byte) []byte // applied to the fixture first, or nil
	accept, written []string
	seen            []string // when set, every path keep() must be asked about
	kept, dropped   int
}

var fixtureCases = []fixtureCase{
	{scanType: "SARIF", file: "sarif/flawfinder.sarif", // SRCROOT is defined nowhere: the paths stay relative
		accept: []string{"src/common/io.cc", "src/learner.cc"}, written: []string{"src/common/io.cc", "src/learner.cc"}, kept: 17, dropped: 37},
	{scanType: "SARIF", file: "sarif/flawfinder.sarif", name: "dot slash and percent-encoding",
		transform: replace(`"uri": "src/common/io.cc"`, `"uri": "./src/common/i%6F.cc"`),
		accept:    []string{"src/common/io.cc"}, written: []string{"./src/common/i%6F.cc"}, kept: 12, dropped: 42},
	{scanType: "SARIF", file: "sarif/appendix_k.sarif", // SRCROOT is " src/" below PROJECTROOT, file://build.example.com/work/
		accept: []string{"//build.example.com/work/ src/collections/list.h"}, written: []string{"collections/list.h"}, kept: 1,
		seen: []string{"//build.example.com/work/ src/collections/list.h"}},
	{scanType: "SARIF", file: "sarif/bash-report.sarif",
		accept:  []string{"/home/damien/dd/docker/setEnv.sh", "/home/damien/dd/entrypoint_scripts/common/common-os.sh"},
		written: []string{"file:///home/damien/dd/docker/setEnv.sh", "file:///home/damien/dd/entrypoint_scripts/common/common-os.sh"},
		kept:    3, dropped: 24},
	{scanType: "SARIF", file: "sarif/njsscan.sarif", accept: []string{"/src/index.js"}, written: []string{"file:///src/index.js"}, kept: 2},
	{scanType: "SARIF", file: "sarif/njsscan.sarif", name: "none accepted", dropped: 2},
	{scanType: "SARIF", file: "sarif/no_runs.sarif"},
	{scanType: "Bandit Scan", file: "bandit/many_vulns.json", // written on Windows
		accept:  []string{"dojo/templatetags/display_tags.py", "dojo/forms.py"},
		written: []string{`dojo/templatetags\display_tags.py`, "dojo/forms.py"}, kept: 69, dropped: 145},
	{scanType: "Bandit Scan", file: "bandit/one_vuln.json", name: "dot slash",
		transform: replace(`"filename": "one/one.py"`, `"filename": "./one/one.py"`),
		accept:    []string{"one/one.py"}, written: []string{"./one/one.py"}, kept: 1},
	{scanType: "Bandit Scan", file: "bandit/one_vuln.json", name: "none accepted", dropped: 1},
	{scanType: "Bandit Scan", file: "bandit/no_vuln.json"},
	{scanType: "Semgrep JSON Report", file: "semgrep/many_findings.json",
		accept:  []string{"src/main/java/org/owasp/benchmark/testcode/BenchmarkTest02195.java"},
		written: []string{"src/main/java/org/owasp/benchmark/testcode/BenchmarkTest02195.java"}, kept: 1, dropped: 2},
	{scanType: "Semgrep JSON Report", file: "semgrep/empty.json"},
	{scanType: "Gitleaks Scan", file: "gitleaks/gitleaks8_many.json", accept: []string{"/conf/aws.tf"}, written: []string{"/conf/aws.tf"}, kept: 2, dropped: 2},
	{scanType: "Gitleaks Scan", file: "gitleaks/data_one.json", // v7: "file"
		accept: []string{"cert-key.pem"}, written: []string{"cert-key.pem"}, kept: 1},
	{scanType: "Gitleaks Scan", file: "gitleaks/no_findings.json"},
	{scanType: "Trivy Scan", file: "trivy/misconfigurations_and_secrets.json", // a misconfiguration and a secret
		accept: []string{"Dockerfile"}, written: []string{"Dockerfile"}, kept: 2, dropped: 3},
	{scanType: "Trivy Scan", file: "trivy/scheme_2_many_vulns.json",
		accept:  []string{"app/libs/commons-compress-1.14.jar"},
		written: []string{"app/libs/commons-compress-1.14.jar"}, kept: 2, dropped: 3},
	{scanType: "Trivy Scan", file: "trivy/scheme_2_no_vuln.json"},
	{scanType: "Gosec Scanner", file: "gosec/many_vulns.json",
		accept: []string{"/vagrant/go/src/govwa/user/user.go"}, written: []string{"/vagrant/go/src/govwa/user/user.go"}, kept: 3, dropped: 25},
	{scanType: "GitLab SAST Report", file: "gitlab_sast/gl-sast-report-cwe_v15.json",
		accept:  []string{"src/main/java/servlets/module/lesson/XssLesson.java"},
		written: []string{"src/main/java/servlets/module/lesson/XssLesson.java"}, kept: 1, dropped: 2},
	{scanType: "GitLab SAST Report", file: "gitlab_sast/gl-sast-report-0-vuln.json"},
	{scanType: "GitLab Secret Detection Report", file: "gitlab_secret_detection_report/gitlab_secret_detection_report_3_vuln_v15.json",
		accept: []string{"README.md"}, written: []string{"README.md"}, kept: 3},
	{scanType: "GitLab Dependency Scanning Report", file: "gitlab_dep_scan/gl-dependency-scanning-report-2-vuln-missing-component_v15.json",
		name: "none accepted", dropped: 2},
	{scanType: "GitLab Container Scan", file: "gitlab_container_scan/gl-container-scanning-report-5-vuln_v15.json", kept: 5}, // no files
	{scanType: "GitLab DAST Report", file: "gitlab_dast/gitlab_dast_many_vul_v14.json", kept: 10},                            // URLs, no files
}

func replace(old, new string) func([]byte) []byte {
	return func(b []byte) []byte { return bytes.ReplaceAll(b, []byte(old), []byte(new)) }
}

func (c fixtureCase) report(t *testing.T) []byte {
	t.Helper()
	data, err := fixtures.ReadFile("defectdojo/" + c.file)
	if err != nil {
		t.Fatal(err)
	}
	if c.transform != nil {
		changed := c.transform(data)
		if bytes.Equal(changed, data) {
			t.Fatal("the transform changed nothing")
		}
		data = changed
	}
	return data
}

func TestFilterFixtures(t *testing.T) {
	for _, c := range fixtureCases {
		t.Run(c.file+" "+c.name, func(t *testing.T) {
			data := c.report(t)
			var seen []string
			var out bytes.Buffer
			kept, dropped, err := reportfilter.Filter(c.scanType, bytes.NewReader(data), &out, func(path string) bool {
				seen = append(seen, path)
				return slices.Contains(c.accept, path)
			})
			if err != nil {
				t.Fatal(err)
			}
			if kept != c.kept || dropped != c.dropped {
				t.Errorf("kept %d and dropped %d findings, want %d and %d", kept, dropped, c.kept, c.dropped)
			}
			for _, path := range c.accept {
				if !slices.Contains(seen, path) {
					t.Errorf("keep() was not asked about %q; it was asked about %q", path, seen)
				}
			}
			if c.seen != nil && !slices.Equal(seen, c.seen) {
				t.Errorf("keep() was asked about %q, want %q", seen, c.seen)
			}
			want, wantKept, wantDropped := oracle(t, c.scanType, data, c.written)
			if wantKept != c.kept || wantDropped != c.dropped {
				t.Fatalf("the test's own filter counts %d and %d: the table is wrong", wantKept, wantDropped)
			}
			if got := decode(t, out.Bytes()); !reflect.DeepEqual(got, want) {
				t.Errorf("the filtered document differs from the original without the dropped findings:\n got %s\nwant %s", out.Bytes(), mustJSON(t, want))
			}
			if got, want := parse(t, c.scanType, out.Bytes()), parse(t, c.scanType, mustJSON(t, want)); !reflect.DeepEqual(got, want) {
				t.Errorf("SecBot's parser reads %d findings in the filtered report, want %d:\n got %+v\nwant %+v", len(got), len(want), got, want)
			}
		})
	}
}

func TestFilterKeepAll(t *testing.T) {
	for _, c := range fixtureCases {
		if c.name != "" {
			continue
		}
		t.Run(c.file, func(t *testing.T) {
			data := c.report(t)
			var out bytes.Buffer
			kept, dropped, err := reportfilter.Filter(c.scanType, bytes.NewReader(data), &out, func(string) bool { return true })
			if err != nil {
				t.Fatal(err)
			}
			if kept != c.kept+c.dropped || dropped != 0 {
				t.Errorf("kept %d and dropped %d findings, want %d and 0", kept, dropped, c.kept+c.dropped)
			}
			if got, want := decode(t, out.Bytes()), decode(t, data); !reflect.DeepEqual(got, want) {
				t.Errorf("the copy differs from the original:\n got %s", out.Bytes())
			}
			if got, want := parse(t, c.scanType, out.Bytes()), parse(t, c.scanType, data); !reflect.DeepEqual(got, want) {
				t.Errorf("SecBot's parser reads %d findings in the copy, %d in the original", len(got), len(want))
			}
		})
	}
}

// oracle filters the report in memory, as the test reads each format:
// the findings whose file, as written, is in written (or that name none)
// stay. It returns the document and the findings it kept and dropped.
func oracle(t *testing.T, scanType string, data []byte, written []string) (doc any, kept, dropped int) {
	t.Helper()
	doc = decode(t, data)
	filter := func(list any, file func(map[string]any) string, count func(map[string]any) int) any {
		items, _ := list.([]any)
		out := []any{}
		for _, item := range items {
			m, _ := item.(map[string]any)
			name := file(m)
			if name == "" || slices.Contains(written, name) {
				out = append(out, item)
				kept += count(m)
			} else {
				dropped += count(m)
			}
		}
		if list == nil {
			return nil
		}
		return out
	}
	field := func(key string) func(map[string]any) string {
		return func(m map[string]any) string { s, _ := m[key].(string); return s }
	}
	one := func(map[string]any) int { return 1 }
	top, _ := doc.(map[string]any)
	switch scanType {
	case "SARIF":
		for _, r := range top["runs"].([]any) {
			run := r.(map[string]any)
			if results, ok := run["results"]; ok {
				run["results"] = filter(results, func(res map[string]any) string {
					locs, _ := res["locations"].([]any)
					if len(locs) == 0 {
						return ""
					}
					uri, _ := locs[0].(map[string]any)["physicalLocation"].(map[string]any)["artifactLocation"].(map[string]any)["uri"].(string)
					return uri
				}, one)
			}
		}
	case "Bandit Scan":
		top["results"] = filter(top["results"], field("filename"), one)
	case "Semgrep JSON Report":
		top["results"] = filter(top["results"], field("path"), one)
	case "Gosec Scanner":
		top["Issues"] = filter(top["Issues"], field("file"), one)
	case "Gitleaks Scan":
		doc = filter(doc, func(m map[string]any) string { return field("File")(m) + field("file")(m) }, one)
	case "Trivy Scan":
		top["Results"] = filter(top["Results"], field("Target"), func(m map[string]any) int {
			n := 0
			for _, list := range []string{"Vulnerabilities", "Misconfigurations", "Secrets", "Licenses"} {
				items, _ := m[list].([]any)
				n += len(items)
			}
			return n
		})
	case "GitLab SAST Report", "GitLab Secret Detection Report", "GitLab Dependency Scanning Report",
		"GitLab Container Scan", "GitLab DAST Report":
		top["vulnerabilities"] = filter(top["vulnerabilities"], func(m map[string]any) string {
			loc, _ := m["location"].(map[string]any)
			return field("file")(loc)
		}, one)
	default:
		t.Fatalf("no oracle for %s", scanType)
	}
	return doc, kept, dropped
}

func decode(t *testing.T, data []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decoding %.200s: %v", data, err)
	}
	return v
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// parse reads a report with SecBot's own parser of its scan type.
func parse(t *testing.T, scanType string, data []byte) []findings.Finding {
	t.Helper()
	p, err := parsers.Lookup(scanType)
	if err != nil {
		t.Fatal(err)
	}
	got, err := findings.Parse(p, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("SecBot's %s parser refuses %.300s: %v", scanType, data, err)
	}
	return got
}

func TestSupports(t *testing.T) {
	for _, scanType := range []string{"SARIF", "Bandit Scan", "Semgrep JSON Report", "Gitleaks Scan", "Trivy Scan", "Gosec Scanner"} {
		if !reportfilter.Supports(scanType) {
			t.Errorf("Supports(%q) is false", scanType)
		}
	}
	for _, scanType := range []string{"ZAP Scan", "sarif", ""} {
		if reportfilter.Supports(scanType) {
			t.Errorf("Supports(%q) is true", scanType)
		}
	}
	// Every type SecBot parses is one Filter knows, but for those listed
	// here: a new parser's reports are filtered, or listed with why not.
	unfiltered := map[string]string{
		"Nuclei Scan":               "its findings are URLs of running services, not files",
		"Checkov Scan":              "no walker for its reports yet (report: all)",
		"TFSec Scan":                "no walker for its reports yet (report: all)",
		"Hadolint Dockerfile check": "no walker for its reports yet (report: all)",
		"Trufflehog Scan":           "JSON lines, which Filter's one-document walkers do not read yet (report: all)",
		"Nosey Parker Scan":         "JSON lines, which Filter's one-document walkers do not read yet (report: all)",
		"Ggshield Scan":             "no walker for its reports yet (report: all)",
		"Detect-secrets Scan":       "no walker for its reports yet (report: all)",
		"Anchore Grype":             "its findings name packages (a lockfile or an image path at most), not changed files",
		"Dependency Track Finding Packaging Format (FPF) Export": "its findings name packages (a lockfile or an image path at most), not changed files",
		"Govulncheck Scanner":     "its findings name packages (a lockfile or an image path at most), not changed files",
		"NPM Audit v7+ Scan":      "its findings name packages (a lockfile or an image path at most), not changed files",
		"OSV Scan":                "its findings name packages (a lockfile or an image path at most), not changed files",
		"pip-audit Scan":          "its findings name packages (a lockfile or an image path at most), not changed files",
		"Snyk Scan":               "its findings name packages (a lockfile or an image path at most), not changed files",
		"Dependency Check Scan":   "XML, which Filter does not walk (its findings name dependencies, not changed files)",
		"CycloneDX Scan":          "a bill of materials: its findings name components, not files",
		"ZAP Scan":                "its findings are URLs of running services, not files",
		"Generic Findings Import": "no walker for its JSON and CSV yet (report: all)",
	}
	for _, scanType := range parsers.ScanTypes() {
		if _, listed := unfiltered[scanType]; reportfilter.Supports(scanType) == listed {
			t.Errorf("SecBot parses %q: Filter knows it %v, listed as unfiltered %v", scanType, !listed, listed)
		}
	}
	if got := strings.Join(reportfilter.ScanTypes(), ","); got != "Bandit Scan,GitLab Container Scan,GitLab DAST Report,GitLab Dependency Scanning Report,GitLab SAST Report,"+
		"GitLab Secret Detection Report,Gitleaks Scan,Gosec Scanner,SARIF,Semgrep JSON Report,Trivy Scan" {
		t.Errorf("ScanTypes() = %s", got)
	}
}
