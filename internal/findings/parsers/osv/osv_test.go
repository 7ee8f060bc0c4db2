package osv

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/testenv/fixtures"
)

func TestSomeFindings(t *testing.T) {
	f, err := fixtures.Open("defectdojo/osv_scanner/some_findings.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := findings.Parse(Parser{}, f)
	if err != nil || len(got) != 1 {
		t.Fatalf("%d findings, %v", len(got), err)
	}
	x := got[0]
	if x.Title != "MAL-2023-1035_flot-axis" || x.Severity != findings.Low || x.CWE != 506 ||
		!reflect.DeepEqual(x.VulnerabilityIDs, []string{"MAL-2023-1035"}) || x.ComponentName != "flot-axis" ||
		x.ComponentVersion != "0.0.0" || x.FilePath != "/tmp/components/yarn.lock" || !x.StaticFinding ||
		x.References != "https://github.com/advisories/GHSA-8348-2q94-ffjx\n" || x.Mitigation != "" {
		t.Errorf("%+v", x)
	}
	if !strings.HasPrefix(x.Description, "Malicious code in flot-axis (npm)\n**Source type**: lockfile\n**Package ecosystem**: npm\n**Vulnerability details**: \n---\n") ||
		!strings.HasSuffix(x.Description, "\n**Vulnerability package purl**: pkg:npm/flot-axis\n") {
		t.Errorf("description %q", x.Description)
	}
}

// TestFixesAndKeyOrder: fixed versions by range type (a GIT fix as a
// commit URL), MODERATE as Medium, and packages and vulnerabilities
// before the source and package they belong to.
func TestFixesAndKeyOrder(t *testing.T) {
	vuln := `{"id": "GHSA-x", "summary": "s", "database_specific": {"severity": "MODERATE"},
		"affected": [{"ranges": [
			{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.2.26"}]},
			{"type": "GIT", "repo": "https://github.com/o/r", "events": [{"introduced": "0"}, {"fixed": "abc123"}]},
			{"type": "ECOSYSTEM", "events": [{"fixed": "3.2.11"}]}]}]}`
	inOrder := `{"results": [{"source": {"path": "go.sum", "type": "lockfile"}, "packages": [
		{"package": {"name": "p", "version": "1", "ecosystem": "Go"}, "vulnerabilities": [` + vuln + `]}]}]}`
	reordered := `{"results": [{"packages": [
		{"vulnerabilities": [` + vuln + `], "package": {"name": "p", "version": "1", "ecosystem": "Go"}}],
		"source": {"type": "lockfile", "path": "go.sum"}}]}`
	a, err := findings.Parse(Parser{}, strings.NewReader(inOrder))
	if err != nil || len(a) != 1 {
		t.Fatalf("%v, %v", a, err)
	}
	want := "**Upgrade to versions**:\n\tECOSYSTEM :\n\t\t- 2.2.26\n\t\t- 3.2.11\n\tGIT :\n\t\t- https://github.com/o/r/commit/abc123\n"
	if a[0].Mitigation != want || a[0].Severity != findings.Medium || a[0].FilePath != "go.sum" {
		t.Errorf("%+v", a[0])
	}
	b, err := findings.Parse(Parser{}, strings.NewReader(reordered))
	if err != nil || !reflect.DeepEqual(a, b) {
		t.Errorf("reordered: %+v, %v", b, err)
	}
}

func TestEmptyAndBroken(t *testing.T) {
	for _, empty := range []string{"", "  \n"} {
		if got, err := findings.Parse(Parser{}, strings.NewReader(empty)); err != nil || len(got) != 0 {
			t.Errorf("%q: %v, %v", empty, got, err)
		}
	}
	for _, broken := range []string{`{"results": [{"source"`, `{"other": 1}`, `[]`, "\x00"} {
		_, err := findings.Parse(Parser{}, strings.NewReader(broken))
		if !errors.Is(err, findings.ErrFormat) || !strings.Contains(err.Error(), "osv-scanner --format json") {
			t.Errorf("%q: %v", broken, err)
		}
	}
}
