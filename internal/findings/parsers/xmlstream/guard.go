package xmlstream

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/secbot/secbot/internal/findings"
)

// Bounds on a document, kept as it is read, before encoding/xml sees it:
// a run of text (or CDATA, or an attribute value) longer than MaxText
// reaches the decoder cut, on a UTF-8 character boundary and never inside
// an entity reference, to its first MaxText bytes and
// findings.TruncationMarker; comments reach it empty; elements nested
// deeper than MaxDepth, a tag (its name and attributes, values already
// cut) longer than maxTag and a processing instruction or DOCTYPE longer
// than maxMarkup are refused, as is any entity declaration. So no parser
// holds a report's 90 MB text node, nor buffers one.
const (
	MaxText   = 64 << 10
	MaxDepth  = 256
	maxTag    = 1 << 20
	maxMarkup = 64 << 10
	// maxEntityRef is the longest entity reference followed for cutting:
	// a longer one is no entity, and the decoder says so.
	maxEntityRef = 64
	readChunk    = 64 << 10
)

// The errors of a document past the bounds, wrapped in an *Error that says
// where.
var (
	ErrEntityDeclared = errors.New("the document declares an entity (<!ENTITY …>): entity declarations are refused, " +
		"so no entity is ever expanded or fetched; send the report as its scanner writes it")
	ErrTooDeep        = fmt.Errorf("elements are nested more than %d deep", MaxDepth)
	ErrTagTooLarge    = fmt.Errorf("a tag with its attributes is longer than %d KiB", maxTag>>10)
	ErrMarkupTooLarge = fmt.Errorf("a processing instruction or DOCTYPE is longer than %d KiB", maxMarkup>>10)
	ErrValueTooLarge  = fmt.Errorf("one element of the report (a finding and what it carries) is larger than %d MiB; "+
		"a report's findings are read one at a time, each of them smaller: split the report or shorten its findings",
		findings.MaxReportValue>>20)
)

// The lexical states of the guard.
const (
	stText      = iota
	stOpen      // just after '<'
	stBang      // after "<!", telling a comment, CDATA or a declaration apart
	stTag       // inside a start or end tag
	stAttr      // inside a quoted attribute value
	stComment   // inside "<!--", dropped
	stCDATA     // inside "<![CDATA["
	stPI        // inside "<?"
	stDirective // inside "<!DOCTYPE" or another declaration
)

const (
	commentOpen = "--"
	cdataOpen   = "[CDATA["
	entityDecl  = "<!ENTITY"
)

// guard is the io.ByteReader between a document and encoding/xml that
// keeps those bounds. It follows XML's lexical structure only (markup,
// quotes, entity references); the decoder checks the rest. Because it is
// a ByteReader, the decoder reads it a byte at a time with no buffer of
// its own, so the guard's position is the decoder's.
type guard struct {
	r   io.Reader
	buf []byte
	in  []byte
	out []byte // bytes to hand on before reading more: a marker, a comment's end
	pos int    // of the next byte of out to hand on
	err error  // r's error, once in is drained

	state   int
	endTag  bool   // the tag is an end tag
	last    byte   // the tag's last byte outside quotes and white space
	quote   byte   // the quote that ends the attribute value or the directive's string
	bang    []byte // the bytes after "<!" while they are told apart
	tail    [2]byte
	window  [len(entityDecl)]byte // the directive's last bytes, upper-cased
	dirOpen int                   // '<' open inside the directive
	depth   int
	tagSize int // bytes of the tag so far
	size    int // bytes of the processing instruction or directive so far

	// The run of text, CDATA or attribute value being read.
	kept, skipped int
	skipping      bool
	brackets      int // ']' dropped last, which may end a CDATA section
	entity        int // bytes of the entity reference being read, 0 if none

	line   int   // of the last byte read, from 1
	offset int64 // bytes read
	handed int64 // bytes handed on
	limit  int64 // 0, or the count of bytes handed on past which an element is too large
}

// newGuard guards r, whose leading byte order mark, if any, it drops.
func newGuard(r io.Reader) *guard {
	br := bufio.NewReaderSize(r, readChunk)
	g := &guard{r: br, buf: make([]byte, readChunk), line: 1}
	if bom, _ := br.Peek(3); string(bom) == "\xef\xbb\xbf" {
		_, _ = br.Discard(3)
		g.offset = 3
	}
	return g
}

