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
