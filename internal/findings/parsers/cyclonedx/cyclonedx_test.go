package cyclonedx

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/parsertest"
)

func parse(t *testing.T, report string) []findings.Finding {
	t.Helper()
	return parsertest.Parse(t, Parser{}, report)
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	return parsertest.Sample(t, "cyclonedx/"+name)
}

// TestSpec14 pins the finding of DefectDojo's 1.4 samples, the same BOM
// in JSON and in XML, as its unit tests assert them.
func TestSpec14(t *testing.T) {
	for file, ids := range map[string][]string{
		"valid-vulnerability-1.4.json": {"SNYK-JAVA-COMFASTERXMLJACKSONCORE-32111", "CVE-2018-7489"},
		"valid-vulnerability-1.4.xml":  {"SNYK-JAVA-COMFASTERXMLJACKSONCORE-32111", "CVE-2018-7489", "CVE-2018-7489"},
	} {
		t.Run(file, func(t *testing.T) {
			got := parse(t, fixture(t, file))
			if len(got) != 1 {
				t.Fatalf("%d findings", len(got))
			}
			f := got[0]
			if f.Title != "jackson-databind:2.9.4 | SNYK-JAVA-COMFASTERXMLJACKSONCORE-32111" || f.Severity != findings.Critical ||
				f.ComponentName != "jackson-databind" || f.ComponentVersion != "2.9.4" || f.CWE != 184 ||
				f.VulnIDFromTool != ids[0] || !slices.Equal(f.VulnerabilityIDs, ids) ||
				!f.IsMitigated || f.Active == nil || *f.Active || !f.StaticFinding || f.DynamicFinding {
				t.Fatalf("finding: %+v", f)
			}
			for field, parts := range map[string][]string{
				f.Description: {"FasterXML jackson-databind before 2.7.9.3"},
				f.Mitigation: {"Upgrade com.fasterxml.jackson.core:jackson-databind to version 2.6.7.5, 2.8.11.1, 2.9.5 or higher.",
					"**This vulnerability is mitigated and/or suppressed:** An optional explanation of why the application is not affected"},
				f.References: {"**Title:** GitHub Commit\n**URL:** https://github.com/FasterXML/jackson-databind/commit/6799f8f10cc78e9af6d443ed6982d00a13f2e7d2\n"},
			} {
				for _, part := range parts {
					if !strings.Contains(field, part) {
						t.Errorf("%q lacks %q", field, part)
					}
				}
			}
		})
	}
}

// TestVulnerabilityExtension pins the older specs' extension, in a
// component and at the BOM's top level.
func TestVulnerabilityExtension(t *testing.T) {
	spec := parse(t, fixture(t, "spec1.xml"))
	if len(spec) != 1 {
		t.Fatalf("%d findings", len(spec))
	}
	f := spec[0]
	if f.Title != "jackson-databind:2.9.9 | CVE-2018-7489" || f.Severity != findings.Critical || f.CWE != 184 ||
		f.Mitigation != "Upgrade\n" || !strings.HasPrefix(f.References, "https://github.com/FasterXML/jackson-databind/issues/1931\n") ||
		!slices.Equal(f.VulnerabilityIDs, []string{"CVE-2018-7489"}) || f.StaticFinding || !f.DynamicFinding {
		t.Fatalf("spec1: %+v", f)
	}
	grype := parse(t, fixture(t, "grype_dd_1_14_1.xml"))
	if len(grype) != 312 || grype[0].Title != "Django:2.2.18 | GHSA-xgxc-v2qg-chmh" || grype[0].Severity != findings.Low ||
		grype[0].Date.Format("2006-01-02") != "2021-04-13" || grype[200].ComponentName != "libopenjp2-7" ||
		!slices.Equal(grype[200].VulnerabilityIDs, []string{"CVE-2019-6988"}) {
		t.Fatalf("grype: %d findings, the first %+v", len(grype), grype[0])
	}
}

