package generic

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/parsertest"
	"github.com/secbot/secbot/internal/testenv/fixtures"
)

func parse(t *testing.T, report string) []findings.Finding {
	t.Helper()
	return parsertest.Parse(t, Parser{}, report)
}

// TestJSONFields pins the first finding of DefectDojo's JSON sample, as
// its unit test asserts it.
func TestJSONFields(t *testing.T) {
	data, err := fixtures.ReadFile("defectdojo/generic/generic_report1.json")
	if err != nil {
		t.Fatal(err)
	}
	got := parse(t, string(data))
	if len(got) != 2 {
		t.Fatalf("%d findings", len(got))
	}
	f := got[0]
	if f.Title != "test title" || f.Severity != findings.Medium || f.CWE != 261 || f.Impact != "Some impact" ||
		!slices.Equal(f.VulnerabilityIDs, []string{"CVE-2020-36234"}) || !slices.Equal(f.Tags, []string{"security", "network"}) ||
		f.UniqueIDFromTool != "3287f2d0-554f-491b-8516-3c349ead8ee5" || f.VulnIDFromTool != "TEST1" ||
		f.Active == nil || !*f.Active || f.Verified == nil || !*f.Verified || f.Date.Format("2006-01-02") != "2021-01-06" ||
		f.Description != "Some very long description with\n\n some UTF-8 chars à qu'il est beau" || !f.DynamicFinding || f.StaticFinding {
		t.Fatalf("first: %+v", f)
	}
	if got[1].Verified == nil || *got[1].Verified {
		t.Fatalf("second: verified %v", got[1].Verified)
	}
}

func TestJSONShapes(t *testing.T) {
	got := parse(t, `
	  {"name": "Test 1", "type": "Tool 1", "findings": [
	    {"title": "t", "severity": "high", "description": "d", "line": "12", "static_finding": true, "dynamic_finding": false,
	     "vulnerability_ids": ["GHSA-1", "CVE-2"], "cwes": ["CWE-611", 89], "nb_occurences": 3, "mitigated": "2024-01-24T11:02:11Z",
	     "is_mitigated": true, "endpoints": ["example.com"], "files": [], "date": "2024-01-04T11:02:11Z"}]}`)
	if len(got) != 1 {
		t.Fatalf("%d findings", len(got))
	}
	f := got[0]
	if f.Severity != findings.High || f.Line != 12 || !f.StaticFinding || f.DynamicFinding || f.CWE != 611 ||
		!slices.Equal(f.VulnerabilityIDs, []string{"GHSA-1", "CVE-2"}) || f.NbOccurences != 3 || !f.IsMitigated ||
		f.Date.Format("2006-01-02") != "2024-01-04" {
		t.Fatalf("%+v", f)
	}
	if got := parse(t, `{"findings": []}`); len(got) != 0 {
		t.Fatalf("no findings: %d", len(got))
	}
}

func TestJSONErrors(t *testing.T) {
	for report, want := range map[string]string{
		`{"findings": [{}]}`: "finding 1 lacks the required fields description, severity, title",
		`{"findings": [{"title": "t", "severity": "Low", "description": "d", "last_status_update": "x", "invalid_field": 1}]}`: "finding 1 has fields the generic format does not take: invalid_field, last_status_update",
		`{"findings": [{"title": "t", "severity": "Low", "description": "d", "date": "yesterday"}]}`:                           `field "date" is not a date`,
		`{"findings": [{"title": "t", "severity": "Low", "description": "d", "cwe": "many"}]}`:                                 `field "cwe" is not a whole number`,
		`{"results": []}`:   `want a JSON object with "findings"`,
		`[{"title": "t"}]`:  "want a JSON object",
		`{"findings": [{"`:  "unexpected EOF",
		`{"findings": "x"}`: "want a JSON array",
	} {
		_, err := findings.Parse(Parser{}, strings.NewReader(report))
		if !errors.Is(err, findings.ErrFormat) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), `{"findings": [`) {
			t.Errorf("%.50s: err = %v, want %q", report, err, want)
		}
	}
}

// A CSV in DefectDojo's columns, in another order, with a description of
// several lines, quotes inside a field, DefectDojo's date forms and a row
// repeated.
const csvReport = "\ufeffVerified,Date,Title,CweId,Url,Severity,Description,Mitigation,Impact,References,Active,CVE\n" +
	`FALSE,11/7/16,Reflected XSS,79,http://localhost/a,High,"File: default.aspx.cs` + "\n" + `Line: 18",Encode output,,,TRUE,CVE-2021-1` + "\n" +
	`TRUE,28/02/2021,"SQL ""injection""",89,,Unknown,Query built from input,,,,False,` + "\n" +
	`FALSE,11/7/16,Reflected XSS,79,http://localhost/b,High,"File: default.aspx.cs` + "\n" + `Line: 18",Encode output,,,TRUE,CVE-2021-1` + "\n"

func TestCSVRows(t *testing.T) {
	got := parse(t, csvReport)
	if len(got) != 2 {
		t.Fatalf("%d findings: %+v", len(got), got)
	}
	xss, sqli := got[0], got[1]
	if xss.Title != "Reflected XSS" || xss.Severity != findings.High || xss.CWE != 79 || xss.Description != "File: default.aspx.cs\nLine: 18" ||
		xss.Mitigation != "Encode output" || xss.Date.Format("2006-01-02") != "2016-11-07" || xss.NbOccurences != 2 ||
		xss.Active == nil || !*xss.Active || xss.Verified == nil || *xss.Verified || !slices.Equal(xss.VulnerabilityIDs, []string{"CVE-2021-1"}) {
		t.Fatalf("xss: %+v", xss)
	}
	if sqli.Title != `SQL "injection"` || sqli.Severity != findings.Info || sqli.Date.Format("2006-01-02") != "2021-02-28" ||
		sqli.Active == nil || *sqli.Active || sqli.VulnerabilityIDs != nil {
		t.Fatalf("sqli: %+v", sqli)
	}
	for _, empty := range []string{"", "  \n", "Date,Title,Severity,Description\n"} {
		if got := parse(t, empty); len(got) != 0 {
			t.Fatalf("%q: %d findings", empty, len(got))
		}
	}
}

func TestCSVErrors(t *testing.T) {
	for report, want := range map[string]string{
		"Date,Name,Severity\n1/1/2020,x,Low\n":                              "the header row lacks Title, Description",
		"Date,Title,Severity,Description\n1/1/2020,x,Low,d\nsoon,y,Low,d\n": `the row at line 3 has a Date that is no date: "soon"`,
		"Date,Title,Severity,Description,CweId\n1/1/2020,x,Low,d,CWE79\n":   `has a CweId that is no number: "CWE79"`,
		"\x00\x01\x02": "the header row lacks",
	} {
		_, err := findings.Parse(Parser{}, strings.NewReader(report))
		if !errors.Is(err, findings.ErrFormat) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "generic CSV format") {
			t.Errorf("%q: err = %v, want %q", report, err, want)
		}
	}
}

// TestCSVRowIsBounded: a row larger than a finding may be is refused
// before it is read whole (the bound counts what the CSV reader buffers
// ahead, a few KiB, with the row before).
func TestCSVRowIsBounded(t *testing.T) {
	report := "Date,Title,Severity,Description\n1/1/2020,x,Low,\"" + strings.Repeat("d", findings.MaxReportValue+64<<10) + "\"\n"
	_, err := findings.Parse(Parser{}, strings.NewReader(report))
	if !errors.Is(err, findings.ErrFormat) || !errors.Is(err, errRowTooLarge) {
		t.Fatalf("err = %v", err)
	}
}
