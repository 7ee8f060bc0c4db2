package input

import (
	"slices"
	"testing"
)

func TestIDsNumbersAndText(t *testing.T) {
	e := Errors{}
	if n := e.ID("a", "2147483647"); n != MaxID || len(e) != 0 {
		t.Fatalf("the largest id: %d %v", n, e)
	}
	for field, raw := range map[string]string{"big": "2147483648", "zero": "0", "neg": "-3", "word": "x", "huge": "99999999999999999999"} {
		if n := e.ID(field, raw); n != 0 || len(e[field]) != 1 {
			t.Fatalf("%s=%q: %d %v", field, raw, n, e[field])
		}
	}
	if ids := e.IDs("list", " 1, 2 ,3"); !slices.Equal(ids, []int{1, 2, 3}) || e["list"] != nil {
		t.Fatalf("a list of ids: %v %v", ids, e["list"])
	}
	if ids := e.IDs("bad", "1,,2"); ids != nil || e["bad"][0] != NotInteger {
		t.Fatalf("an empty id in a list: %v %v", ids, e["bad"])
	}
	if n := e.Int("page", "", 1, 1, MaxID); n != 1 {
		t.Fatalf("an absent page is the default: %d", n)
	}
	for raw, want := range map[string]string{"ok ünïcode\ttab": "", "nul\x00": NullChar, "\xff": NotUTF8, "\xc3": NotUTF8} {
		if got := TextProblem(raw); got != want {
			t.Errorf("TextProblem(%q) = %q, want %q", raw, got, want)
		}
	}
}
