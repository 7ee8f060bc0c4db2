package hadolint

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/parsertest"
)

func parse(t *testing.T, report string) []findings.Finding {
	t.Helper()
	return parsertest.Parse(t, Parser{}, report)
}

const pin = `{"line": 9, "code": "DL3008", "message": "Pin versions in apt get install.", "column": 1,
	"file": "Dockerfile.django", "level": "warning"}`

func TestResult(t *testing.T) {
	got := parse(t, `[`+pin+`, {"line": 24, "code": "DL3002", "message": "Last USER should not be root", "column": 1,
		"file": "Dockerfile", "level": "error"}, {"line": 3, "code": "DL4000", "message": "MAINTAINER is deprecated",
		"column": 1, "file": "Dockerfile", "level": "style"}]`)
	want := findings.Finding{
		Title: "DL3008: Pin versions in apt get install.", Severity: findings.High, FilePath: "Dockerfile.django", Line: 9,
		Description:   "Vulnerability ID: DL3008\nDetails: Pin versions in apt get install.",
		StaticFinding: true, NbOccurences: 1, RepeatKey: repeatKey("9-1DL3008Dockerfile.django"),
	}
	if len(got) != 3 || !reflect.DeepEqual(got[0], want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	if got[1].Severity != findings.Critical || got[2].Severity != findings.Info {
		t.Fatalf("error is Critical, style Info: %s, %s", got[1].Severity, got[2].Severity)
	}
}

// TestRepeatsAreOneFinding reads one code at the same line, column and
// file twice (DefectDojo keys results so): one finding.
func TestRepeatsAreOneFinding(t *testing.T) {
	moved := strings.Replace(pin, `"column": 1`, `"column": 5`, 1)
	got := parse(t, `[`+pin+`,`+pin+`,`+moved+`]`)
	if len(got) != 2 || got[0].NbOccurences != 2 {
		t.Fatalf("%+v", got)
	}
}

func TestNotAHadolintReport(t *testing.T) {
	for name, body := range map[string]string{
		"empty": "", "an object": `{"results": []}`, "no code": `[{"line": 1, "file": "Dockerfile"}]`, "null": "null",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := findings.Parse(Parser{}, strings.NewReader(body))
			if !errors.Is(err, findings.ErrFormat) || !strings.Contains(err.Error(), "hadolint -f json") {
				t.Fatalf("err = %v", err)
			}
		})
	}
	if got := parse(t, "[]"); len(got) != 0 {
		t.Fatalf("no results: %+v", got)
	}
}
