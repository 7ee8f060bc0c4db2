package semgrep

import (
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/testenv/fixtures"
)

// TestRepeatedResults: semgrep's two results of one rule at one line of
// one file are one finding with two occurrences, as DefectDojo's test of
// its sample asserts.
func TestRepeatedResults(t *testing.T) {
	f, err := fixtures.Open("defectdojo/semgrep/repeated_findings.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := findings.Parse(Parser{}, f)
	if err != nil || len(got) != 1 {
		t.Fatalf("%d findings, %v", len(got), err)
	}
	r := got[0]
	if r.NbOccurences != 2 || r.Severity != findings.Medium || r.Line != 66 || r.CWE != 696 ||
		r.FilePath != "src/main/java/org/owasp/benchmark/testcode/BenchmarkTest01150.java" ||
		r.VulnIDFromTool != "java.lang.security.audit.cbc-padding-oracle.cbc-padding-oracle" ||
		r.Mitigation != `javax crypto Cipher.getInstance("AES/GCM/NoPadding");` ||
		!strings.HasPrefix(r.Description, "**Result message:** Using CBC with PKCS5Padding is susceptible") ||
		!strings.HasSuffix(r.Description, "**Snippet:**\n```\t\t\tjavax.crypto.Cipher c = javax.crypto.Cipher.getInstance(\"DES/CBC/PKCS5Padding\");```\n") {
		t.Fatalf("%+v", r)
	}
}

// TestSupplyChain reads Semgrep Supply Chain's vulns, as in DefectDojo's
// sample: the advisory, the dependency file's location (its line a
// string), the CWE; the two vulns at one place are one finding.
func TestSupplyChain(t *testing.T) {
	vuln := func(repo, line string) string {
		return `{"title": "Reachable Assertion in grpc", "advisory": {"ruleId": "ssc-1", "title": "Reachable Assertion in grpc",
			"description": "grpc versions before 1.53.0 are vulnerable.", "severity": "HIGH",
			"references": {"cveIds": ["CVE-2023-1428"], "cweIds": ["CWE-617: Reachable Assertion"]}},
			"repositoryId": "` + repo + `", "dependencyFileLocation": {"path": "requirements3.txt", "startLine": "` + line + `"}}`
	}
	report := `{"vulns": [` + vuln("136260", "222") + `, ` + vuln("136029", "80") + `, ` + vuln("136260", "222") + `]}`
	got, err := findings.Parse(Parser{}, strings.NewReader(report))
	if err != nil || len(got) != 2 {
		t.Fatalf("%d findings, %v", len(got), err)
	}
	v := got[0]
	if v.Title != "Reachable Assertion in grpc" || v.Severity != findings.High || v.FilePath != "requirements3.txt" ||
		v.Line != 222 || v.CWE != 617 || v.VulnIDFromTool != "136260" || v.NbOccurences != 2 ||
		v.Description != "grpc versions before 1.53.0 are vulnerable." || got[1].Line != 80 {
		t.Fatalf("%+v\n%+v", v, got[1])
	}
}

func TestFixRegexAndFingerprints(t *testing.T) {
	report := `{"results": [{"check_id": "r", "path": "a.py", "start": {"line": 3}, "extra": {"message": "m", "severity": "INFO",
		"fingerprint": "requires login", "fix_regex": {"regex": "a<b", "replacement": "c", "count": 1}, "metadata": {}}},
		{"check_id": "r", "path": "a.py", "start": {"line": 4}, "extra": {"message": "m", "severity": "ERROR",
		"fingerprint": "abc", "metadata": {"cwe": ["CWE-79: XSS"]}}}]}`
	got, err := findings.Parse(Parser{}, strings.NewReader(report))
	if err != nil || len(got) != 2 {
		t.Fatalf("%+v, %v", got, err)
	}
	want := "**You can automaticaly apply this regex:**\n\n```\n\n" + `{"regex": "a<b", "replacement": "c", "count": 1}` + "\n\n```\n"
	if got[0].Mitigation != want || got[0].UniqueIDFromTool != "" || got[0].Severity != findings.Low {
		t.Fatalf("%q %+v", got[0].Mitigation, got[0])
	}
	if got[1].UniqueIDFromTool != "abc" || got[1].CWE != 79 || got[1].Severity != findings.High {
		t.Fatalf("%+v", got[1])
	}
	if c := string(compact([]byte(`{"a": [1, {"b": null}], "c": "x"}`))); c != `{"a": [1, {"b": null}], "c": "x"}` {
		t.Fatalf("compact: %s", c)
	}
}
