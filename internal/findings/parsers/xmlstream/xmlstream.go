// Package xmlstream reads XML reports safely and a piece at a time, on
// encoding/xml: token by token, so a parser holds one finding's element,
// not the whole report; with no entity ever declared, expanded or
// fetched (a DOCTYPE that declares one is refused, an undefined entity is
// an error); with bounds on nesting, on a tag and on one element, and
// long texts shortened (see MaxText); and with errors that say at which
// line and byte of the report it broke.
package xmlstream

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/secbot/secbot/internal/findings"
	"golang.org/x/text/encoding/charmap"
)

// Decoder reads one XML document.
type Decoder struct {
	x *xml.Decoder
	g *guard
}

// New returns a decoder of r. Besides UTF-8 it reads documents that
// declare ISO-8859-1, Windows-1252 or US-ASCII.
func New(r io.Reader) *Decoder {
	g := newGuard(r)
	x := xml.NewDecoder(g)
	x.Strict = true
	x.CharsetReader = charsetReader
	return &Decoder{x: x, g: g}
}

func charsetReader(label string, r io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "iso-8859-1", "latin1", "latin-1", "l1":
		return charmap.ISO8859_1.NewDecoder().Reader(r), nil
	case "windows-1252", "cp1252":
		return charmap.Windows1252.NewDecoder().Reader(r), nil
	case "us-ascii", "ascii":
		return r, nil
	}
	return nil, fmt.Errorf("the document is in %q: send it in UTF-8", label)
}

// Error is a document that cannot be read, with where it broke.
type Error struct {
	// Line counts from 1; Offset is the byte of the document, from 0.
	Line   int
	Offset int64
	Err    error
}

func (e *Error) Error() string {
	return fmt.Sprintf("at line %d (byte %d): %v", e.Line, e.Offset, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// ShapeError is a document whose elements are not those expected.
type ShapeError struct{ Want, Found string }

func (e *ShapeError) Error() string { return "want " + e.Want + ", found " + e.Found }

// Errorf is an error of the document at the decoder's position, for a
// parser that finds something it cannot read.
func (d *Decoder) Errorf(format string, args ...any) error {
	return d.at(fmt.Errorf(format, args...))
}

// at wraps err with the position, once.
func (d *Decoder) at(err error) error {
	var positioned *Error
	if err == nil || errors.As(err, &positioned) {
		return err
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	var syntax *xml.SyntaxError
	if errors.As(err, &syntax) {
		err = errors.New(syntax.Msg)
	}
	return &Error{Line: d.g.line, Offset: d.g.offset, Err: err}
}

// Token returns the next token, as xml.Decoder.Token does (its CharData
// only valid until the next call), or io.EOF at the document's end; any
// other error says where the document broke.
func (d *Decoder) Token() (xml.Token, error) {
	tok, err := d.x.Token()
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		return nil, d.at(err)
	}
	return tok, nil
}

// Root reads up to the document's root element and returns its start.
// A document with none (empty, or white space and comments only) is
// ErrNoRoot.
func (d *Decoder) Root() (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return xml.StartElement{}, ErrNoRoot
		}
		if err != nil {
			return xml.StartElement{}, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, nil
		case xml.CharData:
			if len(strings.TrimSpace(string(t))) > 0 {
				return xml.StartElement{}, d.Errorf("text before the root element")
			}
		}
	}
}

// ErrNoRoot is a document without an element.
var ErrNoRoot = errors.New("the document has no XML element (an empty or non-XML file)")

// Children reads the rest of the element just started, calling each with
// the start of every child element; each must read the child to its end
// (Skip, Children, Element or Text). Text between the children is
// dropped.
func (d *Decoder) Children(each func(start xml.StartElement) error) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return d.at(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := each(t); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// Skip reads the rest of the element just started and drops it.
func (d *Decoder) Skip() error {
	return d.Children(func(xml.StartElement) error { return d.Skip() })
}

// Text reads the rest of the element just started and returns its text
// (child elements dropped), at most MaxText bytes of it and the marker.
func (d *Decoder) Text() (string, error) {
	var text textBuilder
	for {
		tok, err := d.Token()
		if err != nil {
			return "", d.at(err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			text.add(t)
		case xml.StartElement:
			if err := d.Skip(); err != nil {
				return "", err
			}
		case xml.EndElement:
			return text.String(), nil
		}
	}
}

// FormatError wraps an error of reading a document as a report the
// parser cannot read, saying what the parser wants; an error of emit
// passes unchanged.
func FormatError(err error, want string) error {
	var positioned *Error
	var shape *ShapeError
	if errors.As(err, &positioned) || errors.As(err, &shape) || errors.Is(err, ErrNoRoot) ||
		errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %s: %w", findings.ErrFormat, want, err)
	}
	return err
}

// textBuilder joins the text of an element, bounded to MaxText and the
// room of a marker (so a text the guard cut keeps the guard's).
type textBuilder struct {
	b       strings.Builder
	dropped int
}

const maxJoinedText = MaxText + 64

func (t *textBuilder) add(p []byte) {
	room := maxJoinedText - t.b.Len()
	if room >= len(p) {
		t.b.Write(p)
		return
	}
	cut := max(room, 0)
	for cut > 0 && cut < len(p) && p[cut]&0xC0 == 0x80 {
		cut--
	}
	t.b.Write(p[:cut])
	t.dropped += len(p) - cut
}

func (t *textBuilder) String() string {
	if t.dropped > 0 {
		return t.b.String() + findings.TruncationMarker(t.dropped)
	}
	return t.b.String()
}
