package gitlabreport

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/jsonstream"
	"github.com/secbot/secbot/internal/findings/parsers/parsertest"
	"github.com/secbot/secbot/internal/testenv/fixtures"
)

func parse(t *testing.T, p findings.Parser, report string) []findings.Finding {
	t.Helper()
	return parsertest.Parse(t, p, report)
}

func one(t *testing.T, p findings.Parser, report string) findings.Finding {
	t.Helper()
	got := parse(t, p, report)
	if len(got) != 1 {
		t.Fatalf("%d findings, want 1: %+v", len(got), got)
	}
	return got[0]
}

const sastReport = `{"version": "15.0.4", "vulnerabilities": [{
	"id": "abc123", "name": "SQL injection", "message": "Tainted query", "description": "User input reaches the query.",
	"severity": "High", "confidence": "Medium", "solution": "Use prepared statements.",
	"location": {"file": "app/db.py", "start_line": 10, "end_line": 12, "class": "Db", "method": "run"},
	"identifiers": [
		{"type": "semgrep_id", "name": "python.sqli", "value": "python.sqli", "url": "https://semgrep.dev/r/python.sqli"},
		{"type": "CWE", "name": "CWE-79", "value": "79"},
		{"type": "cwe", "name": "CWE-89", "value": 89},
		{"type": "cwe", "name": "CWE-943", "value": "CWE-943"},
		{"type": "cve", "name": "CVE-2024-1234", "value": "CVE-2024-1234"},
		{"type": "owasp", "name": "A03", "value": 3}
	]}],
	"scan": {"scanner": {"id": "semgrep", "name": "Semgrep"}, "type": "sast", "end_time": "2024-05-01T10:00:00"}}`

func TestSASTFinding(t *testing.T) {
	f := one(t, SAST{}, sastReport)
	want := findings.Finding{
		Title: "SQL injection", Severity: findings.High,
		Description: "Scanner: Semgrep\nTainted query\nUser input reaches the query.\n",
		Mitigation:  "Use prepared statements.",
		References: "Identifier type: semgrep_id\nName: python.sqli\nValue: python.sqli\nURL: https://semgrep.dev/r/python.sqli\n\n" +
			"Identifier type: owasp\nName: A03\nValue: 3\n\n",
		// The last CWE given as digits: DefectDojo's SAST parser reads no "CWE-943".
		CWE: 89, FilePath: "app/db.py", Line: 12, UniqueIDFromTool: "abc123",
		VulnerabilityIDs: []string{"CVE-2024-1234"}, StaticFinding: true, NbOccurences: 1,
		RepeatKey: repeatKey("GitLab SAST Report", "abc123"),
	}
	if !reflect.DeepEqual(f, want) {
		t.Fatalf("got\n%+v\nwant\n%+v", f, want)
	}
}

func TestSASTOlderShapes(t *testing.T) {
	// Schema v14 and older: no id (the cve fingerprint is the unique id),
	// no scan, an undefined severity, the name missing.
	f := one(t, SAST{}, `{"vulnerabilities": [{"cve": "a.cs:98:SCS0029", "message": "Potential XSS",
		"severity": "Undefined", "location": {"file": "a.cs", "start_line": "98"}}]}`)
	if f.Title != "[Undefined severity] Potential XSS" || f.Severity != findings.Info || f.UniqueIDFromTool != "a.cs:98:SCS0029" ||
		f.Line != 98 || f.Description != "Scanner: Could not be determined\nPotential XSS\n" || f.CWE != 0 {
		t.Fatalf("%+v", f)
	}
	f = one(t, SAST{}, `{"vulnerabilities": [{"id": "x", "location": {}}]}`)
	if f.Title != "[None severity] x" || f.Severity != findings.Info || f.FilePath != "" || f.Line != 0 {
		t.Fatalf("a bare vulnerability: %+v", f)
	}
}

func TestSASTKeepsOneFindingPerID(t *testing.T) {
	got := parse(t, SAST{}, `{"vulnerabilities": [
		{"id": "same", "name": "first", "severity": "Low", "location": {"file": "a"}},
		{"id": "other", "name": "second", "severity": "Low", "location": {"file": "b"}},
		{"id": "same", "name": "first again", "severity": "Low", "location": {"file": "a"}}]}`)
	if len(got) != 2 || got[0].Title != "first" || got[0].NbOccurences != 2 || got[1].Title != "second" {
		t.Fatalf("%+v", got)
	}
}

