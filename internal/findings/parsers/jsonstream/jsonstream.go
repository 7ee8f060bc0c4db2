// Package jsonstream walks large JSON documents a piece at a time, so a
// report parser holds one finding in memory, not the whole report, and
// no token or value larger than its bounds (see MaxString and Decode).
package jsonstream

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/secbot/secbot/internal/findings"
)

// Decoder reads one JSON document token by token.
type Decoder struct {
	*json.Decoder
	in *shortener
}

// New returns a decoder of r, whose strings are shortened to MaxString.
func New(r io.Reader) *Decoder {
	in := newShortener(r)
	return &Decoder{Decoder: json.NewDecoder(in), in: in}
}

// Decode reads the next value into v, refusing with a
// *ValueTooLargeError a value larger than findings.MaxReportValue: the
// decoder holds the whole value's text while it decodes it.
func (d *Decoder) Decode(v any) error {
	// The decoder may hold some of the value already and read some of
	// what follows it: readChunk each way.
	d.in.limit = d.in.read + findings.MaxReportValue + readChunk
	err := d.Decoder.Decode(v)
	d.in.limit = 0
	if errors.Is(err, errValueTooLarge) {
		return &ValueTooLargeError{Limit: findings.MaxReportValue}
	}
	return err
}

// Object reads an object, calling each with every key; each must read
// the key's value (Decode, Skip, Object or Array). A null reads as an
// empty object when nullOK.
func (d *Decoder) Object(nullOK bool, each func(key string) error) error {
	tok, err := d.Token()
	if err != nil {
		return err
	}
	if tok == nil && nullOK {
		return nil
	}
	if delim, ok := tok.(json.Delim); !ok || delim != '{' {
		return &ShapeError{Want: "object", Found: describe(tok)}
	}
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		if err := each(key); err != nil {
			return err
		}
	}
	_, err = d.Token() // '}'
	return err
}

// Array reads an array, calling each once per element; each must read
// the element. A null reads as an empty array when nullOK.
func (d *Decoder) Array(nullOK bool, each func() error) error {
	null, err := d.ArrayOrNull(each)
	if err == nil && null && !nullOK {
		return &ShapeError{Want: "array", Found: "null"}
	}
	return err
}

// ArrayOrNull reads an array like Array, or a null, which it reports.
func (d *Decoder) ArrayOrNull(each func() error) (null bool, err error) {
	tok, err := d.Token()
	if err != nil {
		return false, err
	}
	if tok == nil {
		return true, nil
	}
	if delim, ok := tok.(json.Delim); !ok || delim != '[' {
		return false, &ShapeError{Want: "array", Found: describe(tok)}
	}
	for d.More() {
		if err := each(); err != nil {
			return false, err
		}
	}
	_, err = d.Token() // ']'
	return false, err
}

// Values reads a sequence of top-level values, such as JSON lines (one
// value a line) or values merely concatenated, calling each once per
// value; each must read it (Decode, Skip, Object or Array). An input of
// white space only is no values. What is left after a value that cannot
// start one (a stray ']' or '}') is a syntax error.
func (d *Decoder) Values(each func() error) error {
	for d.More() {
		if err := each(); err != nil {
			return err
		}
	}
	// More is false at the end of the input and before a closing
	// delimiter: Token tells them apart.
	tok, err := d.Token()
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return err
	}
	return &ShapeError{Want: "value", Found: describe(tok)}
}

// Skip reads and drops the next value, however deep, without keeping it.
func (d *Decoder) Skip() error {
	depth := 0
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

// FormatError wraps a decoding error as a report the parser cannot read,
// saying what the parser wants; an error of emit passes unchanged.
func FormatError(err error, want string) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var shape *ShapeError
	var large *ValueTooLargeError
	if errors.As(err, &syntax) || errors.As(err, &typ) || errors.As(err, &shape) || errors.As(err, &large) ||
		errors.Is(err, errLiteral) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %s: %w", findings.ErrFormat, want, err)
	}
	return err
}

// ShapeError is a document whose values are not of the kind expected.
type ShapeError struct{ Want, Found string }

func (e *ShapeError) Error() string { return "want a JSON " + e.Want + ", found " + e.Found }

func describe(tok json.Token) string {
	switch v := tok.(type) {
	case nil:
		return "null"
	case json.Delim:
		return string(v)
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%v", tok)
}
