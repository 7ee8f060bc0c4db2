package gosec

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

const md5 = `{"severity": "MEDIUM", "confidence": "HIGH", "cwe": {"id": "327", "url": "https://cwe.mitre.org/data/definitions/327.html"},
	"rule_id": "G401", "details": "Use of weak cryptographic primitive", "file": "/src/user/user.go",
	"code": "h := md5.New()", "line": "160", "column": "8", "nosec": false}`

func TestIssue(t *testing.T) {
	got := parse(t, `{"Golang errors": {}, "Issues": [`+md5+`], "Stats": {"files": 1}, "GosecVersion": "dev"}`)
	want := findings.Finding{
		Title:    "Use of weak cryptographic primitive - rule G401",
		Severity: findings.Medium, CWE: 327, FilePath: "/src/user/user.go", Line: 160,
		References:    "https://cwe.mitre.org/data/definitions/327.html",
		Description:   "Filename: /src/user/user.go\n\nLine number: 160\n\nIssue Confidence: HIGH\n\nCode:\n\n```h := md5.New()```",
		StaticFinding: true, DynamicFinding: true, NbOccurences: 1,
		RepeatKey: repeatKey("Use of weak cryptographic primitive - rule G401/src/user/user.go160"),
	}
	if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

// TestOlderIssues reads gosec's output before it gave CWEs, with a range
// of lines: the rule's documentation is the reference, the range's first
// line the line.
func TestOlderIssues(t *testing.T) {
	got := parse(t, `{"Issues": [{"severity": "LOW", "confidence": "HIGH", "rule_id": "G104", "details": "Errors unhandled.",
		"file": "/src/app.go", "code": "s.ListenAndServe()", "line": "79-81"},
		{"severity": "HIGH", "confidence": "LOW", "rule_id": "G101", "details": "Potential hardcoded credentials",
		"file": "/src/app.go", "code": "x", "line": "?"}]}`)
	if len(got) != 2 {
		t.Fatalf("%d findings", len(got))
	}
	if f := got[0]; f.Line != 79 || f.CWE != 0 || f.References != "https://securego.io/docs/rules/g104.html" ||
		f.Severity != findings.Low || !strings.Contains(f.Description, "Line number: 79-81\n") {
		t.Fatalf("%+v", f)
	}
	if f := got[1]; f.Line != 0 || f.Severity != findings.High {
		t.Fatalf("a line that is no number: %+v", f)
	}
}

// TestRepeatsAreOneFinding reads one issue reported twice (gosec reports
// a file once per package that builds it): one finding.
func TestRepeatsAreOneFinding(t *testing.T) {
	got := parse(t, `{"Issues": [`+md5+`,`+md5+`,`+strings.Replace(md5, `"160"`, `"161"`, 1)+`]}`)
	if len(got) != 2 || got[0].NbOccurences != 2 || got[1].Line != 161 {
		t.Fatalf("%+v", got)
	}
}

func TestNotAGosecReport(t *testing.T) {
	for name, body := range map[string]string{"empty": "", "a list": `[]`, "no Issues": `{"results": []}`} {
		t.Run(name, func(t *testing.T) {
			_, err := findings.Parse(Parser{}, strings.NewReader(body))
			if !errors.Is(err, findings.ErrFormat) || !strings.Contains(err.Error(), "gosec -fmt json") {
				t.Fatalf("err = %v", err)
			}
		})
	}
	if got := parse(t, `{"Issues": null, "Stats": {}}`); len(got) != 0 {
		t.Fatalf("%+v", got)
	}
}