// The parts of a JSON BOM: nested components, a vector without a
// severity, an unknown ref and a false positive.
const (
	vulnerabilities = `"vulnerabilities": [
    {"id": "CVE-2024-1", "ratings": [{"method": "CVSSv31", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L"}],
     "cwes": [79, 89], "affects": [{"ref": "inner"}, {"ref": "nowhere"}]},
    {"id": "GHSA-2", "ratings": [{"severity": "unknown"}], "description": "d", "detail": "more",
     "analysis": {"state": "false_positive", "detail": "not reachable"}, "affects": [{"ref": "outer"}]}]`
	componentList = `"components": [{"bom-ref": "outer", "name": "app", "version": "1", "components": [{"bom-ref": "inner", "name": "lib"}]}]`
	metadata      = `"metadata": {"timestamp": "2024-05-01T10:00:00Z"}`
	header        = `"bomFormat": "CycloneDX", "specVersion": "1.5"`
)

func TestJSONInAnyOrder(t *testing.T) {
	// Vulnerabilities before the components and the metadata.
	got := parse(t, "{"+strings.Join([]string{vulnerabilities, componentList, metadata, header}, ", ")+"}")
	if len(got) != 3 {
		t.Fatalf("%d findings: %+v", len(got), got)
	}
	inner, nowhere, fp := got[0], got[1], got[2]
	if inner.Title != "lib:None | CVE-2024-1" || inner.ComponentVersion != "" || inner.Severity != findings.Medium ||
		inner.CWE != 79 || inner.Description != "Description was not provided." || inner.Date.Format("2006-01-02") != "2024-05-01" {
		t.Fatalf("nested component, severity from the vector: %+v", inner)
	}
	if nowhere.Title != "None:None | CVE-2024-1" || nowhere.ComponentName != "" {
		t.Fatalf("unknown ref: %+v", nowhere)
	}
	if fp.Severity != findings.Info || !fp.FalsePositive || fp.IsMitigated || fp.Description != "d\nmore" ||
		fp.Mitigation != "\n**This vulnerability is mitigated and/or suppressed:** not reachable\n" {
		t.Fatalf("false positive: %+v", fp)
	}
	inOrder := "{" + strings.Join([]string{header, metadata, componentList, vulnerabilities}, ", ") + "}"
	if again := parse(t, inOrder); !reflect.DeepEqual(again, got) {
		t.Fatalf("in order:\n%+v\nreordered:\n%+v", again, got)
	}
}

func TestNoVulnerabilities(t *testing.T) {
	for _, bom := range []string{fixture(t, "cyclonedx_bom.xml"), `{"bomFormat": "CycloneDX", "specVersion": "1.4", "components": []}`,
		`<bom xmlns="http://cyclonedx.org/schema/bom/1.6"><components/></bom>`} {
		if got := parse(t, bom); len(got) != 0 {
			t.Fatalf("%d findings", len(got))
		}
	}
}

func TestBrokenReports(t *testing.T) {
	for report, want := range map[string]string{
		`{"bomFormat": "SPDX"}`:                                            `found "SPDX"`,
		`{"spdxVersion": "SPDX-2.3"}`:                                      "CycloneDX BOM",
		`<bom xmlns="http://spdx.org/x"/>`:                                 "namespace http://cyclonedx.org/schema/bom/",
		`<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><components>`:    "at line 1",
		`{"bomFormat": "CycloneDX", "vulnerabilities": [{"cwes": ["x"]}]}`: "CWE number",
		"":     "empty",
		"---":  "neither JSON nor XML",
		"\x00": "neither JSON nor XML",
	} {
		_, err := findings.Parse(Parser{}, strings.NewReader(report))
		if !errors.Is(err, findings.ErrFormat) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "CycloneDX wants") {
			t.Errorf("%q: err = %v, want %q", report, err, want)
		}
	}
}
