package snyk

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/parsertest"
)

func parseFixture(t *testing.T, name string) []findings.Finding {
	t.Helper()
	return parsertest.ParseSample(t, Parser{}, "snyk/"+name)
}

// TestFindingHasFields pins what DefectDojo's test_snykParser_finding_has_fields asserts.
func TestFindingHasFields(t *testing.T) {
	got := parseFixture(t, "single_project_one_vuln.json")
	if len(got) != 1 {
		t.Fatalf("%d findings", len(got))
	}
	f := got[0]
	wantMitigation := "## Remediation\nUpgrade `org.apache.santuario:xmlsec` to version 2.1.4 or higher.\n\n" +
		"Upgrade Location: pom.xml\n" +
		"Upgrade from org.apache.santuario:xmlsec@2.1.1 to org.apache.santuario:xmlsec@2.1.4 to fix this issue, as well as updating the following:\n - org.apache.santuario:xmlsec@2.1.1"
	wantRefs := "**SNYK ID**: https://app.snyk.io/vuln/SNYK-JAVA-ORGAPACHESANTUARIO-460281\n\n" +
		"**GitHub Commit**: https://github.com/apache/santuario-java/commit/52ae824cf5f5c873a0e37bb33fedcc3b387cdba6\n" +
		"**GitHub Commit**: https://github.com/apache/santuario-java/commit/c5210f77a77105fba81311d16c07ceacc21f39d5\n" +
		"**Possible Jira Issue**: https://issues.apache.org/jira/browse/SANTUARIO-504?jql=project%20%3D%20SANTUARIO\n" +
		"**Security Release**: http://santuario.apache.org/secadv.data/CVE-2019-12400.asc?version=1&modificationDate=1566573083000&api=v2\n"
	if f.Title != "com.test:myframework@1.0.0-SNAPSHOT: XML External Entity (XXE) Injection" || f.Severity != findings.Medium ||
		f.VulnIDFromTool != "SNYK-JAVA-ORGAPACHESANTUARIO-460281" || !reflect.DeepEqual(f.VulnerabilityIDs, []string{"CVE-2019-12400"}) ||
		f.CWE != 611 || f.Mitigation != wantMitigation || f.References != wantRefs ||
		f.FilePath != "com.test:myframework > org.apache.santuario:xmlsec" || f.ComponentName != "org.apache.santuario:xmlsec" ||
		f.ComponentVersion != "2.1.1" || f.Impact != findings.Medium ||
		!reflect.DeepEqual(f.Tags, []string{"target_file:pom.xml", "upgrade_to:org.apache.santuario:xmlsec@2.1.4"}) {
		t.Errorf("%+v", f)
	}
	if !strings.HasPrefix(f.Description, "## Component Details\n - **Vulnerable Package**: org.apache.santuario:xmlsec\n- **Current Version**: 2.1.1\n- **Vulnerable Version(s)**: [2.0.3, 2.1.4)\n") {
		t.Errorf("description %q", f.Description[:200])
	}
}

func TestContainerAndNoScore(t *testing.T) {
	if f := parseFixture(t, "single_project_None_cvss.json")[0]; f.Severity != findings.Low || f.VulnIDFromTool != "SNYK-SLES153-PERMISSIONS-2648113" ||
		f.VulnerabilityIDs != nil || f.CWE != 1035 {
		t.Errorf("no CVSS score: %+v", f)
	}
	f := parseFixture(t, "snykcontainer_issue_epss.json")[0]
	if f.Title != "docker-image|sarim04/juiceshop@latest: CVE-2023-4039" || f.FilePath != "docker-image|sarim04/juiceshop > gcc-10/libgcc-s1" ||
		f.Severity != findings.Medium || f.Tags != nil {
		t.Errorf("container: %+v", f)
	}
}

