package reportfilter

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
)

// ErrMalformed is wrapped by every error of a report Filter cannot read:
// not JSON, not of its scan type's shape, cut short, or with a finding
// larger than MaxElement.
var ErrMalformed = errors.New("malformed report")

// MalformedError is a report Filter cannot read: what was wrong and where.
type MalformedError struct {
	ScanType string // the scan type it was read as
	Want     string // what a report of that type is
	Path     string // where in the document, as runs[0].results[3]; "" at its top
	Offset   int64  // how many bytes of the report had been read
	Err      error  // what was wrong
}

func (e *MalformedError) Error() string {
	where := "at the top of the document"
	if e.Path != "" {
		where = "at " + e.Path
	}
	msg := fmt.Sprintf("reportfilter: the %s report cannot be filtered: %v (%s, byte %d)", e.ScanType, e.Err, where, e.Offset)
	var large *TooLargeError
	if !errors.As(e.Err, &large) {
		msg += fmt.Sprintf("; a %s report must be %s: check the scanner's command and scan_type", e.ScanType, e.Want)
	}
	return msg
}

// Unwrap gives ErrMalformed and what was wrong.
func (e *MalformedError) Unwrap() []error { return []error{ErrMalformed, e.Err} }

// TooLargeError is a value of the report, read whole (a finding), larger
// than MaxElement.
type TooLargeError struct{ Limit int }

func (e *TooLargeError) Error() string {
	limit := fmt.Sprintf("%d MiB", e.Limit>>20)
	if e.Limit < 1<<20 {
		limit = fmt.Sprintf("%d bytes", e.Limit)
	}
	return fmt.Sprintf("one value of the report (a finding and what it carries) is larger than %s, "+
		"the most the filter holds at once: use report: all for this scanner, or make its findings smaller", limit)
}

// ShapeError is a value of another kind than the format has there.
type ShapeError struct{ Want, Found string }

func (e *ShapeError) Error() string { return "want a JSON " + e.Want + ", found " + e.Found }

// errTruncated is a report that ends inside its value.
var errTruncated = errors.New("the report ends before its JSON value does (cut short?)")

// malformed makes err, met at the filter's place in the document, a
// *MalformedError, unless it is the report's reader failing.
func (f *filter) malformed(err error) error {
	if f.in.err != nil {
		return fmt.Errorf("reportfilter: reading the report: %w", f.in.err)
	}
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, errTooLarge):
		err = &TooLargeError{Limit: int(f.in.max)}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		err = errTruncated
	case errors.As(err, &typ):
		err = typeError(typ)
	}
	return &MalformedError{Path: f.where(), Offset: f.dec.InputOffset(), Err: err}
}

// typeError says what a decoded element had where, without its value.
func typeError(e *json.UnmarshalTypeError) error {
	want := e.Type.Kind().String()
	switch e.Type.Kind() {
	case reflect.Struct, reflect.Map:
		want = "object"
	case reflect.Slice, reflect.Array:
		want = "array"
	case reflect.Int, reflect.Int64, reflect.Float64:
		want = "number"
	}
	found := "a " + e.Value
	if e.Value == "array" || e.Value == "object" {
		found = "an " + e.Value
	}
	err := &ShapeError{Want: want, Found: found}
	if e.Field == "" {
		return err
	}
	return fmt.Errorf("field %s: %w", shorten(e.Field), err)
}

// describe names a token's kind for a ShapeError.
func describe(tok json.Token) string {
	switch v := tok.(type) {
	case nil:
		return "null"
	case json.Delim:
		if v == '{' {
			return "an object"
		}
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", tok)
}

// readChunk is the most one Read hands the decoder.
const readChunk = 64 << 10

var errTooLarge = errors.New("reportfilter: value too large")

// boundedReader is the report as the decoder reads it: in chunks, and no
// further than limit while one value is read.
type boundedReader struct {
	r     io.Reader
	max   int64 // MaxElement, but in tests
	read  int64 // bytes handed on
	limit int64 // 0, or the offset the value being read must end by
	err   error // r's error other than io.EOF
}

func (b *boundedReader) Read(p []byte) (int, error) {
	p = p[:min(len(p), readChunk)]
	if b.limit > 0 {
		if b.read >= b.limit {
			return 0, errTooLarge
		}
		p = p[:min(int64(len(p)), b.limit-b.read)]
	}
	n, err := b.r.Read(p)
	b.read += int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		b.err = err
	}
	return n, err
}

// bound starts reading one value, at offset or just past the comma or
// colon there: the value, with any blank space before it, may take up to
// max bytes.
func (b *boundedReader) bound(offset int64) { b.limit = offset + 1 + b.max }

func (b *boundedReader) unbound() { b.limit = 0 }
