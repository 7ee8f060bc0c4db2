package sarif

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/parsertest"
)

// TestLongTitlesAreShortenedAtWords: a long message makes a title cut at a
// word to 150 characters with " [...]", as DefectDojo's textwrap.shorten
// cuts it; runs of white space read as one space.
func TestLongTitlesAreShortenedAtWords(t *testing.T) {
	msg := strings.Repeat("éé  ", 60)
	report := `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x","rules":[{"id":"R1","properties":{"security-severity":"9.1"}}]}},
		"results":[{"ruleId":"R1","message":{"text":"` + msg + `"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"a.c"},"region":{"startLine":3}}}]}]}]}`
	got, err := findings.Parse(Parser{}, strings.NewReader(report))
	if err != nil || len(got) != 1 {
		t.Fatalf("%v %v", got, err)
	}
	f := got[0]
	want := strings.Repeat("éé ", 48) + "[...]"
	if !utf8.ValidString(f.Title) || f.Title != want || utf8.RuneCountInString(f.Title) > maxTitle {
		t.Fatalf("title %q (%d runes), want %q", f.Title, utf8.RuneCountInString(f.Title), want)
	}
	if f.Severity != "Critical" || f.FilePath != "a.c" || f.Line != 3 {
		t.Fatalf("security-severity 9.1 must make it Critical: %+v", f)
	}
}

// TestGitleaksSnippetsAreRedacted reads gitleaks' SARIF, whose snippets
// are the secrets it found: they are redacted; another tool's snippets
// are code and stay.
func TestGitleaksSnippetsAreRedacted(t *testing.T) {
	const secret = "ghp_R8x2Lk9QmT4vW7zN1bY5cP3sJ6hF0aD2gE8u"
	report := func(tool string) string {
		return `{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "` + tool + `"}}, "results": [{"ruleId": "github-pat",
			"message": {"text": "github-pat has detected secret for file a.env."}, "locations": [{"physicalLocation":
			{"artifactLocation": {"uri": "a.env"}, "region": {"startLine": 1, "snippet": {"text": "` + secret + `"}}}}]}]}]}`
	}
	got, err := findings.Parse(Parser{}, strings.NewReader(report("gitleaks")))
	if err != nil || len(got) != 1 {
		t.Fatalf("%d findings, %v", len(got), err)
	}
	if s := fmt.Sprintf("%+v", got[0]); strings.Contains(s, secret) || !strings.Contains(got[0].Description, "REDACTED") {
		t.Fatalf("gitleaks' SARIF keeps its secret: %s", got[0].Description)
	}
	other, _ := findings.Parse(Parser{}, strings.NewReader(report("semgrep")))
	if len(other) != 1 || !strings.Contains(other[0].Description, secret) {
		t.Fatalf("another tool's snippet was changed: %+v", other)
	}
}

func parseFixture(t *testing.T, name string) []findings.Finding {
	t.Helper()
	return parsertest.ParseSample(t, Parser{}, "sarif/"+name)
}

// TestAppendixK pins what DefectDojo's test asserts of the SARIF
// specification's example: the rule's message string with its arguments,
// the snippet, the rule's descriptions, the code flow, the run's date.
func TestAppendixK(t *testing.T) {
	f := parseFixture(t, "appendix_k.sarif")[0]
	want := "**Result message:** Variable \"ptr\" was used without being initialized. It was declared [here](0).\n" +
		"**Snippet:**\n```\nadd_core(ptr, offset, val);\n    return;\n```\n" +
		"**Rule short description:** A variable was used without being initialized.\n" +
		"**Rule full description:** A variable was used without being initialized. This can result in runtime errors such as null reference exceptions.\n" +
		"**Code flow:**\n1. collections/list.h:L15\t-\tint *ptr;\n\tVariable `ptr` declared.\n" +
		"2. collections/list.h:L15\t-\toffset = (y + z) * q + 1;\n" +
		"3. collections/list.h:L25\t-\tadd_core(ptr, offset, val)\n\tUninitialized variable `ptr` passed to method `add_core`."
	if f.Description != want {
		t.Fatalf("description\n%q\nwant\n%q", f.Description, want)
	}
	if f.FilePath != "collections/list.h" || f.Line != 15 || f.Severity != findings.High ||
		!f.Date.Equal(time.Date(2016, 7, 16, 14, 19, 1, 0, time.UTC)) {
		t.Fatalf("%+v", f)
	}
	k2 := parseFixture(t, "appendix_k2.sarif")[0]
	if k2.Title != `Variable "count" was used without being initialized.` || k2.FilePath != "src/collections/list.cpp" || k2.Line != 15 ||
		k2.Description != "**Result message:** Variable \"count\" was used without being initialized.\n"+
			"**Rule full description:** A variable was used without being initialized. This can result in runtime errors such as null reference exceptions." {
		t.Fatalf("appendix K2: %+v", k2)
	}
}

