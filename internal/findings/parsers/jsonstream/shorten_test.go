package jsonstream

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/secbot/secbot/internal/findings"
)

// allocated is how many bytes fn allocates.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestLongStringIsShortenedBeforeDecoding reads a document with one 32 MiB
// string (of two-byte characters, with escapes): the decoder gets it cut
// on a character boundary with the marker, and reading the document
// allocates a small part of that string, never a copy of it.
func TestLongStringIsShortenedBeforeDecoding(t *testing.T) {
	long := strings.Repeat(`é\"\u00e9`, 32<<20/10)
	doc := []byte(`{"long": "` + long + `", "next": "kept"}`)
	var v struct{ Long, Next string }
	var err error
	used := allocated(func() { err = New(bytes.NewReader(doc)).Decode(&v) })
	if err != nil {
		t.Fatal(err)
	}
	if used > 4<<20 {
		t.Errorf("decoding allocated %d MiB: the long string reached the decoder", used>>20)
	}
	if !utf8.ValidString(v.Long) || !findings.IsTruncated(v.Long) || !strings.HasSuffix(v.Long, " more bytes]") ||
		len(v.Long) > MaxString+64 || v.Next != "kept" {
		t.Fatalf("long string decoded as %d bytes ending %q (valid UTF-8: %v), next %q",
			len(v.Long), v.Long[max(0, len(v.Long)-60):], utf8.ValidString(v.Long), v.Next)
	}
}

func TestShortening(t *testing.T) {
	at := strings.Repeat("a", MaxString)
	for _, tt := range []struct{ name, in, want string }{
		{"at the bound", at, at},
		{"one byte over", at + "b", at + findings.TruncationMarker(1)},
		{"an escape over", at + `\n`, at + findings.TruncationMarker(2)},
		{"a character across", at[1:] + "éz", at[1:] + "é" + findings.TruncationMarker(1)},
		{"an escape across", at[3:] + `\u00e9z`, at[3:] + `\u00e9` + findings.TruncationMarker(1)},
		{"a quote escaped past", at + `x\"y`, at + findings.TruncationMarker(4)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			if err := New(strings.NewReader(`["` + tt.in + `", "after"]`)).Decode(&got); err != nil {
				t.Fatal(err)
			}
			want := strings.NewReplacer(`\u00e9`, "é", `\n`, "\n", `\"`, `"`).Replace(tt.want)
			if len(got) != 2 || got[0] != want || got[1] != "after" {
				t.Fatalf("decoded %d strings, the first %d bytes ending %q; want %d ending %q",
					len(got), len(got[0]), got[0][max(0, len(got[0])-40):], len(want), want[max(0, len(want)-40):])
			}
		})
	}
}

func TestWhiteSpaceAndLiterals(t *testing.T) {
	var v map[string]any
	spaces := strings.Repeat(" \n\t", 4<<20)
	doc := `{"a":` + spaces + `1,` + spaces + `"b": "x y"}`
	used := allocated(func() {
		if err := New(strings.NewReader(doc)).Decode(&v); err != nil {
			t.Fatal(err)
		}
	})
	if used > 2<<20 || v["a"] != 1.0 || v["b"] != "x y" {
		t.Fatalf("12 MiB of white space: allocated %d MiB, decoded %v", used>>20, v)
	}
	err := New(strings.NewReader(`[` + strings.Repeat("1", maxLiteral+1) + `]`)).Decode(&v)
	if !errors.Is(FormatError(err, "a list"), findings.ErrFormat) || !errors.Is(err, errLiteral) {
		t.Fatalf("a number of %d digits: err = %v", maxLiteral+1, err)
	}
}

// TestValueTooLarge decodes values around findings.MaxReportValue, made of
// short strings (which are not shortened): the larger one is refused
// with a message that says what to do, and as a format error.
func TestValueTooLarge(t *testing.T) {
	value := func(size int) string {
		item := `"` + strings.Repeat("x", 1000) + `"`
		return "[" + strings.Repeat(item+",", size/len(item+",")) + "1]"
	}
	var v []any
	if err := New(strings.NewReader(value(findings.MaxReportValue - 1<<20))).Decode(&v); err != nil {
		t.Fatalf("a value under the bound: %v", err)
	}
	d := New(strings.NewReader(`[` + value(findings.MaxReportValue+readChunk+1<<20) + `]`))
	err := d.Array(false, func() error { return d.Decode(&v) })
	var large *ValueTooLargeError
	if !errors.As(err, &large) || !strings.Contains(err.Error(), "split the report") ||
		!errors.Is(FormatError(err, "a list"), findings.ErrFormat) {
		t.Fatalf("a value over the bound: err = %v", err)
	}
}

// TestShortenerPassesEverythingElse reads documents through the
// shortener byte by byte and in one piece: what comes out is the document
// (its white space runs aside).
func TestShortenerPassesEverythingElse(t *testing.T) {
	doc := `{"a": [1, -2.5e3, true, false, null], "b": "q\"uo\\te\u00e9", "c": {"d": []}}`
	for _, chunk := range []int{1, 7, len(doc)} {
		out, err := io.ReadAll(newShortener(&chunked{s: doc, n: chunk}))
		if err != nil || string(out) != doc {
			t.Fatalf("in chunks of %d: %q, %v", chunk, out, err)
		}
	}
}

type chunked struct {
	s string
	n int
}

func (c *chunked) Read(p []byte) (int, error) {
	if c.s == "" {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.n)], c.s)
	c.s = c.s[n:]
	return n, nil
}

func BenchmarkShortener(b *testing.B) {
	item := fmt.Sprintf(`{"message": %q, "line": 12, "ok": true}`, strings.Repeat("text é ", 40))
	doc := []byte("[" + strings.Repeat(item+",", 20000) + "1]")
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if _, err := io.Copy(io.Discard, newShortener(bytes.NewReader(doc))); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzShortener: for any valid JSON document, what the shortener hands on
// is valid JSON, and the same document when no token is past the bounds.
func FuzzShortener(f *testing.F) {
	for _, doc := range []string{`{"a": [1, "b\"c", {"d": null}], "e": "\u00e9"}`, `[true, false, -1.5e3]`, `"x"`, `{}`} {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		if len(doc) > 2*MaxString || !json.Valid(doc) {
			return
		}
		out, err := io.ReadAll(newShortener(bytes.NewReader(doc)))
		if errors.Is(err, errLiteral) {
			return
		}
		if err != nil || !json.Valid(out) {
			t.Fatalf("%q became %q (%v)", doc, out, err)
		}
		var want, got any
		_ = json.Unmarshal(doc, &want)
		_ = json.Unmarshal(out, &got)
		if len(doc) < MaxString && !reflect.DeepEqual(want, got) {
			t.Fatalf("%q read as %v, want %v", doc, got, want)
		}
	})
}
