package mirror

import "testing"

func TestEscapes(t *testing.T) {
	t.Parallel()
	links := map[string]string{
		"in":          "a/b",
		"dir/up":      "../x",     // dir/.. is the top: inside
		"dir/top":     "..",       // the top itself
		"dir/out":     "../..",    // above the top
		"abs":         "/etc",     // absolute
		"empty":       "",         // no target
		"nul":         "a\x00b",   // not a path
		"dir/through": "top/../x", // top is the top; its .. is outside
		"chain1":      "chain2",
		"chain2":      "dir/out", // leads to a link that leads out
		"loop1":       "loop2",
		"loop2":       "loop1",
		"deep/d/e":    "../../dir/up", // up the tree, then a link that stays in
		"viaDir":      "dir/top/in",   // through a link to the top, to a link inside
	}
	want := map[string]bool{
		"in": false, "dir/up": false, "dir/top": false, "dir/out": true, "abs": true, "empty": true, "nul": true,
		"dir/through": true, "chain1": true, "chain2": true, "loop1": true, "loop2": true, "deep/d/e": false, "viaDir": false,
	}
	for link, escape := range want {
		if got := escapes(links, link); got != escape {
			t.Errorf("escapes(%q → %q) = %v, want %v", link, links[link], got, escape)
		}
	}
}
