package gitrev

import (
	"strings"
	"testing"
)

func TestInput(t *testing.T) {
	sha := strings.Repeat("a", 40)
	for _, revs := range [][]string{nil, {"^" + sha}, {"HEAD"}, {"--all"}, {sha, "^main"}, {strings.ToUpper(sha)}, {sha[:39]}} {
		if got, err := Input(revs); err == nil {
			t.Errorf("Input(%q) = %q, want an error", revs, got)
		}
	}
	long := strings.Repeat("b", 64)
	got, err := Input([]string{sha, "^" + long})
	if err != nil || got != sha+"\n^"+long+"\n" {
		t.Fatalf("Input = %q, %v", got, err)
	}
}