// ReadByte hands on the next byte of the guarded document.
func (g *guard) ReadByte() (byte, error) {
	if g.pos == len(g.out) {
		g.out, g.pos = g.out[:0], 0
		// Most bytes are plain text: those are handed on as step would
		// hand them on (kept, below MaxText, outside an entity reference),
		// without its bookkeeping.
		if len(g.in) > 0 && g.state == stText && !g.skipping && g.entity == 0 && g.kept < MaxText {
			if b := g.in[0]; b != '<' && b != '&' {
				g.in = g.in[1:]
				g.offset++
				if b == '\n' {
					g.line++
				}
				g.kept++
				return g.hand(b)
			}
		}
	}
	for len(g.out) == 0 {
		if len(g.in) == 0 {
			if g.err != nil {
				return 0, g.err
			}
			n, err := g.r.Read(g.buf)
			g.in, g.err = g.buf[:n], err
			continue
		}
		b := g.in[0]
		g.in = g.in[1:]
		g.offset++
		if b == '\n' {
			g.line++
		}
		if err := g.step(b); err != nil {
			g.in, g.err = nil, err
			return 0, err
		}
	}
	b := g.out[g.pos]
	g.pos++
	return g.hand(b)
}

// hand counts b as handed on to the decoder, refusing it past the limit.
func (g *guard) hand(b byte) (byte, error) {
	g.handed++
	if g.limit > 0 && g.handed > g.limit {
		g.in, g.out, g.pos, g.err = nil, nil, 0, ErrValueTooLarge
		return 0, ErrValueTooLarge
	}
	return b, nil
}

// Read implements io.Reader for completeness; the decoder uses ReadByte.
func (g *guard) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		b, err := g.ReadByte()
		if err != nil {
			if n > 0 && err == io.EOF {
				return n, nil
			}
			return n, err
		}
		p[n] = b
		n++
	}
	return n, nil
}

// step follows one byte of the document, handing on what the decoder is
// to see of it.
func (g *guard) step(b byte) error {
	switch g.state {
	case stText:
		if b == '<' {
			g.endRun()
			g.state = stOpen
			g.emit(b)
			return nil
		}
		g.runByte(b)
	case stOpen:
		g.emit(b)
		switch b {
		case '/':
			g.startTag(true)
		case '?':
			g.state, g.size, g.tail = stPI, 2, [2]byte{}
		case '!':
			g.state, g.bang = stBang, g.bang[:0]
		default:
			g.startTag(false)
			g.tagSize, g.last = 2, b
		}
	case stBang:
		return g.bangByte(b)
	case stTag:
		return g.tagByte(b)
	case stAttr:
		if b == g.quote {
			g.endRun()
			g.emit(b)
			g.state, g.last = stTag, b
			return nil
		}
		kept := g.kept
		g.runByte(b)
		if g.kept > kept {
			if g.tagSize++; g.tagSize > maxTag {
				return ErrTagTooLarge
			}
		}
	case stComment:
		if b == '>' && g.tail == [2]byte{'-', '-'} {
			g.out = append(g.out, "-->"...)
			g.state = stText
			return nil
		}
		g.push(b)
	case stCDATA:
		if b == '>' && g.tail == [2]byte{']', ']'} {
			if g.skipping {
				dropped := min(g.brackets, 2)
				g.out = append(g.out, findings.TruncationMarker(g.skipped-dropped)...)
				g.out = append(g.out, "]]"[2-dropped:]...)
			}
			g.emit(b)
			g.state, g.skipping = stText, false
			g.startRun()
			return nil
		}
		g.push(b)
		if g.skipping || (g.kept >= MaxText && utf8.RuneStart(b)) {
			// Dropped; the "]]" that may end the section is handed on
			// with the marker.
			g.skipping = true
			g.skipped++
			if b == ']' {
				g.brackets++
			} else {
				g.brackets = 0
			}
			return nil
		}
		g.kept++
		g.emit(b)
	case stPI:
		g.emit(b)
		if g.size++; g.size > maxMarkup {
			return ErrMarkupTooLarge
		}
		if b == '>' && g.tail[1] == '?' {
			g.state = stText
			g.startRun()
		}
		g.push(b)
	case stDirective:
		return g.directiveByte(b)
	}
	return nil
}

