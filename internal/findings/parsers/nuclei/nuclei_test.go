package nuclei

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/parsertest"
	"github.com/secbot/secbot/internal/testenv/fixtures"
)

func parse(t *testing.T, report string) []findings.Finding {
	t.Helper()
	return parsertest.Parse(t, Parser{}, report)
}

const openssh = `{"template-id": "CVE-2018-15473", "info": {"name": "OpenSSH Username Enumeration v7.7",
	"author": ["r3dg33k"], "tags": ["network", "openssh", "cve"], "description": "OpenSSH through 7.7 is prone to a user enumeration vulnerability.",
	"reference": ["https://nvd.nist.gov/vuln/detail/cve-2018-15473"], "severity": "medium", "remediation": "Upgrade OpenSSH.",
	"classification": {"cve-id": ["cve-2018-15473"], "cwe-id": ["cwe-362"], "cvss-metrics": "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", "cvss-score": 5.3}},
	"type": "network", "host": "https://nuclei-example.com", "matched-at": "nuclei-example.com:22",
	"extracted-results": ["SSH-2.0-OpenSSH_7.4p1 Debian-10+deb9u7"], "ip": "127.0.0.1",
	"timestamp": "2022-03-20T22:43:31.231312071-03:00", "matcher-status": true}`

// TestResult pins the fields DefectDojo's parser maps (its test of
// many_findings_new.json asserts the same of this finding).
func TestResult(t *testing.T) {
	got := parse(t, openssh)
	if len(got) != 1 {
		t.Fatalf("%d findings", len(got))
	}
	f := got[0]
	want := findings.Finding{
		Title: "OpenSSH Username Enumeration v7.7", Severity: findings.Medium, CWE: 362,
		VulnIDFromTool: "CVE-2018-15473", VulnerabilityIDs: []string{"CVE-2018-15473"},
		Description: "OpenSSH through 7.7 is prone to a user enumeration vulnerability.\n**Results:**\nSSH-2.0-OpenSSH_7.4p1 Debian-10+deb9u7",
		Mitigation:  "Upgrade OpenSSH.", References: "https://nvd.nist.gov/vuln/detail/cve-2018-15473",
		Tags: []string{"network", "openssh", "cve"}, DynamicFinding: true, NbOccurences: 1,
		Date:      time.Date(2022, 3, 21, 1, 43, 31, 231312071, time.UTC),
		RepeatKey: repeatKey("CVE-2018-15473network", "nuclei-example.com"),
	}
	if !f.Date.Equal(want.Date) {
		t.Fatalf("date %v, want %v", f.Date, want.Date)
	}
	f.Date = want.Date
	if !reflect.DeepEqual(f, want) {
		t.Fatalf("got  %+v\nwant %+v", f, want)
	}
}

// TestListAndLinesReadAlike reads the same results as JSON lines and as
// nuclei's JSON list: the same findings.
func TestListAndLinesReadAlike(t *testing.T) {
	second := strings.NewReplacer(`"CVE-2018-15473"`, `"prometheus-metrics"`, `"cwe-362"`, `"cwe-200"`).Replace(openssh)
	lines := parse(t, openssh+"\n"+second+"\n")
	list := parse(t, "[\n  "+openssh+",\n  "+second+"\n]")
	if len(lines) != 2 || !reflect.DeepEqual(lines, list) {
		t.Fatalf("lines %+v\nlist  %+v", lines, list)
	}
}

// TestOlderKeys reads nuclei's output before v2.5: templateID, matched,
// matcher_name, tags as one comma-separated string, one reference.
func TestOlderKeys(t *testing.T) {
	got := parse(t, `{"templateID":"tech-detect","info":{"name":"Wappalyzer Technology Detection","author":"hakluke","severity":"info",
		"tags":"tech,network","reference":"https://example.org/ref"},"matcher_name":"bootstrap","type":"http",
		"host":"http://127.0.0.1:8080/WebGoat","matched":"http://127.0.0.1:8080/WebGoat","timestamp":"2021-05-20T11:11:11.695184+03:00"}`)
	if len(got) != 1 {
		t.Fatalf("%d findings", len(got))
	}
	f := got[0]
	if f.VulnIDFromTool != "tech-detect" || f.ComponentName != "bootstrap" || f.Severity != findings.Info ||
		!reflect.DeepEqual(f.Tags, []string{"tech", "network"}) || f.References != "https://example.org/ref" || f.Description != "" {
		t.Fatalf("%+v", f)
	}
}

