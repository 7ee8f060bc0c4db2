package deptrack

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
	return parsertest.ParseSample(t, Parser{}, "dependency_track/"+name)
}

func TestOneFinding(t *testing.T) {
	got := parseFixture(t, "one_finding.json")
	if len(got) != 1 {
		t.Fatalf("%d findings", len(got))
	}
	f := got[0]
	wantDesc := "You are using a component with a known vulnerability. Version 2.3.0 of the timespan component is affected by the vulnerability with an id of 533 as identified by NPM." +
		"\nThe purl of the affected component is: pkg:npm/timespan@2.3.0." +
		"\nVulnerability Title: Regular Expression Denial of Service\nVulnerability Subtitle: timespan\nVulnerability Description: Affected versions of `timespan`..."
	if f.Title != "timespan:2.3.0 affected by: 533 (NPM)" || f.Description != wantDesc {
		t.Errorf("title %q, description %q", f.Title, f.Description)
	}
	if f.Severity != findings.Low || f.CWE != 400 || f.ComponentName != "timespan" || f.ComponentVersion != "2.3.0" ||
		f.FilePath != "pkg:npm/timespan@2.3.0" || f.VulnIDFromTool != "115b80bb-46c4-41d1-9f10-8a175d4abb46" ||
		f.UniqueIDFromTool != "ca4f2da9-0fad-4a13-92d7-f627f3168a56:b815b581-fec1-4374-a871-68862a8f8d52:115b80bb-46c4-41d1-9f10-8a175d4abb46" ||
		!reflect.DeepEqual(f.VulnerabilityIDs, []string{"533"}) || f.FalsePositive || f.Active != nil || !f.StaticFinding ||
		f.References != "* [https://example.com](https://example.com)\n* [https://example.org](https://example.org)" || f.Mitigation != "" {
		t.Errorf("%+v", f)
	}
}

func TestManyFindings(t *testing.T) {
	got := parseFixture(t, "many_findings.json")
	if len(got) != 4 {
		t.Fatalf("%d findings", len(got))
	}
	fp := got[2]
	if !fp.FalsePositive || !fp.IsMitigated || fp.Active == nil || *fp.Active || !reflect.DeepEqual(fp.VulnerabilityIDs, []string{"CVE-2016-2097"}) {
		t.Errorf("false positive: %+v", fp)
	}
	// No purl: the file path is "unknown"; no CWE: 1035.
	if noPURL := got[3]; noPURL.FilePath != "unknown" || noPURL.ComponentVersion != "" || noPURL.Title != "actionview: affected by: CVE-2016-2097 (NVD)" ||
		!strings.HasPrefix(noPURL.Description, "You are using a component with a known vulnerability. The actionview component is affected") {
		t.Errorf("no purl: %+v", noPURL)
	}
}

func TestAliasesAndAuditDetail(t *testing.T) {
	got := parseFixture(t, "many_findings_with_alias.json")
	if want := []string{"GHSA-rgv9-q543-rqg4", "CVE-2022-42004", "DSA-5283-1"}; !reflect.DeepEqual(got[0].VulnerabilityIDs, want) {
		t.Errorf("ids %v, want %v", got[0].VulnerabilityIDs, want)
	}
	detail := parseFixture(t, "one_finding_with_analysis_detail.json")[0]
	if !strings.HasSuffix(detail.Description, "\nAudit Detail: Reviewed and confirmed vulnerable. Upgrade scheduled for next sprint.") ||
		detail.Severity != findings.Critical || detail.CWE != 1035 || detail.FalsePositive {
		t.Errorf("%+v", detail)
	}
}

