package govulncheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/parsertest"
)

func parse(t *testing.T, report []byte) []findings.Finding {
	t.Helper()
	return parsertest.Parse(t, Parser{}, string(report))
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	return []byte(parsertest.Sample(t, "govulncheck/"+name))
}

// TestOlderFormat pins what DefectDojo's test_parse_many_findings asserts.
func TestOlderFormat(t *testing.T) {
	got := parse(t, fixture(t, "many_vulns.json"))
	if len(got) != 3 {
		t.Fatalf("%d findings", len(got))
	}
	f := got[0]
	if f.Title != "GO-2022-1144" || f.Severity != findings.Info || !reflect.DeepEqual(f.VulnerabilityIDs, []string{"CVE-2022-41717"}) ||
		f.ComponentName != "stdlib" || f.ComponentVersion != "v1.19.0" || f.UniqueIDFromTool != "GO-2022-1144" ||
		f.References != "https://go.dev/issue/56350" || f.Impact != "/home/dtimoshenko/test_parser/evil-app/main.go:22:21" ||
		!strings.HasPrefix(f.Description, "Vulnerable functions: ListenAndServe; ListenAndServeTLS; ") {
		t.Errorf("%+v", f)
	}
	if got[2].Title != "GO-2022-0969" || got[2].References != "https://groups.google.com/g/golang-announce/c/x49AQzIVX-s" {
		t.Errorf("%+v", got[2])
	}
}

// TestMessages pins what DefectDojo's tests of the current format assert.
func TestMessages(t *testing.T) {
	got := parse(t, fixture(t, "many_vulns_new_version.json"))
	if len(got) != 1 {
		t.Fatalf("%d findings", len(got))
	}
	f := got[0]
	if f.Title != "GO-2023-1840 - stdlib - runtime" || f.Severity != findings.Info || !reflect.DeepEqual(f.VulnerabilityIDs, []string{"CVE-2023-29403"}) ||
		f.ComponentName != "stdlib" || f.ComponentVersion != "v1.20.1" || f.UniqueIDFromTool != "GO-2023-1840" || f.FilePath != "runtime" ||
		f.Impact == "" || f.References == "" || !f.DynamicFinding || f.StaticFinding {
		t.Errorf("%+v", f)
	}

	custom := parse(t, fixture(t, "many_vulns_new_version_custom_severity.json"))
	if len(custom) != 2 || custom[0].Severity != findings.Low || custom[1].Severity != findings.High ||
		custom[1].ComponentVersion != "v0.3.5" || custom[1].FilePath != "golang.org/x/text/language" {
		t.Fatalf("%+v", custom)
	}
	wantDesc := "**Summary:** Out-of-bounds read in golang.org/x/text/language\n" +
		"**Vulnerable functions:** MatchStrings, MustParse, Parse, ParseAcceptLanguage\n" +
		"**Affected Ecosystem:** Go\n**Affected Versions:** type SEMVER: \n\t\tIntroduced in 0, fixed in 0.3.7\n" +
		"**Vulnerable Package:** golang.org/x/text\n**Traces found :**\n" +
		"\tModule: golang.org/x/text, Version: v0.3.5, Package: golang.org/x/text, Function: Parse, File: Unknown filename, Line: Unknown line\n" +
		"\tModule: vuln.tutorial, Version: Unknown version, Package: vuln.tutorial, Function: main, File: govulncheck/vulnerable/main.go, Line: 12"
	if custom[0].Description != wantDesc {
		t.Errorf("description %q", custom[0].Description)
	}
	wantRefs := "FIX: https://go.dev/cl/340830\nFIX: https://go.googlesource.com/text/+/383b2e75a7a4198c42f8f87833eefb772868a56f\nDatabase: https://pkg.go.dev/vuln/GO-2021-0113"
	if custom[0].References != wantRefs {
		t.Errorf("references %q", custom[0].References)
	}
}

// TestStream reads what govulncheck -json writes, one object after
// another, as the same objects in a list; and findings before their
// entries, with no trace version: the first introduced version.
func TestStream(t *testing.T) {
	for _, name := range []string{"many_vulns_new_version.json", "many_vulns_new_version_custom_severity.json"} {
		var messages []json.RawMessage
		if err := json.Unmarshal(fixture(t, name), &messages); err != nil {
			t.Fatal(err)
		}
		var stream bytes.Buffer
		for _, m := range messages {
			var compact bytes.Buffer
			if err := json.Indent(&compact, m, "", "  "); err != nil {
				t.Fatal(err)
			}
			stream.Write(compact.Bytes())
			stream.WriteString("\n")
		}
		if listed, streamed := parse(t, fixture(t, name)), parse(t, stream.Bytes()); !reflect.DeepEqual(listed, streamed) {
			t.Errorf("%s: the stream reads differently:\n%+v\n%+v", name, streamed, listed)
		}
	}
	report := `{"finding": {"osv": "GO-1", "trace": [{"module": "m"}]}}
		{"osv": {"id": "GO-1", "aliases": [], "affected": [{"package": {"name": "m"},
			"ranges": [{"type": "SEMVER", "events": [{"introduced": "1.2.0"}, {"fixed": "1.3.0"}, {"introduced": "2.0.0"}]}]}],
			"database_specific": {"url": null}}}`
	got := parse(t, []byte(report))
	if len(got) != 1 || got[0].ComponentVersion != "1.2.0" || got[0].Title != "GO-1 - m" || got[0].VulnerabilityIDs != nil || got[0].References != "" ||
		!strings.Contains(got[0].Description, "type SEMVER: \n\t\tIntroduced in 1.2.0, fixed in 1.3.0. \n\t\tIntroduced in 2.0.0, fixed in Unknown\n") {
		t.Fatalf("%+v", got)
	}
}

func TestRefused(t *testing.T) {
	sarif := `{"version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "runs": []}`
	if _, err := findings.Parse(Parser{}, strings.NewReader(sarif)); !errors.Is(err, findings.ErrFormat) || !strings.Contains(err.Error(), "scan type SARIF") {
		t.Errorf("SARIF: %v", err)
	}
	for name, report := range map[string]string{
		"empty":           "",
		"not govulncheck": `{"unrelated": true}`,
		"no Vulns":        `{"Calls": {"Functions": {}}}`,
		"cut stream":      `{"config": {}}` + "\n" + `{"osv": {"id": "GO-1"`,
		"a loop":          `{"Calls": {"Functions": {"2": {"CallSites": [{"Parent": 3}]}, "3": {"CallSites": [{"Parent": 2}]}}}, "Vulns": [{"OSV": {"id": "GO-1"}, "CallSink": 2}]}`,
	} {
		_, err := findings.Parse(Parser{}, strings.NewReader(report))
		if !errors.Is(err, findings.ErrFormat) || !strings.Contains(err.Error(), "govulncheck -json") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if got, err := findings.Parse(Parser{}, strings.NewReader(`[]`)); err != nil || len(got) != 0 {
		t.Errorf("no messages: %v, %v", got, err)
	}
}