func (g *guard) emit(b byte) { g.out = append(g.out, b) }

// push keeps b as the last of the two bytes a terminator is told by.
func (g *guard) push(b byte) { g.tail = [2]byte{g.tail[1], b} }

func (g *guard) startRun() { g.kept, g.skipped, g.skipping, g.entity, g.brackets = 0, 0, false, 0, 0 }

// runByte follows a byte of text or of an attribute value: kept up to
// MaxText, then, from the next byte that starts a character outside an
// entity reference, dropped.
func (g *guard) runByte(b byte) {
	if g.skipping {
		g.skipped++
		return
	}
	switch {
	case g.entity > 0:
		g.entity++
		if b == ';' || g.entity > maxEntityRef {
			g.entity = 0
		}
	case g.kept >= MaxText && utf8.RuneStart(b):
		g.skipping = true
		g.skipped++
		return
	case b == '&':
		g.entity = 1
	}
	g.kept++
	g.emit(b)
}

// endRun hands on the marker of a run that was cut.
func (g *guard) endRun() {
	if g.skipping {
		g.out = append(g.out, findings.TruncationMarker(g.skipped)...)
	}
	g.startRun()
}

func (g *guard) startTag(end bool) {
	g.state, g.endTag, g.last, g.tagSize = stTag, end, 0, 1
}

func (g *guard) tagByte(b byte) error {
	g.emit(b)
	if g.tagSize++; g.tagSize > maxTag {
		return ErrTagTooLarge
	}
	switch b {
	case '"', '\'':
		g.state, g.quote = stAttr, b
		g.startRun()
	case '>':
		switch {
		case g.endTag:
			g.depth--
		case g.last != '/':
			if g.depth++; g.depth > MaxDepth {
				return ErrTooDeep
			}
		}
		g.state = stText
		g.startRun()
	case ' ', '\t', '\r', '\n':
	default:
		g.last = b
	}
	return nil
}

// bangByte tells "<!--", "<![CDATA[" and declarations apart.
func (g *guard) bangByte(b byte) error {
	g.emit(b)
	g.bang = append(g.bang, b)
	s := string(g.bang)
	switch {
	case s == commentOpen:
		g.state, g.tail = stComment, [2]byte{}
	case s == cdataOpen:
		g.state, g.tail = stCDATA, [2]byte{}
		g.startRun()
	case len(s) <= len(commentOpen) && s == commentOpen[:len(s)],
		len(s) <= len(cdataOpen) && s == cdataOpen[:len(s)]:
	default:
		g.state, g.size, g.dirOpen, g.quote = stDirective, 2, 0, 0
		g.window = [len(entityDecl)]byte{}
		g.see('<')
		g.see('!')
		for _, c := range g.bang[:len(g.bang)-1] {
			g.see(c)
		}
		return g.directiveByte0(b)
	}
	return nil
}

func (g *guard) directiveByte(b byte) error {
	g.emit(b)
	return g.directiveByte0(b)
}

// directiveByte0 follows a byte of a declaration already handed on: it
// ends at its '>' outside quotes and nested markup, as the decoder reads
// it, and may declare no entity.
func (g *guard) directiveByte0(b byte) error {
	if g.size++; g.size > maxMarkup {
		return ErrMarkupTooLarge
	}
	g.see(b)
	if string(g.window[:]) == entityDecl {
		return ErrEntityDeclared
	}
	switch {
	case g.quote != 0:
		if b == g.quote {
			g.quote = 0
		}
	case b == '"' || b == '\'':
		g.quote = b
	case b == '<':
		g.dirOpen++
	case b == '>' && g.dirOpen > 0:
		g.dirOpen--
	case b == '>':
		g.state = stText
		g.startRun()
	}
	return nil
}

// see keeps b, upper-cased, as the last byte of the directive's window.
func (g *guard) see(b byte) {
	if 'a' <= b && b <= 'z' {
		b -= 'a' - 'A'
	}
	copy(g.window[:], g.window[1:])
	g.window[len(g.window)-1] = b
}