// TestMitigationFromAffectedVersions: the range of the component's
// package that holds its version says what to upgrade to.
func TestMitigationFromAffectedVersions(t *testing.T) {
	report := func(version string, ranges string) string {
		return `{"findings": [{"component": {"name": "urllib3", "version": "` + version + `", "purl": "pkg:pypi/urllib3@` + version + `"},
			"vulnerability": {"vulnId": "CVE-1", "source": "NVD", "severity": "HIGH", "cweId": "CWE-200", "affectedVersions": [` + ranges + `]}}]}`
	}
	const two = `{"identityType": "PURL", "identity": "pkg:pypi/urllib3", "versionStartIncluding": "1.0", "versionEndExcluding": "1.26.18"},
		{"identityType": "PURL", "identity": "pkg:pypi/urllib3", "versionStartIncluding": "2.0.0", "versionEndIncluding": "2.0.6"},
		{"identityType": "PURL", "identity": "pkg:pypi/other", "versionEndExcluding": "9"}`
	for _, tt := range []struct{ version, ranges, want string }{
		{"1.26.16", two, "Upgrade to 1.26.18 or later"},
		{"2.0.6", two, "Upgrade to a version after 2.0.6"},
		{"2.0.7", two, ""},
		{"1.26.18rc1", two, "Upgrade to 1.26.18 or later"}, // a pre-release sorts before its release
		{"1.26.18-1", two, ""},                             // 1.26.18.post1
		{"1:2.3~deb", two, ""},                             // not PEP 440, and two ranges: none chosen
		{"not-a-version", `{"identityType": "PURL", "identity": "pkg:pypi/urllib3", "versionEndExcluding": "3"}`, "Upgrade to 3 or later"},
		{"1.0", `{"identityType": "PURL", "identity": "pkg:pypi/urllib3", "version": "1.0"}`, ""}, // an exact version is no range
	} {
		got, err := findings.Parse(Parser{}, strings.NewReader(report(tt.version, tt.ranges)))
		if err != nil || len(got) != 1 {
			t.Fatalf("%s: %v", tt.version, err)
		}
		if got[0].Mitigation != tt.want || got[0].CWE != 200 {
			t.Errorf("%s: mitigation %q (cwe %d), want %q", tt.version, got[0].Mitigation, got[0].CWE, tt.want)
		}
	}
}

func TestVersionOrder(t *testing.T) {
	ordered := []string{"1.0.dev1", "1.0a1", "1.0a2.dev1", "1.0b1", "1.0rc1", "1.0", "1.0+local.1", "1.0.post1", "1.1", "1!0.5"}
	for i := range ordered {
		for j := range ordered {
			a, okA := parseVersion(ordered[i])
			b, okB := parseVersion(ordered[j])
			if !okA || !okB {
				t.Fatalf("%s or %s not read", ordered[i], ordered[j])
			}
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := a.compare(b); got != want {
				t.Errorf("compare(%s, %s) = %d, want %d", ordered[i], ordered[j], got, want)
			}
		}
	}
	if a, _ := parseVersion("1.0"); a.compare(mustVersion(t, "1")) != 0 {
		t.Error("1.0 and 1 differ")
	}
}

func mustVersion(t *testing.T, s string) version {
	v, ok := parseVersion(s)
	if !ok {
		t.Fatalf("%s not read", s)
	}
	return v
}

func TestBroken(t *testing.T) {
	for name, report := range map[string]string{
		"not an export": `{"unrelated": true}`,
		"no vulnId":     `{"findings": [{"component": {"name": "x"}, "vulnerability": {"source": "NVD", "severity": "LOW"}}]}`,
		"no component":  `{"findings": [{"vulnerability": {"vulnId": "1", "source": "NVD", "severity": "LOW"}}]}`,
		"a list":        `[]`,
	} {
		_, err := findings.Parse(Parser{}, strings.NewReader(report))
		if !errors.Is(err, findings.ErrFormat) || !strings.Contains(err.Error(), "Finding Packaging Format") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if got, err := findings.Parse(Parser{}, strings.NewReader(`{}`)); err != nil || len(got) != 0 {
		t.Errorf("an empty object: %v, %v", got, err)
	}
}
