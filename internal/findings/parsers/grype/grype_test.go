package grype

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
	return parsertest.ParseSample(t, Parser{}, "anchore_grype/"+name)
}

// TestCheckAllFields pins the fields DefectDojo's test_check_all_fields
// asserts for the first and last findings of check_all_fields.json.
func TestCheckAllFields(t *testing.T) {
	got := parseFixture(t, "check_all_fields.json")
	if len(got) != 5 {
		t.Fatalf("%d findings", len(got))
	}
	f := got[0]
	wantDesc := "**Vulnerability Namespace:** debian:10\n" +
		"**Related Vulnerability Description:** The krb5-send-pr script in the kerberos5 (krb5) package in Trustix Secure Linux 1.5 through 2.1, and possibly other operating systems, allows local users to overwrite files via a symlink attack on temporary files.\n" +
		"**Matcher:** dpkg-matcher\n" +
		"**Package URL:** pkg:deb/debian/libgssapi-krb5-2@1.17-3+deb10u3?arch=amd64"
	if f.Title != "CVE-2004-0971 in libgssapi-krb5-2:1.17-3+deb10u3" || f.Description != wantDesc {
		t.Errorf("title %q, description %q", f.Title, f.Description)
	}
	wantRefs := "**Vulnerability Datasource:** https://security-tracker.debian.org/tracker/CVE-2004-0971\n" +
		"**Related Vulnerability Datasource:** https://nvd.nist.gov/vuln/detail/CVE-2004-0971\n" +
		"**Related Vulnerability URLs:**\n- http://www.securityfocus.com/bid/11289\n"
	if !strings.HasPrefix(f.References, wantRefs) || strings.HasSuffix(f.References, "\n") {
		t.Errorf("references %q", f.References)
	}
	if f.Severity != findings.Info || f.Mitigation != "" || f.CWE != 1352 || f.ComponentName != "libgssapi-krb5-2" ||
		f.ComponentVersion != "1.17-3+deb10u3" || f.VulnIDFromTool != "CVE-2004-0971" || f.FilePath != "/var/lib/dpkg/status" ||
		!reflect.DeepEqual(f.VulnerabilityIDs, []string{"CVE-2004-0971"}) || !reflect.DeepEqual(f.Tags, []string{"dpkg"}) ||
		f.NbOccurences != 1 || !f.StaticFinding {
		t.Errorf("first finding: %+v", f)
	}

	redis := got[1]
	if redis.Mitigation != "Upgrade to version:\n- fix_1\n- fix_2" || !reflect.DeepEqual(redis.Tags, []string{"python", "python2"}) ||
		!strings.Contains(redis.Description, "\n**Matchers:**\n- python-matcher\n- python2-matcher\n") {
		t.Errorf("redis: mitigation %q, tags %v, description %q", redis.Mitigation, redis.Tags, redis.Description)
	}

	django := got[4]
	if django.Title != "GHSA-v6rh-hp5x-86rv in Django:3.2.9" || django.Severity != findings.High ||
		django.Mitigation != "Upgrade to version: 3.2.10" || django.NbOccurences != 2 ||
		!reflect.DeepEqual(django.VulnerabilityIDs, []string{"GHSA-v6rh-hp5x-86rv", "CVE-2021-44420"}) ||
		!strings.Contains(django.Description, "**Vulnerability Description:** Potential bypass of an upstream access control based on URL paths in Django\n") {
		t.Errorf("django: %+v", django)
	}
}

// TestSamePackageAtTwoPaths: one finding, counted twice, at the first path.
func TestSamePackageAtTwoPaths(t *testing.T) {
	got := parseFixture(t, "same_cve_different_paths.json")
	if len(got) != 1 || got[0].NbOccurences != 2 || got[0].FilePath != "/usr/lib/x86_64-linux-gnu/libc.so.6" {
		t.Fatalf("%+v", got)
	}
}

// TestOlderShapes reads grype's older matchDetails (one object) and a
// match with no namespace, related vulnerability or purl.
func TestOlderShapes(t *testing.T) {
	report := `{"source": {"type": "image"}, "matches": [{
		"vulnerability": {"id": "GHSA-1", "severity": "Medium", "dataSource": "https://x/GHSA-1", "urls": ["https://x/GHSA-1"],
			"fix": {"versions": ["1.2.3"]}},
		"matchDetails": {"matcher": "stock-matcher"},
		"artifact": {"name": "lib", "version": "1.0\u0000", "locations": []}}]}`
	got, err := findings.Parse(Parser{}, strings.NewReader(report))
	if err != nil || len(got) != 1 {
		t.Fatalf("%+v, %v", got, err)
	}
	f := got[0]
	if f.Title != "GHSA-1 in lib:1.0" || f.ComponentVersion != "1.0" || f.Description != "\n**Matcher:** stock-matcher" ||
		f.References != "**Vulnerability Datasource:** https://x/GHSA-1" || f.Mitigation != "Upgrade to version: 1.2.3" ||
		!reflect.DeepEqual(f.Tags, []string{"stock"}) || f.FilePath != "" || f.Severity != findings.Medium {
		t.Fatalf("%+v", f)
	}
}

func TestBroken(t *testing.T) {
	for name, report := range map[string]string{
		"no matches":  `{"source": {}}`,
		"no id":       `{"matches": [{"vulnerability": {"severity": "High"}, "artifact": {"name": "x"}}]}`,
		"not grype":   `[{"matches": []}]`,
		"cut matches": `{"matches": [{"vulnerability": {"id": "CVE-1"`,
	} {
		_, err := findings.Parse(Parser{}, strings.NewReader(report))
		if !errors.Is(err, findings.ErrFormat) || !strings.Contains(err.Error(), "-o json") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
