package reportfilter

import (
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// The bound on one finding, exactly (with a small one: the package's
// tests read one of MaxElement too).
func TestBound(t *testing.T) {
	const max = 1000
	for _, c := range []struct {
		size int
		ok   bool
	}{{size: max - 1, ok: true}, {size: max, ok: true}, {size: max + 1}, {size: 3 * max}} {
		finding := `{"message":{"text":"` + strings.Repeat("x", c.size-len(`{"message":{"text":""}}`)) + `"}}`
		report := `{"runs":[{"results":[{"message":{"text":"short"}},` + finding + `]}]}`
		f := newFilter(strings.NewReader(report), io.Discard, func(string) bool { return true })
		f.in.max = max
		err := formats["SARIF"].root(f)
		var large *TooLargeError
		switch {
		case c.ok && (err != nil || f.kept != 2):
			t.Errorf("a finding of %d bytes, the bound %d: kept %d, err %v", c.size, max, f.kept, err)
		case !c.ok && !errors.As(err, &large):
			t.Errorf("a finding of %d bytes, the bound %d: err %v, want a *TooLargeError", c.size, max, err)
		}
	}
}

// What a trivy result has before its Target is held, within the bound.
func TestBoundBeforeTarget(t *testing.T) {
	const max = 1000
	list := `[{"VulnerabilityID":"` + strings.Repeat("x", 600) + `"}]`
	for _, c := range []struct {
		report string
		ok     bool
	}{
		{`{"Results":[{"Vulnerabilities":` + list + `,"Target":"a"}]}`, true},
		{`{"Results":[{"Vulnerabilities":` + list + `,"Secrets":` + list + `,"Target":"a"}]}`, false},
		{`{"Results":[{"Target":"a","Vulnerabilities":` + list + `,"Secrets":` + list + `}]}`, true},
	} {
		f := newFilter(strings.NewReader(c.report), io.Discard, func(string) bool { return true })
		f.in.max = max
		err := formats["Trivy Scan"].root(f)
		var large *TooLargeError
		if c.ok != (err == nil) || !c.ok && !errors.As(err, &large) {
			t.Errorf("%.60s…: err %v", c.report, err)
		}
	}
}

// Keys the report chose are shortened in errors' paths.
func TestShorten(t *testing.T) {
	long := strings.Repeat("é", 40) // 80 bytes
	if got := shorten(long); len(got) > 64+len("…") || !utf8.ValidString(got) || !strings.HasSuffix(got, "…") {
		t.Errorf("shorten(%q) = %q", long, got)
	}
	if got := shorten("results"); got != "results" {
		t.Errorf("shorten(results) = %q", got)
	}
}
