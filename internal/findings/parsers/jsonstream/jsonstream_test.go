package jsonstream

import (
	"errors"
	"strings"
	"testing"
)

func TestWalk(t *testing.T) {
	d := New(strings.NewReader(`{"skip": {"a": [1, {"b": null}], "c": "}"}, "list": [1, 2, 3], "none": null, "last": "x"}`))
	var list []int
	var null bool
	var last string
	err := d.Object(false, func(key string) error {
		switch key {
		case "list":
			return d.Array(false, func() error {
				var n int
				err := d.Decode(&n)
				list = append(list, n)
				return err
			})
		case "none":
			var err error
			null, err = d.ArrayOrNull(func() error { return errors.New("no element expected") })
			return err
		case "last":
			return d.Decode(&last)
		}
		return d.Skip()
	})
	if err != nil || len(list) != 3 || list[2] != 3 || !null || last != "x" {
		t.Fatalf("err=%v list=%v null=%v last=%q", err, list, null, last)
	}
}

func TestShapes(t *testing.T) {
	for doc, want := range map[string]string{`[1]`: "want a JSON object, found [", `"s"`: "want a JSON object, found a string"} {
		err := New(strings.NewReader(doc)).Object(false, func(string) error { return nil })
		var shape *ShapeError
		if !errors.As(err, &shape) || err.Error() != want {
			t.Fatalf("%s: err = %v, want %q", doc, err, want)
		}
	}
	if err := New(strings.NewReader(`null`)).Array(false, func() error { return nil }); err == nil {
		t.Fatal("null read as an array where it may not be")
	}
	if err := New(strings.NewReader(`null`)).Array(true, func() error { return nil }); err != nil {
		t.Fatalf("null where it may be: %v", err)
	}
}

func TestValues(t *testing.T) {
	read := func(doc string) ([]map[string]int, error) {
		d := New(strings.NewReader(doc))
		var got []map[string]int
		err := d.Values(func() error {
			var v map[string]int
			err := d.Decode(&v)
			got = append(got, v)
			return err
		})
		return got, err
	}
	for doc, want := range map[string]int{
		"":                              0,
		" \n\n ":                        0,
		`{"a": 1}`:                      1,
		"{\"a\": 1}\n{\"a\": 2}\n":      2,
		"{\"a\": 1}\r\n\r\n{\"a\": 2}":  2,
		`{"a": 1}{"a": 2} {"a": 3}`:     3,
		"{\"a\":\n 1}\n{\"a\": 2}\n\n ": 2,
	} {
		got, err := read(doc)
		if err != nil || len(got) != want || (want > 0 && got[want-1]["a"] != want) {
			t.Errorf("%q: %v, %v; want %d values", doc, got, err, want)
		}
	}
	for _, doc := range []string{"{\"a\": 1}\n]", "{\"a\": 1}\n}", "{\"a\": 1}\n{\"a\":", "{\"a\": 1} x"} {
		if got, err := read(doc); err == nil {
			t.Errorf("%q read as %v without an error", doc, got)
		}
	}
	// Each value may be walked rather than decoded.
	d := New(strings.NewReader("[1, 2]\n[3]\nnull\n"))
	n := 0
	err := d.Values(func() error {
		return d.Array(true, func() error { n++; return d.Skip() })
	})
	if err != nil || n != 3 {
		t.Fatalf("walked %d elements, err %v; want 3", n, err)
	}
}
