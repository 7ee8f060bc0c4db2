package jsonstream

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/secbot/secbot/internal/findings"
)

// Bounds on a report's tokens, kept as the report is read, before
// encoding/json sees it: a string token longer than MaxString reaches the
// decoder cut, on a UTF-8 boundary, to its first MaxString bytes and
// findings.TruncationMarker; a longer number (or true, false, null) is
// refused; runs of white space between tokens reach it as one character.
// So no parser ever holds a report's 90 MB string, nor buffers one.
const (
	MaxString  = 64 << 10
	maxLiteral = 1 << 10
	// readChunk is the most one Read hands the decoder.
	readChunk = 64 << 10
)

// ValueTooLargeError is a JSON value, decoded whole by a parser (one
// finding's worth of report), larger than findings.MaxReportValue.
type ValueTooLargeError struct{ Limit int }

func (e *ValueTooLargeError) Error() string {
	return fmt.Sprintf("one value of the report (a finding and what it carries) is larger than %d MiB; "+
		"a report's findings are read one at a time, each of them smaller: split the report or shorten its findings",
		e.Limit>>20)
}

// errLiteral is a number or literal longer than maxLiteral.
var errLiteral = fmt.Errorf("a number longer than %d characters", maxLiteral)

// shortener is the io.Reader between a report and encoding/json that keeps
// those bounds. It follows JSON's lexical structure only (strings and
// their escapes); the decoder checks the rest.
type shortener struct {
	r   io.Reader
	buf []byte
	in  []byte // read from r, not yet handed on
	out []byte // to hand on before in: a marker and its closing quote
	err error  // r's error, once in is drained

	inString, skipping bool
	escape             int // -1 just after a backslash; n: hex digits of \u left
	kept, skipped      int // bytes of the current string
	literal            int // bytes of the current number or literal
	space              bool

	read  int64 // bytes handed on
	limit int64 // 0, or the offset past which the value Decode reads is too large
}

func newShortener(r io.Reader) *shortener {
	return &shortener{r: r, buf: make([]byte, readChunk)}
}

var errValueTooLarge = errors.New("jsonstream: value too large")

func (s *shortener) Read(p []byte) (int, error) {
	p = p[:min(len(p), readChunk)]
	n := 0
	for n < len(p) {
		if len(s.out) > 0 {
			c := copy(p[n:], s.out)
			s.out, n = s.out[c:], n+c
			continue
		}
		if len(s.in) == 0 {
			if n > 0 || s.err != nil {
				break
			}
			m, err := s.r.Read(s.buf)
			s.in, s.err = s.buf[:m], err
			continue
		}
		c, err := s.scan(p[n:])
		n += c
		if err != nil {
			return n, err
		}
	}
	s.read += int64(n)
	if s.limit > 0 && s.read > s.limit {
		return n, errValueTooLarge
	}
	if n == 0 {
		return 0, s.err
	}
	return n, nil
}

// scan moves bytes of in to dst, keeping the bounds, until either is
// exhausted or a marker waits in out; it returns how many it wrote.
func (s *shortener) scan(dst []byte) (int, error) {
	w := 0
	for len(s.in) > 0 && w < len(dst) && len(s.out) == 0 {
		if s.inString && s.escape == 0 {
			// The run of a string up to its next quote or backslash goes
			// (or is dropped) at once, up to the bound.
			run := bytes.IndexAny(s.in, `"\`)
			if run < 0 {
				run = len(s.in)
			}
			if s.skipping && run < len(s.in)-1 && s.in[run] == '\\' {
				run += 2 // an escape: its second byte is no quote
			}
			if s.skipping && run > 0 {
				s.skipped += run
				s.in = s.in[run:]
				continue
			}
			if n := min(run, len(dst)-w, MaxString-s.kept); !s.skipping && n > 0 {
				copy(dst[w:], s.in[:n])
				w, s.kept, s.in = w+n, s.kept+n, s.in[n:]
				continue
			}
		}
		b := s.in[0]
		s.in = s.in[1:]
		keep := true
		switch {
		case s.inString:
			keep = s.stringByte(b)
		case b == '"':
			s.inString, s.kept, s.skipped, s.escape, s.literal, s.space = true, 0, 0, 0, 0, false
		case b == ' ' || b == '\t' || b == '\n' || b == '\r':
			keep, s.space, s.literal = !s.space, true, 0
		case b == '{' || b == '}' || b == '[' || b == ']' || b == ',' || b == ':':
			s.space, s.literal = false, 0
		default:
			s.space = false
			if s.literal++; s.literal > maxLiteral {
				return w, errLiteral
			}
		}
		if keep {
			dst[w] = b
			w++
		}
	}
	return w, nil
}

// stringByte follows one byte of a string token and says whether it is
// handed on. Past MaxString, at the next byte that starts a character or
// an escape, the rest of the string is dropped and, at its closing quote,
// the marker goes before the quote.
func (s *shortener) stringByte(b byte) bool {
	switch {
	case s.escape == -1:
		s.escape = 0
		if b == 'u' {
			s.escape = 4
		}
	case s.escape > 0:
		s.escape--
	case b == '"':
		s.inString = false
		if s.skipping {
			s.skipping = false
			s.out = append([]byte(findings.TruncationMarker(s.skipped)), '"')
			return false
		}
		return true
	case !s.skipping && s.kept >= MaxString && utf8.RuneStart(b):
		s.skipping = true
		if b == '\\' {
			s.escape = -1
		}
	case b == '\\':
		s.escape = -1
	}
	if s.skipping {
		s.skipped++
		return false
	}
	s.kept++
	return true
}
