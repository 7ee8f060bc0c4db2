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

// expected are the sample reports with the counts DefectDojo's own tests
// expect (see fixtures.DojoSamples).
var expected = fixtures.DojoSamples

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
		t.Run(tt.File, func(t *testing.T) {
			p, err := Lookup(tt.ScanType)
			if err != nil {
				t.Fatal(err)
			}
			f, err := fixtures.Open(dojo + tt.File)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := findings.Parse(p, f)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.Count {
				t.Fatalf("%d findings, DefectDojo's tests expect %d", len(got), tt.Count)
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
			golden(t, filepath.Join("testdata", strings.ReplaceAll(tt.File, "/", "_")+".golden.json"), sums)
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
		data, err := fixtures.ReadFile(dojo + tt.File)
		if err != nil {
			f.Fatal(err)
		}
		if len(data) < 20000 {
			f.Add(tt.ScanType, data)
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
		if tt.Count < 2 {
			continue
		}
		t.Run(tt.File, func(t *testing.T) {
			data, err := fixtures.ReadFile(dojo + tt.File)
			if err != nil {
				t.Fatal(err)
			}
			p, _ := Lookup(tt.ScanType)
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
		if tt.Count < 2 {
			continue
		}
		t.Run(tt.File, func(t *testing.T) {
			f, err := fixtures.Open(dojo + tt.File)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			p, _ := Lookup(tt.ScanType)
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
