package sarif

import (
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