// TestSnykCode pins a Snyk Code result, titled by rule and file, its
// severity from the priority score.
func TestSnykCode(t *testing.T) {
	got := parseFixture(t, "snykcode_issue_9270.json")
	if len(got) != 39 {
		t.Fatalf("%d findings", len(got))
	}
	f := got[0]
	if f.Title != "javascript/XSS_frontend/src/app/score-board/score-board.component.ts" || f.Severity != findings.Medium ||
		f.VulnIDFromTool != "javascript/XSS" || f.FilePath != "frontend/src/app/score-board/score-board.component.ts" || f.Line != 0 ||
		!strings.HasPrefix(f.Description, "**ruleId**: javascript/XSS\n**ruleIndex**: 0\n**message**: Unsanitized input") ||
		!strings.HasSuffix(f.Description, "**score**: 504\n**uri**: frontend/src/app/score-board/score-board.component.ts\n**uriBaseId**: %SRCROOT%\n"+
			"**startLine**: 216\n**endLine**: 216\n**startColumn**: 44\n**endColumn**: 67\n**isAutofixable**: False\n") {
		t.Errorf("%+v", f)
	}
}

// TestRemediationAfterVulnerabilities: a project read with its
// remediation and target file before or after its vulnerabilities maps
// them alike.
func TestRemediationAfterVulnerabilities(t *testing.T) {
	vulns := `"vulnerabilities": [{"id": "SNYK-1", "title": "Bad", "packageName": "lodash", "version": "4.17.11",
		"from": ["app@1.0.0", "@babel/core@7.0.0", "lodash@4.17.11"], "semver": {"vulnerable": "<4.17.12"}, "cvssScore": 9.8,
		"severity": "high", "description": "## Remediation\nUpgrade lodash.\n## References\n- x",
		"identifiers": {"CVE": ["CVE-1"], "CWE": ["CWE-78", "CWE-94"]}}]`
	rest := `"displayTargetFile": "package-lock.json", "remediation": {"upgrade": {
		"lodash@4.17.11": {"upgradeTo": "lodash@4.17.21", "upgrades": ["lodash@4.17.11"]},
		"other@1": {"upgradeTo": "other@2", "upgrades": ["@scope/other@1"]}}}`
	before, err := findings.Parse(Parser{}, strings.NewReader(`{`+vulns+`, `+rest+`}`))
	if err != nil || len(before) != 1 {
		t.Fatalf("%+v, %v", before, err)
	}
	after, err := findings.Parse(Parser{}, strings.NewReader(`[{`+rest+`, `+vulns+`}]`))
	if err != nil || !reflect.DeepEqual(before, after) {
		t.Fatalf("%+v, %v", after, err)
	}
	f := before[0]
	// A scoped package's name before its first @ is empty: DefectDojo's
	// test finds it in any mitigation.
	if f.Severity != findings.Critical || f.CWE != 78 || f.FilePath != "app > @babel/core > lodash" ||
		!strings.HasPrefix(f.Mitigation, "## Remediation\nUpgrade lodash.\n\nUpgrade Location: package-lock.json\nUpgrade from lodash@4.17.11 to lodash@4.17.21") ||
		!reflect.DeepEqual(f.Tags, []string{"target_file:package-lock.json", "upgrade_to:lodash@4.17.21", "upgrade_to:other@2"}) ||
		!strings.Contains(f.References, "Several CWEs were reported: \n\nCWE-78, CWE-94\n") {
		t.Errorf("%+v", f)
	}
}

func TestBroken(t *testing.T) {
	for name, report := range map[string]string{
		"not snyk":      `{"ok": true}`,
		"no from":       `{"vulnerabilities": [{"id": "1", "title": "t", "from": []}]}`,
		"cut":           `[{"vulnerabilities": [{"id": "1"`,
		"code no score": `{"runs": [{"results": [{"ruleId": "r", "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.js"}}}]}]}]}`,
		"empty":         ``,
	} {
		_, err := findings.Parse(Parser{}, strings.NewReader(report))
		if !errors.Is(err, findings.ErrFormat) || !strings.Contains(err.Error(), "snyk test --json") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if got, err := findings.Parse(Parser{}, strings.NewReader(`{"runs": []}`)); err != nil || len(got) != 0 {
		t.Errorf("SARIF without runs: %v, %v", got, err)
	}
}
