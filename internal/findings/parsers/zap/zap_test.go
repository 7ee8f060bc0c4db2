package zap

import (
	"errors"
	"runtime"
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

// TestMappedFields pins the findings of DefectDojo's Juice Shop sample, as
// its unit test asserts them.
func TestMappedFields(t *testing.T) {
	data, err := fixtures.ReadFile("defectdojo/zap/juicy2.xml")
	if err != nil {
		t.Fatal(err)
	}
	got := parse(t, string(data))
	if len(got) != 6 {
		t.Fatalf("%d findings, want 6", len(got))
	}
	first, last := got[0], got[5]
	if first.Title != "Incomplete or No Cache-control Header Set" || first.Severity != findings.Low ||
		first.VulnIDFromTool != "10015" || first.CWE != 525 || !first.DynamicFinding || first.StaticFinding ||
		first.FilePath != "" || first.Line != 0 {
		t.Fatalf("first: %+v", first)
	}
	if last.Title != "CSP: Wildcard Directive" || last.Severity != findings.Medium || last.VulnIDFromTool != "10055" || last.CWE != 693 {
		t.Fatalf("last: %+v", last)
	}
	if strings.Contains(first.Description, "<p>") || first.Description == "" || first.Mitigation == "" || first.References == "" {
		t.Fatalf("texts of the first: %q / %q / %q", first.Description, first.Mitigation, first.References)
	}
}

const alertItem = `<alertitem>
  <pluginid>%s</pluginid><alertRef>40012</alertRef><name>Cross Site Scripting (Reflected)</name>
  <riskcode>3</riskcode><confidence>2</confidence><riskdesc>High (Medium)</riskdesc>
  <desc>&lt;p&gt;Cross-site Scripting (XSS) is an &amp;quot;attack&amp;quot;.&lt;/p&gt;&lt;p&gt;Second paragraph.&lt;/p&gt;</desc>
  <instances>%s</instances>
  <count>1</count>
  <solution>&lt;p&gt;Phase: Architecture&lt;/p&gt;&lt;ul&gt;&lt;li&gt;Use a vetted library&lt;/li&gt;&lt;/ul&gt;</solution>
  <reference>&lt;p&gt;https://owasp.org/www-community/attacks/xss/&lt;/p&gt;</reference>
  <cweid>%s</cweid><wascid>8</wascid><sourceid>1</sourceid>
</alertitem>`

func report(items ...string) string {
	return `<?xml version="1.0"?><OWASPZAPReport version="2.14.0" generated="Mon, 1 Jan 2024 10:00:00">
<site name="https://example.com" host="example.com" port="443" ssl="true"><alerts>` + strings.Join(items, "") +
		`</alerts></site></OWASPZAPReport>`
}

// TestAlertFields: HTML texts become plain, the alert's name stands in
// for a missing alert title, a CWE that is no number is none.
func TestAlertFields(t *testing.T) {
	doc := report(
		fill(alertItem, "40012", "<instance><uri>https://example.com/?q=1</uri><method>GET</method></instance>", "79"),
		fill(alertItem, "10202", "", "-1"),
	)
	got := parse(t, doc)
	if len(got) != 2 {
		t.Fatalf("%d findings", len(got))
	}
	xss := got[0]
	if xss.Title != "Cross Site Scripting (Reflected)" || xss.Severity != findings.High || xss.CWE != 79 ||
		xss.Description != `Cross-site Scripting (XSS) is an "attack".`+"\nSecond paragraph." ||
		xss.Mitigation != "Phase: Architecture\nUse a vetted library" || xss.References != "https://owasp.org/www-community/attacks/xss/" {
		t.Fatalf("xss: %+v", xss)
	}
	if got[1].CWE != 0 || got[1].VulnIDFromTool != "10202" {
		t.Fatalf("cweid -1: %+v", got[1])
	}
}

func fill(template string, values ...string) string {
	for _, v := range values {
		template = strings.Replace(template, "%s", v, 1)
	}
	return template
}

// TestInstancesAreNotHeld reads an xml-plus alert whose instances, with
// their responses, are larger than a finding may be: they are skipped as
// they are read, so the alert is read, in a small part of their memory.
func TestInstancesAreNotHeld(t *testing.T) {
	body := strings.Repeat("&lt;html&gt;response body ", 60<<10/26)
	instance := "<instance><uri>https://example.com/a</uri><method>GET</method><requestheader>GET / HTTP/1.1\n</requestheader>" +
		"<requestbody></requestbody><responseheader>HTTP/1.1 200 OK\n</responseheader><responsebody>" + body + "</responsebody></instance>"
	doc := report(fill(alertItem, "10015", strings.Repeat(instance, findings.MaxReportValue/len(body)+50), "525"))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got := parse(t, doc)
	runtime.ReadMemStats(&after)
	if len(got) != 1 || got[0].CWE != 525 {
		t.Fatalf("%+v", got)
	}
	if used := after.TotalAlloc - before.TotalAlloc; used > uint64(len(doc))/2 {
		t.Errorf("reading a %d MiB report allocated %d MiB", len(doc)>>20, used>>20)
	}
}

func TestHTMLText(t *testing.T) {
	for in, want := range map[string]string{
		"plain text, kept":                          "plain text, kept",
		"<p>One &amp; two</p>\n<p>Three</p>":        "One & two\nThree",
		"<ul><li>a</li><li>b <b>bold</b></li></ul>": "a\nb bold",
		"line<br/>break, a < b":                     "line\nbreak, a < b",
		"  spaced \n\t out  ":                       "spaced out",
	} {
		if got := htmlText(in); got != want {
			t.Errorf("htmlText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBrokenReports(t *testing.T) {
	for doc, want := range map[string]string{
		`<report><site/></report>`:                      "want an <OWASPZAPReport>, found <report>",
		report(fill(alertItem, "1", "<instance>", "1")): "at line",
		`{"site": []}`:                                  "at line 1",
		"":                                              "no XML element",
		`<OWASPZAPReport>`:                              "unexpected EOF",
	} {
		_, err := findings.Parse(Parser{}, strings.NewReader(doc))
		if !errors.Is(err, findings.ErrFormat) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "ZAP wants") {
			t.Errorf("%.60q: err = %v, want %q", doc, err, want)
		}
	}
}
