package reportfilter

import "testing"

func TestURIPath(t *testing.T) {
	for _, c := range []struct{ uri, want string }{
		{"src/a.c", "src/a.c"},
		{"./src/a.c", "src/a.c"},
		{"././src/a.c", "src/a.c"},
		{"src/a%20b.c", "src/a b.c"},
		{`src\win\a.c`, "src/win/a.c"},
		{"100%.c", "100%.c"}, // not percent-encoded: as written
		{"file:///src/a.go", "/src/a.go"},
		{"FILE:///src/a.go", "/src/a.go"},
		{"file:///src/a%20b.go", "/src/a b.go"},
		{"file://localhost/src/a.go", "/src/a.go"},
		{"file://build.example.com/work/a.go", "//build.example.com/work/a.go"},
		{"file:src/a.c", "src/a.c"},
		{"file:///src/100%.c", "/src/100%.c"},
		{"https://example.com/app.js", "https://example.com/app.js"},
		{"C:/src/a.c", "C:/src/a.c"},
		{"a:b", "a:b"},
		{"", ""},
	} {
		if got := uriPath(c.uri); got != c.want {
			t.Errorf("uriPath(%q) = %q, want %q", c.uri, got, c.want)
		}
	}
}

func TestResolveURI(t *testing.T) {
	for _, c := range []struct{ base, ref, want string }{
		{"file:///co/", "src/a.c", "file:///co/src/a.c"},
		{"file:///co/src/", "../lib/a.c", "file:///co/lib/a.c"},
		{"file:///co/", "a%20b.c", "file:///co/a%20b.c"},
		{"file:///co/", "https://example.com/a.js", "https://example.com/a.js"},
		{"src/", "a.c", "src/a.c"},
		{"src", "a.c", "src/a.c"},
		{"", "a.c", "a.c"},
		{"file:///co/", "100%.c", "file:///co/100%.c"}, // not a reference url.Parse takes: joined
	} {
		if got := resolveURI(c.base, c.ref); got != c.want {
			t.Errorf("resolveURI(%q, %q) = %q, want %q", c.base, c.ref, got, c.want)
		}
	}
}
