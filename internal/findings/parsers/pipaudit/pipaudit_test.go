package pipaudit

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/testenv/fixtures"
)

// TestBothShapes reads the older list and the current object, which
// DefectDojo's test expects to give the same findings.
func TestBothShapes(t *testing.T) {
	var shapes [][]findings.Finding
	for _, name := range []string{"many_vulns.json", "many_vulns_new.json"} {
		f, err := fixtures.Open("defectdojo/pip_audit/" + name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := findings.Parse(Parser{}, f)
		f.Close()
		if err != nil || len(got) != 7 {
			t.Fatalf("%s: %d findings, %v", name, len(got), err)
		}
		shapes = append(shapes, got)
	}
	if !reflect.DeepEqual(shapes[0], shapes[1]) {
		t.Errorf("the shapes read differently:\n%+v\n%+v", shapes[0], shapes[1])
	}
	f := shapes[1][0]
	if f.Title != "PYSEC-2021-76 in aiohttp:3.6.2" || f.CWE != 1395 || f.Severity != findings.Medium ||
		f.Mitigation != "Upgrade to version: 3.7.4" || f.ComponentName != "aiohttp" || f.ComponentVersion != "3.6.2" ||
		f.VulnIDFromTool != "PYSEC-2021-76" || !reflect.DeepEqual(f.VulnerabilityIDs, []string{"PYSEC-2021-76"}) ||
		!strings.HasPrefix(f.Description, "aiohttp is an asynchronous HTTP client/server framework") || !f.StaticFinding {
		t.Errorf("%+v", f)
	}
	if django := shapes[1][1]; django.Mitigation != "Upgrade to version:\n- 2.2.25\n- 3.1.14\n- 3.2.10" {
		t.Errorf("django mitigation %q", django.Mitigation)
	}
	if lxml := shapes[1][2]; lxml.Mitigation != "" || lxml.Title != "PYSEC-2021-852 in lxml:4.6.4" {
		t.Errorf("lxml: %+v", lxml)
	}
}

func TestBroken(t *testing.T) {
	for _, broken := range []string{"", `{"fixes": []}`, `[{"name": "x", "vulns": [{"id": "1"`, `"text"`} {
		_, err := findings.Parse(Parser{}, strings.NewReader(broken))
		if !errors.Is(err, findings.ErrFormat) || !strings.Contains(err.Error(), "pip-audit -f json") {
			t.Errorf("%q: %v", broken, err)
		}
	}
}
