package findings

import (
	"strings"
	"testing"

	"golang.org/x/text/cases"
)

// TestFoldIsCaseFolding: the ASCII shortcut folds as Unicode case
// folding does, so hash codes do not change.
func TestFoldIsCaseFolding(t *testing.T) {
	t.Parallel()
	var ascii strings.Builder
	for c := range 128 {
		ascii.WriteByte(byte(c))
	}
	for _, s := range []string{ascii.String(), "Hard coded AWS found in /conf/AWS.tf", "Straße ΣΑΣ Kelvin K", ""} {
		if got, want := fold(s), cases.Fold().String(s); got != want {
			t.Errorf("fold(%q) = %q, want %q", s, got, want)
		}
	}
}

func BenchmarkHashCode(b *testing.B) {
	f := Finding{Title: "Hard coded key found in a.go", Description: strings.Repeat("Description text. ", 900), FilePath: "a.go", Line: 3}
	b.SetBytes(int64(len(f.Description)))
	for b.Loop() {
		HashCode(f, legacyFields)
	}
}
