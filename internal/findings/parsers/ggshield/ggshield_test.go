package ggshield

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

func TestFindings(t *testing.T) {
	got := parse(t, parsertest.Sample(t, "ggshield/many_findings.json"))
	if len(got) != 2 {
		t.Fatalf("%d findings, want 2", len(got))
	}
	first, second := got[0], got[1]
	const title = "Hard coded Django Secret Key found in wapf/settings.py"
	want := "**Secret:** REDACTED\n**Type:** apikey\n**File path:** wapf/settings.py\n" +
		"**Commit hash:** 03a2bf6cba491559f8b760a2c9bf8dd9f53916a0\n**Start line:** 23\n**End line:** 23\n" +
		"**Commit date:** 2021-03-13\n**Key type:** Django Secret Key\n**Author:** iamnihal\n**Email:** nihalcyberdude@gmail.com"
	if first.Title != title || first.Severity != findings.High || first.CWE != 798 || first.FilePath != "wapf/settings.py" ||
		first.Line != 23 || first.Date.Format("2006-01-02") != "2021-03-13" || !first.StaticFinding || first.DynamicFinding {
		t.Errorf("first finding: %+v", first)
	}
	if first.Description != want {
		t.Errorf("description:\n%s\nwant\n%s", first.Description, want)
	}
	// No lines: none in the description, none in the finding.
	if second.Title != title || second.Line != 0 || second.Date.Format("2006-01-02") != "2021-07-05" ||
		strings.Contains(second.Description, "line:") || !strings.Contains(second.Description, "8f388be3452f8d9f20ed788c94ebc11faa8ae7b6") {
		t.Errorf("second finding: %+v", second)
	}
	// The masked match (ggshield's default) shows in neither form.
	parsertest.NoSecret(t, got, []string{"&dtzi36g3***************-*****+**********ljel3*ji5", "&dtzi36g3---------------------------------ljel3-ji5", "dtzi36g3"})
}

// report is a commit-range report of one commit whose parts come in the
// order given.
func report(parts ...string) string {
	return `{"type": "commit-range", "scans": [{` + strings.Join(parts, ", ") + `}]}`
}

const (
	id       = `"id": "abc123"`
	info     = `"extra_info": {"author": "ann", "email": "ann@example.com", "date": "Tue Feb 6 09:05:01 2024 -0800"}`
	total    = `"total_incidents": 1`
	entities = `"entities_with_incidents": [{"filename": "app/.env", "incidents": [{"type": "GitHub Token",
		"occurrences": [{"match": "ghp_R4nd0mT0k3nV4lu3xyzABCDEFGHIJ0123", "type": "apikey", "line_start": 4, "line_end": 4}]}]}]`
)

func TestMatchesInClearAreRedacted(t *testing.T) {
	// ggshield --show-secrets writes the secret in clear; a file named
	// after it (or a commit quoting it) does not show it either.
	r := strings.Replace(report(id, info, total, entities), `"app/.env"`, `"ghp_R4nd0mT0k3nV4lu3xyzABCDEFGHIJ0123.txt"`, 1)
	got := parse(t, r)
	if len(got) != 1 || got[0].FilePath != "REDACTED.txt" || !strings.HasPrefix(got[0].Description, "**Secret:** REDACTED\n") {
		t.Fatalf("%+v", got)
	}
	parsertest.NoSecret(t, got, []string{"ghp_R4nd0mT0k3nV4lu3xyzABCDEFGHIJ0123"})
}

func TestPartsInAnyOrder(t *testing.T) {
	inOrder := parse(t, report(id, info, total, entities))
	if len(inOrder) != 1 || inOrder[0].Date.Format("2006-01-02") != "2024-02-06" || !strings.Contains(inOrder[0].Description, "**Author:** ann\n") {
		t.Fatalf("in order: %+v", inOrder)
	}
	for _, order := range [][]string{{entities, id, info, total}, {total, entities, info, id}, {info, entities, total, id}} {
		if got := parse(t, report(order...)); !reflect.DeepEqual(got, inOrder) {
			t.Errorf("in another order:\n%+v\nwant\n%+v", got, inOrder)
		}
	}
	// A commit counted without incidents is skipped, as DefectDojo does,
	// whether its files come before or after the count.
	for _, order := range [][]string{{id, info, `"total_incidents": 0`, entities}, {entities, id, info, `"total_incidents": 0`}} {
		if got := parse(t, report(order...)); len(got) != 0 {
			t.Errorf("a commit without incidents gave %d findings", len(got))
		}
	}
}

func TestRepeatsAndPathScans(t *testing.T) {
	// The same match at the same lines in two commits is one finding.
	one := `{` + id + `, ` + info + `, ` + total + `, ` + entities + `}`
	got := parse(t, `{"scans": [`+one+`, `+strings.Replace(one, "abc123", "def456", 1)+`]}`)
	if len(got) != 1 || got[0].NbOccurences != 2 || !strings.Contains(got[0].Description, "abc123") {
		t.Errorf("repeats: %+v", got)
	}
	// A path scan has incidents and no commits.
	got = parse(t, `{"id": "/src", "type": "path_scan", "total_incidents": 1, `+entities+`}`)
	if len(got) != 1 || got[0].Line != 4 || strings.Contains(got[0].Description, "Commit") || !got[0].Date.IsZero() {
		t.Errorf("path scan: %+v", got)
	}
}

func TestBroken(t *testing.T) {
	for r, want := range map[string]string{
		`{"id": "x", "type": "commit-range"}`: "the report has no scans",
		`{"scans": {"id": "x"}}`:              "want a JSON array, found {",
		`{"scans": [{"id": 1}]}`:              "cannot unmarshal number",
		`[]`:                                  "want a JSON object",
	} {
		_, err := findings.Parse(Parser{}, strings.NewReader(r))
		if !errors.Is(err, findings.ErrFormat) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "ggshield wants") {
			t.Errorf("%s: err = %v, want ErrFormat saying %q", r, err, want)
		}
	}
}
