package dependencycheck

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/parsertest"
)

func parse(t *testing.T, report string) []findings.Finding {
	t.Helper()
	return parsertest.Parse(t, Parser{}, report)
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	return parsertest.Sample(t, "dependency_check/"+name)
}

// TestMappedFields pins the fields of DefectDojo's sample report with
// several dependencies, as its unit test asserts them.
func TestMappedFields(t *testing.T) {
	got := parse(t, fixture(t, "multiple_vulnerabilities_has_multiple_findings.xml"))
	if len(got) != 9 {
		t.Fatalf("%d findings, want 9", len(got))
	}
	first := got[0]
	date := time.Date(2016, 11, 5, 18, 52, 15, 748e6, time.UTC)
	if first.Title != "org.dom4j:dom4j:2.1.1.redhat-00001 | CVE-0000-0001" || first.Severity != findings.High ||
		first.FilePath != "adapter-ear1.ear: dom4j-2.1.1.jar" || first.ComponentName != "org.dom4j:dom4j" ||
		first.ComponentVersion != "2.1.1.redhat-00001" || first.CWE != 0 || !first.Date.Equal(date) ||
		!slices.Equal(first.VulnerabilityIDs, []string{"CVE-0000-0001"}) || !first.StaticFinding || first.DynamicFinding ||
		first.Mitigation != "Update org.dom4j:dom4j:2.1.1.redhat-00001 to at least the version recommended in the description" {
		t.Fatalf("first finding: %+v", first)
	}
	for _, part := range []string{"Description of a bad vulnerability.", "**Filepath:** /var/lib/adapter-ear1.ear/dom4j-2.1.1.jar",
		"**Related Filepaths:**\n- adapter-ear8.ear: dom4j-2.1.1.jar (/var/lib/adapter-ear8.ear/dom4j-2.1.1.jar)"} {
		if !strings.Contains(first.Description, part) {
			t.Errorf("description lacks %q:\n%s", part, first.Description)
		}
	}
	if !strings.Contains(first.References, "**Source:** MISC\n**URL:** http://localhost2/reference_for_badvulnerability.pdf\n**Name:** Reference for a bad vulnerability\n\n") {
		t.Errorf("references: %q", first.References)
	}

	npm := got[1]
	if npm.Title != "yargs-parser:5.0.0 | 1500" || npm.Severity != findings.Low || npm.CWE != 1035 ||
		npm.VulnerabilityIDs != nil || !strings.Contains(npm.Description, "**Source:** NPM") ||
		!strings.Contains(npm.References, "**URL:** None") {
		t.Fatalf("npm advisory: %+v", npm)
	}
	// The CVSS v3 metrics make the severity: 7.5.
	if cve := got[2]; cve.Title != "yargs-parser:5.0.0 | CVE-2020-7608" || cve.Severity != findings.High ||
		!strings.Contains(cve.Description, "**Source:** OSSINDEX\n**Filepath:** \n                /var/lib/jenkins/") {
		t.Fatalf("CVE with CVSS v3: %+v", cve)
	}
	if cwe := got[3]; cwe.CWE != 400 || cwe.VulnerabilityIDs != nil {
		t.Fatalf("CWE-named vulnerability: %+v", cwe)
	}
	if evidence := got[5]; evidence.Title != "dom4j:2.1.1 | CVE-0000-0001" || evidence.ComponentVersion != "2.1.1" {
		t.Fatalf("component from the evidence: %+v", evidence)
	}

	undocumented, documented := got[7], got[8]
	if undocumented.Active == nil || *undocumented.Active || !undocumented.IsMitigated || undocumented.Severity != findings.Critical ||
		!slices.Equal(undocumented.Tags, []string{"no_suppression_document", "suppressed"}) ||
		undocumented.Mitigation != "**This vulnerability is mitigated and/or suppressed:** Document on why we are suppressing "+
			"this vulnerability is missing!\nUpdate jquery:3.1.1 to at least the version recommended in the description" ||
		strings.Contains(undocumented.Description, "**Filepath:**") {
		t.Fatalf("suppressed without notes: %+v", undocumented)
	}
	if !documented.IsMitigated || documented.CWE != 78 || !slices.Equal(documented.Tags, []string{"suppressed"}) ||
		!strings.HasPrefix(documented.Mitigation, "**This vulnerability is mitigated and/or suppressed:** This is our reason for not to upgrade it.\n") {
		t.Fatalf("suppressed with notes: %+v", documented)
	}
}