// TestMatchesOnOneHostAreOneFinding: a template, type and matcher on one
// host (any port or path) is one finding; another host is another.
func TestMatchesOnOneHostAreOneFinding(t *testing.T) {
	at := func(where string) string {
		return `{"template-id": "tech-detect", "info": {"name": "Tech", "severity": "info"}, "type": "http",
			"matcher-name": "nginx", "matched-at": "` + where + `"}`
	}
	got := parse(t, at("http://127.0.0.1:8080/WebGoat")+"\n"+at("http://127.0.0.1:9090/WebWolf")+"\n"+at("https://example.com/"))
	if len(got) != 2 || got[0].NbOccurences != 2 || got[1].NbOccurences != 1 {
		t.Fatalf("%+v", got)
	}
}

// TestHashCodes checks the hash codes DefectDojo's test asserts for
// multiple_matches.json: two matchers of one template are two findings.
func TestHashCodes(t *testing.T) {
	data, err := fixtures.ReadFile("defectdojo/nuclei/multiple_matches.json")
	if err != nil {
		t.Fatal(err)
	}
	got := parse(t, string(data))
	fields := findings.DedupFor("Nuclei Scan").Fields
	want := []string{"e7ffb8136ce875351828c8f27f930a05b6cab0a52d31e3961df7a0031fffe37f", "65e95106ab3c53cd42f384804a4a9087f43616f863e90c34818086862df253ec"}
	if len(got) != 2 {
		t.Fatalf("%d findings", len(got))
	}
	for i, f := range got {
		if h := findings.HashCode(f, fields); h != want[i] {
			t.Errorf("finding %d (%s) hashes to %s, DefectDojo's to %s", i, f.ComponentName, h, want[i])
		}
	}
}

func TestSeverityAndCWE(t *testing.T) {
	got := parse(t, `[{"template-id": "a", "info": {"name": "A", "severity": "unknown", "classification": {"cwe-id": ["nvd-cve-other"], "cve-id": null}}},
		{"template-id": "b", "info": {"name": "B", "severity": "CRITICAL"}}, {"template-id": "c", "info": {"name": "C"}}]`)
	if len(got) != 3 || got[0].Severity != findings.Low || got[0].CWE != 0 || got[0].VulnerabilityIDs != nil ||
		got[1].Severity != findings.Critical || got[2].Severity != findings.Low {
		t.Fatalf("%+v", got)
	}
}

func TestEmptyReports(t *testing.T) {
	for _, body := range []string{"", "\n\n  \n", "[]"} {
		if got := parse(t, body); len(got) != 0 {
			t.Fatalf("%q: %+v", body, got)
		}
	}
}

func TestNotANucleiReport(t *testing.T) {
	for name, body := range map[string]string{
		"binary":           "\x00\x01",
		"no info":          `{"template-id": "x"}`,
		"a number line":    openssh + "\n42\n",
		"trailing garbage": openssh + "\n]",
		"cut short":        openssh[:len(openssh)/2],
	} {
		t.Run(name, func(t *testing.T) {
			_, err := findings.Parse(Parser{}, strings.NewReader(body))
			if !errors.Is(err, findings.ErrFormat) || !strings.Contains(err.Error(), "nuclei -jsonl") {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestHost(t *testing.T) {
	for matched, want := range map[string]string{
		"nuclei-example.com:22":               "nuclei-example.com",
		"https://nuclei-example.com/metrics":  "nuclei-example.com",
		"www.asdf.de":                         "www.asdf.de",
		"http://dvwa_dvwa_1//phpinfo.php":     "dvwa_dvwa_1",
		"https://user@example.com:8443/%zz":   "example.com",
		"https://[2001:db8::1]:443/index.php": "2001:db8::1",
		"":                                    "",
	} {
		if got := host(matched); got != want {
			t.Errorf("host(%q) = %q, want %q", matched, got, want)
		}
	}
}