func TestDependencyScanningFinding(t *testing.T) {
	f := one(t, DependencyScanning{}, `{"vulnerabilities": [{"id": "d1", "name": "Nil Pointer Dereference",
		"message": "Nil Pointer Dereference in golang.org/x/crypto", "description": "A nil pointer dereference.",
		"severity": "High", "solution": "Upgrade.",
		"location": {"file": "go.sum", "dependency": {"package": {"name": "golang.org/x/crypto"}, "version": "v0.1.0"}},
		"identifiers": [{"type": "gemnasium", "name": "Gemnasium-1", "value": "1"},
			{"type": "cwe", "name": "CWE-476", "value": "CWE-476"},
			{"type": "cve", "name": "CVE-2020-29652", "value": "CVE-2020-29652"}]}]}`)
	want := findings.Finding{
		Title: "CVE-2020-29652: Nil Pointer Dereference", Severity: findings.High,
		Description: "Scanner: could not be determined\nNil Pointer Dereference in golang.org/x/crypto\nA nil pointer dereference.\n",
		Mitigation:  "Upgrade.", References: "Identifier type: gemnasium\nName: Gemnasium-1\nValue: 1\n\n", CWE: 476,
		FilePath: "go.sum", ComponentName: "golang.org/x/crypto", ComponentVersion: "v0.1.0", UniqueIDFromTool: "d1",
		VulnerabilityIDs: []string{"CVE-2020-29652"}, StaticFinding: true, NbOccurences: 1,
		RepeatKey: repeatKey("GitLab Dependency Scanning Report", "d1"),
	}
	if !reflect.DeepEqual(f, want) {
		t.Fatalf("got\n%+v\nwant\n%+v", f, want)
	}
	// The hash_code DefectDojo's fields make of it tells components apart.
	fields := findings.DedupFor("GitLab Dependency Scanning Report").Fields
	other := f
	other.ComponentVersion = "v0.2.0"
	if findings.HashCode(f, fields) == findings.HashCode(other, fields) {
		t.Fatal("two versions of a component hash alike")
	}
}

func TestContainerScanningFinding(t *testing.T) {
	report := `{"version": "15.0.0", "vulnerabilities": [
		{"id": "c1", "description": "Out-of-bounds write.", "severity": "Critical", "solution": "Upgrade libc6",
			"location": {"dependency": {"package": {"name": "libc6"}, "version": "2.28-10"}, "image": "img"},
			"identifiers": [{"type": "cwe", "value": "CWE-787"}, {"type": "cve", "value": "CVE-2020-1751"},
				{"type": "cve", "value": "CVE-2020-1752"}]},
		{"id": "c2", "description": "d", "severity": "Unknown", "location": {"dependency": {"version": "1.0"}},
			"identifiers": [{"type": "cwe", "value": 79}]},
		{"id": "c3", "message": "Given title", "description": "d", "severity": "Low", "location": {"dependency": {}},
			"identifiers": []}],
		"scan": {"scanner": {"name": "Trivy"}, "end_time": "2021-04-14T19:46:18"}}`
	got := parse(t, ContainerScanning{}, report)
	if len(got) != 3 {
		t.Fatalf("%d findings", len(got))
	}
	date := time.Date(2021, 4, 14, 19, 46, 18, 0, time.UTC)
	want := findings.Finding{
		Title: "CVE-2020-1751 in libc6-2.28-10", Severity: findings.Critical, Description: "Out-of-bounds write.",
		Mitigation: "Upgrade libc6", CWE: 787, ComponentName: "libc6", ComponentVersion: "2.28-10", UniqueIDFromTool: "c1",
		VulnerabilityIDs: []string{"CVE-2020-1751", "CVE-2020-1752"}, Date: date, StaticFinding: true, NbOccurences: 1,
	}
	if !reflect.DeepEqual(got[0], want) {
		t.Fatalf("got\n%+v\nwant\n%+v", got[0], want)
	}
	if got[1].Title != "CWE-79 in unknown-package-1.0" || got[1].Severity != findings.Info || got[1].CWE != 79 ||
		got[1].ComponentName != "" || got[1].VulnerabilityIDs != nil {
		t.Fatalf("no CVE, no package name: %+v", got[1])
	}
	if got[2].Title != "Given title" {
		t.Fatalf("a message is the title: %+v", got[2])
	}
	if f := one(t, ContainerScanning{}, `{"vulnerabilities": [{"id": "n", "location": {"dependency": {}}}]}`); f.Title != "None in None" {
		t.Fatalf("nothing to name it by: %q", f.Title)
	}
}