// TestFingerprints: fingerprints given as objects ({"value": …}) read as
// their values; "requires login" is no fingerprint; partial fingerprints
// join as method:value in method order.
func TestFingerprints(t *testing.T) {
	bd := parseFixture(t, "blackduck_nested_fingerprints.sarif")
	if bd[0].UniqueIDFromTool != strings.Repeat("a", 64) || bd[4].UniqueIDFromTool != strings.Repeat("e", 64) ||
		bd[0].CWE != 79 || bd[0].Mitigation != "Upgrade/patch dependency: example-frontend-lib 1.0.0." ||
		!reflect.DeepEqual(bd[0].VulnerabilityIDs, []string{"CVE-2020-11022"}) || bd[3].VulnerabilityIDs != nil {
		t.Fatalf("blackduck: %+v\n%+v", bd[0], bd[3])
	}
	sentinel := parseFixture(t, "sentinel_fingerprints.sarif")
	if sentinel[0].UniqueIDFromTool != "" || sentinel[3].UniqueIDFromTool != "5c1f36e0a9de13c3c96c26fa9a1a02a5d5be0c4a3ad9d0f27b3c4d2f8f4a91aa" {
		t.Fatalf("sentinel: %q, %q", sentinel[0].UniqueIDFromTool, sentinel[3].UniqueIDFromTool)
	}
	if got := parseFixture(t, "bash-report.sarif")[6].UniqueIDFromTool; got != "scanFileHash:5b05533780915bfc|scanPrimaryLocationHash:4d655189c485c086" {
		t.Fatalf("partial fingerprints: %q", got)
	}
	versions := `{"runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"},
		"fingerprints": {"stableResultHash/v2": "234567900abcd", "other/v9": "z", "stableResultHash/v3": "34567900abcde"}}]}]}`
	got, err := findings.Parse(Parser{}, strings.NewReader(versions))
	if err != nil || got[0].UniqueIDFromTool != "34567900abcde" {
		t.Fatalf("the first method's latest version: %+v, %v", got, err)
	}
}

func TestSuppressionsAndReferences(t *testing.T) {
	for _, f := range parseFixture(t, "suppression_test.sarif") {
		suppressed := f.Title == "Suppressed"
		if f.FalsePositive != suppressed || (f.Active != nil && *f.Active) || (f.Active == nil) == suppressed {
			t.Fatalf("%q: false_p %v active %v", f.Title, f.FalsePositive, f.Active)
		}
	}
	dockle := parseFixture(t, "dockle_0_3_15.sarif")
	if d := dockle[1]; d.VulnIDFromTool != "CIS-DI-0005" || d.Severity != findings.Info ||
		d.References != "https://github.com/goodwithtech/dockle/blob/master/CHECKPOINT.md#CIS-DI-0005" ||
		d.Description != "**Result message:** export DOCKER_CONTENT_TRUST=1 before docker pull/build\n**Rule short description:** Enable Content trust for Docker" {
		t.Fatalf("dockle: %+v", d)
	}
}

// TestTaxaAndRuleIndex: a result's CWE taxon wins over its rule's tags, and
// a result naming its rule by index only finds it.
func TestTaxaAndRuleIndex(t *testing.T) {
	report := `{"runs": [{"tool": {"driver": {"name": "x", "rules": [{"id": "R0"}, {"id": "R1", "name": "rule one",
		"properties": {"tags": ["external/cwe/cwe-079"], "security-severity": "high"}}]}},
		"results": [{"ruleIndex": 1, "message": {"text": "m"}, "taxa": [{"id": "89", "toolComponent": {"name": "CWE"}}]},
		{"rule": {"index": 1}, "message": {"text": "m"}}]}]}`
	got, err := findings.Parse(Parser{}, strings.NewReader(report))
	if err != nil || len(got) != 2 {
		t.Fatalf("%+v, %v", got, err)
	}
	if got[0].CWE != 89 || got[1].CWE != 79 || got[1].VulnIDFromTool != "R1" || got[1].Severity != findings.High ||
		!reflect.DeepEqual(got[1].Tags, []string{"cwe-079"}) {
		t.Fatalf("%+v\n%+v", got[0], got[1])
	}
}
