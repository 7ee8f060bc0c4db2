package findings

import "testing"

func TestParseCWE(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int{
		"CWE-79": 79, "CWE-696: Incorrect Behavior Order": 696, "external/cwe/cwe-079": 79,
		"cwe:327": 327, "no cwe here": 0, "": 0,
	} {
		if got := ParseCWE(in); got != want {
			t.Errorf("ParseCWE(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestNormalizeSeverity(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"CRITICAL": Critical, "high": High, "error": High, "Moderate": Medium, "warning": Medium,
		"LOW": Low, "informational": Info, "UNKNOWN": Info, "": Info,
	} {
		if got := NormalizeSeverity(in); got != want {
			t.Errorf("NormalizeSeverity(%q) = %q, want %q", in, got, want)
		}
	}
}