func TestShorten(t *testing.T) {
	for _, tt := range []struct {
		in    string
		width int
		want  string
	}{
		{"libc6", 10, "libc6"},
		{"  a   b\tc ", 10, "a b c"},
		{"alpha beta gamma", 16, "alpha beta gamma"},
		{"alpha beta gamma", 15, "alpha beta..."},
		{"alpha beta gamma", 13, "alpha beta..."},
		{"alpha beta gamma", 12, "alpha..."},
		{strings.Repeat("x", 200), 190, "..."},
		{"ééé ééé", 6, "ééé..."},
	} {
		if got := shorten(tt.in, tt.width); got != tt.want {
			t.Errorf("shorten(%q, %d) = %q, want %q", tt.in, tt.width, got, tt.want)
		}
	}
}

func TestDASTFinding(t *testing.T) {
	alert := func(id, path string) string {
		return `{"id": "` + id + `", "name": "PII Disclosure", "message": "PII found", "description": "unused",
			"severity": "High", "solution": "Do not show it.", "discovered_at": "2021-04-23T15:46:40.615",
			"identifiers": [{"type": "ZAProxy_PluginId", "value": "10062"}, {"type": "CWE", "value": "359"},
				{"type": "cwe", "value": "200"}],
			"links": [{"url": "https://a.example"}, {"url": "https://b.example"}],
			"location": {"hostname": "http://api", "path": "` + path + `"}}`
	}
	got := parse(t, DAST{}, `{"vulnerabilities": [`+alert("d1", "/a")+`, `+alert("d2", "/b")+`,
		{"id": "d3", "severity": "Low", "description": "no name", "identifiers": [], "links": []}],
		"scan": {"scanner": {"name": "ZAP"}}}`)
	if len(got) != 2 {
		t.Fatalf("%d findings, want the two alike as one and the other: %+v", len(got), got)
	}
	want := findings.Finding{
		Title: "PII Disclosure", Severity: findings.High, Description: "Scanner: ZAP\nPII found\n",
		Mitigation: "Do not show it.", References: "https://a.example\nhttps://b.example", CWE: 359, UniqueIDFromTool: "d1",
		Date: time.Date(2021, 4, 23, 15, 46, 40, 615e6, time.UTC), DynamicFinding: true, NbOccurences: 2,
		RepeatKey: repeatKey("GitLab DAST Report", "High", "PII Disclosure", "Scanner: ZAP\nPII found\n"),
	}
	if !reflect.DeepEqual(got[0], want) {
		t.Fatalf("got\n%+v\nwant\n%+v", got[0], want)
	}
	if got[1].Title != "d3" || got[1].Description != "Scanner: ZAP\nno name\n" || got[1].References != "" || got[1].StaticFinding {
		t.Fatalf("a nameless alert: %+v", got[1])
	}
}

func TestSecretDetectionFinding(t *testing.T) {
	data, err := fixtures.ReadFile("defectdojo/gitlab_secret_detection_report/gitlab_secret_detection_report_1_vuln_v14.json")
	if err != nil {
		t.Fatal(err)
	}
	f := one(t, SecretDetection{}, string(data))
	// DefectDojo's own test expects "AWS\nAKIAIOSFODNN7EXAMPLE": the secret.
	want := findings.Finding{
		Title: "AWS detected; please remove and revoke it if this is a leak.", Severity: findings.Critical,
		Description: "AWS\nREDACTED", FilePath: "README.md", Line: 5, Date: time.Date(2021, 6, 2, 9, 13, 9, 0, time.UTC),
		UniqueIDFromTool: "714ed3e4e289ad35a089e0a888e8d0120b6a6083b1090a189cbc6a3227396240",
		StaticFinding:    true, NbOccurences: 1,
	}
	if !reflect.DeepEqual(f, want) {
		t.Fatalf("got\n%+v\nwant\n%+v", f, want)
	}
}

