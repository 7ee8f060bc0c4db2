package sarif

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/secbot/secbot/internal/findings"
)

func TestLongTitlesAreCutOnRunes(t *testing.T) {
	msg := strings.Repeat("é", 200)
	report := `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x","rules":[{"id":"R1","properties":{"security-severity":"9.1"}}]}},
		"results":[{"ruleId":"R1","message":{"text":"` + msg + `"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"a.c"},"region":{"startLine":3}}}]}]}]}`
	got, err := findings.Parse(Parser{}, strings.NewReader(report))
	if err != nil || len(got) != 1 {
		t.Fatalf("%v %v", got, err)
	}
	f := got[0]
	if !utf8.ValidString(f.Title) || utf8.RuneCountInString(f.Title) != maxTitle || !strings.HasSuffix(f.Title, "...") {
		t.Fatalf("title %q (%d runes)", f.Title, utf8.RuneCountInString(f.Title))
	}
	if f.Severity != "Critical" || f.FilePath != "a.c" || f.Line != 3 {
		t.Fatalf("security-severity 9.1 must make it Critical: %+v", f)
	}
}

// TestGitleaksSnippetsAreRedacted reads gitleaks' SARIF, whose snippets
// are the secrets it found: they are redacted; another tool's snippets
// are code and stay.
func TestGitleaksSnippetsAreRedacted(t *testing.T) {
	const secret = "ghp_R8x2Lk9QmT4vW7zN1bY5cP3sJ6hF0aD2gE8u"
	report := func(tool string) string {
		return `{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "` + tool + `"}}, "results": [{"ruleId": "github-pat",
			"message": {"text": "github-pat has detected secret for file a.env."}, "locations": [{"physicalLocation":
			{"artifactLocation": {"uri": "a.env"}, "region": {"startLine": 1, "snippet": {"text": "` + secret + `"}}}}]}]}]}`
	}
	got, err := findings.Parse(Parser{}, strings.NewReader(report("gitleaks")))
	if err != nil || len(got) != 1 {
		t.Fatalf("%d findings, %v", len(got), err)
	}
	if s := fmt.Sprintf("%+v", got[0]); strings.Contains(s, secret) || !strings.Contains(got[0].Description, "REDACTED") {
		t.Fatalf("gitleaks' SARIF keeps its secret: %s", got[0].Description)
	}
	other, _ := findings.Parse(Parser{}, strings.NewReader(report("semgrep")))
	if len(other) != 1 || !strings.Contains(other[0].Description, secret) {
		t.Fatalf("another tool's snippet was changed: %+v", other)
	}
}
