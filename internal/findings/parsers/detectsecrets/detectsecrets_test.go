package detectsecrets

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/parsertest"
)

func parse(t *testing.T, report string) []findings.Finding {
	t.Helper()
	return parsertest.Parse(t, Parser{}, report)
}

func TestFindings(t *testing.T) {
	got := parse(t, parsertest.Sample(t, "detect_secrets/many_findings.json"))
	if len(got) != 4 {
		t.Fatalf("%d findings, want 4", len(got))
	}
	date := time.Date(2021, 5, 19, 10, 40, 18, 0, time.UTC)
	first := got[0]
	want := "Detected potential secret with the following related data:\n**Filename:** modules_images\n**Line:** 151\n**Type:** Secret Keyword"
	if first.Title != "Secret Keyword" || first.Severity != findings.High || first.CWE != 798 || first.FilePath != "modules_images" ||
		first.Line != 151 || !first.Date.Equal(date) || first.Description != want || first.NbOccurences != 1 ||
		first.Verified == nil || *first.Verified || first.Active == nil || !*first.Active || first.FalsePositive {
		t.Errorf("first finding: %+v", first)
	}
	// Audited: is_secret true stays active; false is a false positive.
	if audited := got[1]; audited.Line != 156 || !*audited.Active || audited.FalsePositive {
		t.Errorf("a secret the audit confirmed: %+v", audited)
	}
	if dismissed := got[3]; dismissed.FilePath != "example/pkg/docker_registry_watcher/docker_registry_watcher.go" ||
		dismissed.Line != 112 || *dismissed.Active || !dismissed.FalsePositive {
		t.Errorf("a secret the audit dismissed: %+v", dismissed)
	}
	// The baseline's only trace of the secrets, their hashes, is kept nowhere.
	parsertest.NoSecret(t, got, []string{"bd564db5d5cc358eb0e3523d3e03041739f230d5", "535850f35566365fddf9eb01a0d36962c0ffed8c",
		"0f7a136b462b257b9996c246e2e50cbd629e7928", "b732fb611fd46a38e8667f9972e0cde777fbe37f"})
}

func TestDateBeforeOrAfterResults(t *testing.T) {
	const results = `"results": {"a.py": [{"type": "Hex High Entropy String", "filename": "a.py", "hashed_secret": "h1", "line_number": 3},
		{"type": "Hex High Entropy String", "hashed_secret": "h2", "line_number": 9, "is_verified": true}], "b.py": []}`
	const date = `"generated_at": "2024-03-01T08:00:00Z"`
	after := parse(t, `{"version": "1.4.0", `+results+`, `+date+`}`)
	before := parse(t, `{`+date+`, `+results+`}`)
	if len(after) != 2 || !reflect.DeepEqual(after, before) {
		t.Fatalf("results before the date:\n%+v\nafter it:\n%+v", after, before)
	}
	// A result that does not name its file is of the file it is listed under.
	if second := after[1]; second.FilePath != "a.py" || !*second.Verified || second.Date.Format(time.DateOnly) != "2024-03-01" {
		t.Errorf("second result: %+v", second)
	}
	if undated := parse(t, `{`+results+`}`); len(undated) != 2 || !undated[0].Date.IsZero() {
		t.Errorf("a report without generated_at: %+v", undated)
	}
}

func TestRepeats(t *testing.T) {
	const r = `{"type": "Secret Keyword", "filename": "a.py", "hashed_secret": "h1", "line_number": 3}`
	got := parse(t, `{"results": {"a.py": [`+r+`, `+r+`, `+strings.Replace(r, "h1", "h2", 1)+`]}}`)
	if len(got) != 2 || got[0].NbOccurences != 2 || got[1].NbOccurences != 1 {
		t.Errorf("the same secret twice at one line: %+v", got)
	}
}

func TestBroken(t *testing.T) {
	for r, want := range map[string]string{
		`{"version": "1.4.0"}`:                          "the report has no results",
		`{"results": []}`:                               "want a JSON object, found [",
		`{"results": {"a.py": [{"filename": "a.py"}]}}`: `result 1 (of "a.py") has no type`,
		`{"results": {"a.py": [{"type": 7}]}}`:          "cannot unmarshal number",
	} {
		_, err := findings.Parse(Parser{}, strings.NewReader(r))
		if !errors.Is(err, findings.ErrFormat) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "detect-secrets wants") {
			t.Errorf("%s: err = %v, want ErrFormat saying %q", r, err, want)
		}
	}
}