// TestSecretsAreRedacted puts the secret everywhere a report could carry
// it, at any length: it is nowhere in the findings.
func TestSecretsAreRedacted(t *testing.T) {
	for _, secret := range []string{"glpat-9Hq2LmXv7TzR4kWb1Nc8", "-----BEGIN KEY-----" + strings.Repeat("k", jsonstream.MaxString)} {
		report := `{"vulnerabilities": [{"id": "s1", "name": "GitLab token ` + secret + `",
			"description": "Found ` + secret + ` in the file", "severity": "Critical",
			"raw_source_code_extract": "` + secret + `", "location": {"file": "conf/` + secret + `.env", "start_line": 3}}]}`
		f := one(t, SecretDetection{}, report)
		clue := secret[:24]
		if s := fmt.Sprintf("%+v", f); strings.Contains(s, clue) {
			t.Fatalf("the secret shows in the finding: %.400s", s)
		}
		if !strings.HasPrefix(f.Title, "GitLab token REDACTED") || !strings.HasSuffix(f.Title, " "+detected) ||
			!strings.HasPrefix(f.Description, "Found REDACTED") || !strings.HasSuffix(f.Description, "\nREDACTED") ||
			!strings.HasPrefix(f.FilePath, "conf/REDACTED") {
			t.Fatalf("%.400s / %.400s / %.100s", f.Title, f.Description, f.FilePath)
		}
	}
}

// TestScanInAnyPlace reads one report with its scan after, before and
// without its vulnerabilities' neighbours: the findings are the same.
func TestScanInAnyPlace(t *testing.T) {
	const vulns = `"vulnerabilities": [{"id": "a", "name": "A", "severity": "High", "location": {"file": "x"}},
		{"id": "b", "name": "B", "severity": "Low", "location": {"file": "y"}}]`
	const scan = `"scan": {"scanner": {"name": "Semgrep"}, "end_time": "2024-05-01T10:00:00"}`
	for _, p := range []findings.Parser{SAST{}, SecretDetection{}, DependencyScanning{}, ContainerScanning{}, DAST{}} {
		after := parse(t, p, `{"version": "15.0.0", `+vulns+`, "remediations": [], `+scan+`}`)
		before := parse(t, p, `{`+scan+`, "version": "15.0.0", `+vulns+`}`)
		if len(after) != 2 || !reflect.DeepEqual(after, before) {
			t.Fatalf("%s: the scan after the vulnerabilities reads\n%+v\nbefore them\n%+v", p.ScanType(), after, before)
		}
	}
	if f := parse(t, SAST{}, `{`+vulns+`, `+scan+`}`)[0]; !strings.HasPrefix(f.Description, "Scanner: Semgrep\n") {
		t.Fatalf("the spooled findings lack their scan: %q", f.Description)
	}
}

func TestBrokenReports(t *testing.T) {
	for name, tt := range map[string]struct{ report, says string }{
		"empty":                {"", "GitLab SAST Report wants"},
		"a list":               {`[]`, "want a JSON object"},
		"no vulnerabilities":   {`{"version": "15.0.0", "scan": {}}`, `no "vulnerabilities" list`},
		"vulnerabilities null": {`{"vulnerabilities": null}`, "want a JSON array, found null"},
		"a string as finding":  {`{"vulnerabilities": [{"id": "a", "location": {}}, "oops"]}`, "vulnerability 1"},
		"a word as line":       {`{"vulnerabilities": [{"id": "a", "location": {"start_line": "ten"}}]}`, `line "ten"`},
		"an object as value":   {`{"vulnerabilities": [{"id": "a", "identifiers": [{"type": "cwe", "value": {}}]}]}`, "vulnerability 0"},
		"cut short":            {`{"vulnerabilities": [{"id": "a"}, {"id": `, "unexpected EOF"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := findings.Parse(SAST{}, strings.NewReader(tt.report))
			if !errors.Is(err, findings.ErrFormat) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("err = %v, want ErrFormat saying %q", err, tt.says)
			}
		})
	}
	if got := parse(t, DAST{}, `{"vulnerabilities": []}`); len(got) != 0 {
		t.Fatalf("an empty list: %+v", got)
	}
}

func TestRedactCutCopies(t *testing.T) {
	const secret = "AKIAIOSFODNN7EXAMPLEwJalrXUtnFEMI"
	for _, tt := range []struct{ in, want string }{
		{"key " + secret + " end", "key REDACTED end"},
		{"cut " + secret[:20] + "…[truncated: 9 more bytes]", "cut REDACTED…[truncated: 9 more bytes]"},
		{"too short to tell " + secret[:15], "too short to tell " + secret[:15]},
		{secret[:16] + "x" + secret, "REDACTEDxREDACTED"},
	} {
		if got := redactCutCopies(tt.in, secret); got != tt.want {
			t.Errorf("redactCutCopies(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := redactCutCopies("a pw b pw", "pw"); got != "a REDACTED b REDACTED" {
		t.Errorf("a short secret: %q", got)
	}
}