// A report of a later schema without a namespace: a CVSS v3.0 vector,
// CWEs of which the first is no number, a CPE identifier, an npm scoped
// package URL, a dependency without a file name (dropped) and a
// vulnerability repeated (kept once).
const laterSchema = `<?xml version="1.0" encoding="UTF-8"?>
<analysis>
  <projectInfo><name>p</name><reportDate>2024-03-01T10:00:00Z</reportDate></projectInfo>
  <dependencies>
    <dependency isVirtual="false">
      <fileName>core-1.0.js</fileName>
      <filePath>/src/node_modules/@angular/core/core-1.0.js</filePath>
      <identifiers>
        <package confidence="HIGH"><id>pkg:npm/%40angular/core@1.0.0</id></package>
      </identifiers>
      <vulnerabilities>
        <vulnerability source="NVD">
          <name>CVE-2024-0001 in angular</name>
          <severity>LOW</severity>
          <cvssV3>
            <baseScore>6.1</baseScore>
            <attackVector>NETWORK</attackVector><attackComplexity>LOW</attackComplexity>
            <privilegesRequired>NONE</privilegesRequired><userInteraction>REQUIRED</userInteraction>
            <scope>CHANGED</scope><confidentialityImpact>LOW</confidentialityImpact>
            <integrityImpact>LOW</integrityImpact><availabilityImpact>NONE</availabilityImpact>
            <version>3.0</version>
          </cvssV3>
          <cwes><cwe>NVD-CWE-noinfo</cwe><cwe>CWE-79</cwe></cwes>
          <description>Cross-site scripting.</description>
        </vulnerability>
        <vulnerability source="NVD">
          <name>CVE-2024-0001 in angular</name>
          <severity>LOW</severity>
          <cwes><cwe>NVD-CWE-noinfo</cwe><cwe>CWE-79</cwe></cwes>
          <description>Cross-site scripting, again.</description>
        </vulnerability>
      </vulnerabilities>
    </dependency>
    <dependency>
      <fileName>tomcat-embed-core-9.0.1.jar</fileName>
      <filePath>/app/lib/tomcat-embed-core-9.0.1.jar</filePath>
      <identifiers>
        <identifier type="cpe" confidence="HIGHEST"><name>cpe:2.3:a:apache:tomcat:9.0.1:*:*:*:*:*:*:*</name></identifier>
      </identifiers>
      <vulnerabilities>
        <vulnerability><name>CVE-2024-0002</name><severity>moderate</severity><description>d</description></vulnerability>
      </vulnerabilities>
    </dependency>
    <dependency>
      <filePath>/app/lib/nameless.jar</filePath>
      <vulnerabilities>
        <vulnerability><name>CVE-2024-0003</name><severity>HIGH</severity><description>d</description></vulnerability>
      </vulnerabilities>
    </dependency>
  </dependencies>
</analysis>`

func TestLaterSchema(t *testing.T) {
	got := parse(t, laterSchema)
	if len(got) != 2 {
		t.Fatalf("%d findings, want 2: %+v", len(got), got)
	}
	npm := got[0]
	// 6.1 from the vector: Medium, whatever the report's <severity> says.
	if npm.Title != "@angular:core:1.0.0 | CVE-2024-0001 in angular" || npm.Severity != findings.Medium || npm.CWE != 79 ||
		!slices.Equal(npm.VulnerabilityIDs, []string{"CVE-2024-0001 in angular"}) || npm.NbOccurences != 2 ||
		!strings.HasPrefix(npm.Description, "Cross-site scripting.") || npm.Date.Format(time.DateOnly) != "2024-03-01" {
		t.Fatalf("npm package: %+v", npm)
	}
	if cpe := got[1]; cpe.Title != "apache:tomcat:9.0.1 | CVE-2024-0002" || cpe.Severity != findings.Medium ||
		cpe.CWE != vulnerableThirdPartyComponent || cpe.References != "" {
		t.Fatalf("CPE identifier: %+v", cpe)
	}
}

func TestComponentNames(t *testing.T) {
	for in, want := range map[string]purl{
		"pkg:maven/org.dom4j/dom4j@2.1.1.redhat-00001": {"maven", "org.dom4j", "dom4j", "2.1.1.redhat-00001"},
		"pkg:npm/%40babel/core@7.0.0?x=y#sub":          {"npm", "@babel", "core", "7.0.0"},
		"pkg:pypi/Django_Filter@2.0":                   {"pypi", "", "django-filter", "2.0"},
		"pkg:golang/github.com/a/b@v1.2.3":             {"golang", "github.com/a", "b", "v1.2.3"},
	} {
		if got, ok := parsePurl(in); !ok || got != want {
			t.Errorf("parsePurl(%q) = %+v, %v", in, got, ok)
		}
	}
	if _, ok := parsePurl("maven/x@1"); ok {
		t.Error("a purl without pkg: read")
	}
	for in, want := range map[string][3]string{
		"cpe:/a:apache:xalan-java:2.7.1":          {"apache", "xalan-java", "2.7.1"},
		`cpe:2.3:a:a\:b:prod:1.0:*:*:*:*:*:*:*`:   {"a:b", "prod", "1.0"},
		"cpe:2.3:a:jquery:jquery:*:*:*:*:*:*:*:*": {"jquery", "jquery", "*"},
	} {
		v, p, ver, ok := parseCPE(in)
		if !ok || [3]string{v, p, ver} != want {
			t.Errorf("parseCPE(%q) = %s %s %s %v", in, v, p, ver, ok)
		}
	}
}

func TestBrokenReports(t *testing.T) {
	for report, want := range map[string]string{
		"<bom xmlns=\"http://cyclonedx.org/schema/bom/1.4\"/>":       "want an <analysis> report, found <bom>",
		"<analysis><dependencies><dependency><fileName>a</fileName>": "at line 1",
		"":                         "no XML element",
		"<analysis>\n<x>&bad;</x>": "at line 2",
	} {
		_, err := findings.Parse(Parser{}, strings.NewReader(report))
		if !errors.Is(err, findings.ErrFormat) || !strings.Contains(err.Error(), want) ||
			!strings.Contains(err.Error(), "dependency-check --format XML") {
			t.Errorf("%q: err = %v, want %q", report, err, want)
		}
	}
}
