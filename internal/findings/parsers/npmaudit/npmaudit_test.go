package npmaudit

import (
	"errors"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/parsertest"
)

func parseFixture(t *testing.T, name string) []findings.Finding {
	t.Helper()
	return parsertest.ParseSample(t, Parser{}, "npm_audit_7_plus/"+name)
}

func TestOneVuln(t *testing.T) {
	got := parseFixture(t, "one_vuln.json")
	if len(got) != 1 {
		t.Fatalf("%d findings", len(got))
	}
	if f := got[0]; f.Severity != findings.High || f.CWE != 400 || f.Description == "" || f.Impact != "No impact provided" || !f.StaticFinding {
		t.Errorf("%+v", f)
	}
}

// TestManyVulns pins a package depending on vulnerable ones and an
// advisory's package, whose description walks the packages it affects.
func TestManyVulns(t *testing.T) {
	got := parseFixture(t, "many_vulns.json")
	if len(got) != 6 {
		t.Fatalf("%d findings", len(got))
	}
	fun := got[0]
	if fun.Title != "@vercel/fun" || fun.Severity != findings.Medium || fun.CWE != 1035 || fun.ComponentName != "@vercel/fun" ||
		fun.Mitigation != "Update vercel to version 32.3.0" || fun.VulnIDFromTool != "" || fun.References != "" {
		t.Errorf("@vercel/fun: %+v", fun)
	}
	debug := got[2]
	wantDesc := "debug 4.0.0 - 4.3.0\nSeverity: moderate\n" +
		"Regular Expression Denial of Service in debug - https://github.com/advisories/GHSA-gxpj-cx7g-858c\n" +
		"Fix Available: Update vercel to version 32.3.0\nnode_modules/@vercel/fun/node_modules/debug\n" +
		"  @vercel/fun <=1.1.0\n  Depends on vulnerable versions of debug\n  Depends on vulnerable versions of semver\n  node_modules/@vercel/fun\n" +
		"    vercel 28.12.3 || 29.0.1 - 29.0.3 || >=32.0.2\n    node_modules/@vercel/fun\n"
	if debug.Title != "Regular Expression Denial of Service in debug" || debug.CWE != 400 || debug.VulnIDFromTool != "1094219" ||
		debug.ComponentName != "node_modules/@vercel/fun/node_modules/debug" ||
		debug.References != "https://github.com/advisories/GHSA-gxpj-cx7g-858c" || debug.Description != wantDesc {
		t.Errorf("debug: %+v", debug)
	}
	if got := parseFixture(t, "issue_10801.json")[0]; got.CWE != 0 || got.Severity != findings.Medium {
		t.Errorf("an advisory without CWE: %+v", got)
	}
}

// TestAuditFixDryRun reads npm audit fix --dry-run --json, whose audit
// object holds the report, and packages sharing a title and severity:
// one finding, the last one, where the first was.
func TestAuditFixDryRun(t *testing.T) {
	node := func(name, fix string) string {
		return `"` + name + `": {"name": "` + name + `", "severity": "high", "via": [{"source": 1, "name": "` + name + `",
			"title": "Same advisory", "url": "https://x/` + name + `", "cwe": ["CWE-79"], "cvss": {}}],
			"effects": [], "range": "<1", "nodes": ["node_modules/` + name + `"], "fixAvailable": ` + fix + `}`
	}
	report := `{"added": 1, "audit": {"vulnerabilities": {` + node("a", "true") + `, ` +
		`"b": {"name": "b", "severity": "low", "via": ["a"], "effects": [], "range": "*", "nodes": ["node_modules/b"], "fixAvailable": false}, ` +
		node("c", `{"name": "c", "version": "2.0.0"}`) + `}, "auditReportVersion": 2}}`
	got, err := findings.Parse(Parser{}, strings.NewReader(report))
	if err != nil || len(got) != 2 {
		t.Fatalf("%+v, %v", got, err)
	}
	if got[0].ComponentName != "node_modules/c" || got[0].Mitigation != "Update c to version 2.0.0" || got[1].Title != "b" ||
		got[1].Mitigation != "No specific mitigation provided by tool." {
		t.Errorf("%+v", got)
	}
}

func TestBroken(t *testing.T) {
	for name, report := range map[string]string{
		"npm 6":          `{"advisories": {}, "metadata": {}}`,
		"unknown effect": `{"auditReportVersion": 2, "vulnerabilities": {"a": {"name": "a", "severity": "low", "via": ["b"], "effects": ["zz"], "range": "*", "nodes": []}}}`,
		"empty via":      `{"auditReportVersion": 2, "vulnerabilities": {"a": {"name": "a", "severity": "low", "via": [], "effects": [], "range": "*", "nodes": []}}}`,
		"cut":            `{"auditReportVersion": 2, "vulnerabilities": {"a": {"name"`,
	} {
		_, err := findings.Parse(Parser{}, strings.NewReader(report))
		if !errors.Is(err, findings.ErrFormat) || !strings.Contains(err.Error(), "npm audit --json") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if got, err := findings.Parse(Parser{}, strings.NewReader(`{"auditReportVersion": 2, "vulnerabilities": {}}`)); err != nil || len(got) != 0 {
		t.Errorf("no vulnerabilities: %v, %v", got, err)
	}
}
