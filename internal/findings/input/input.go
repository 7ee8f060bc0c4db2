// Package input checks what clients send the findings service (ids,
// counts and page numbers, text), the same way for the DefectDojo API and
// the findings pages, and says what is wrong in DefectDojo's words: a
// value PostgreSQL cannot hold is the client's mistake, never a 500.
package input

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxID is the largest id: ids are PostgreSQL integers.
const MaxID = math.MaxInt32

// DefectDojo's (Django REST framework's) messages, and ours where it has
// none.
const (
	NotInteger = "A valid integer is required."
	NullChar   = "Null characters are not allowed."
	NotUTF8    = "Not valid UTF-8: send text as UTF-8."
)

// Errors collects DefectDojo's 400 answer, {"field": ["message", …]}.
type Errors map[string][]string

// Add records a problem with field.
func (e Errors) Add(field, msg string) { e[field] = append(e[field], msg) }

// String lists the problems one a line, as "field: message", for pages.
func (e Errors) String() string {
	var b strings.Builder
	for field, msgs := range e {
		for _, m := range msgs {
			fmt.Fprintf(&b, "%s: %s\n", field, m)
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// Int reads a whole number from lo to hi; "" is def. A problem is
// recorded under field and def returned.
func (e Errors) Int(field, raw string, def, lo, hi int) int {
	if raw == "" {
		return def
	}
	n, msg := parseInt(raw, lo, hi)
	if msg != "" {
		e.Add(field, msg)
		return def
	}
	return n
}

// ID reads one id; "" is 0.
func (e Errors) ID(field, raw string) int { return e.Int(field, raw, 0, 1, MaxID) }

// IDs reads a comma-separated list of ids; the first bad one is recorded.
func (e Errors) IDs(field, raw string) []int {
	var out []int
	for part := range strings.SplitSeq(raw, ",") {
		n, msg := parseInt(strings.TrimSpace(part), 1, MaxID)
		if msg != "" {
			e.Add(field, msg)
			return nil
		}
		out = append(out, n)
	}
	return out
}

// Text checks a text value, returning it unchanged.
func (e Errors) Text(field, raw string) string {
	if msg := TextProblem(raw); msg != "" {
		e.Add(field, msg)
	}
	return raw
}

// ParseID reads an id from a path: ok is false for anything that is not
// an id of something that can exist.
func ParseID(raw string) (int, bool) {
	n, msg := parseInt(raw, 1, MaxID)
	return n, msg == ""
}

// TextProblem says what keeps s from being stored as text (PostgreSQL
// holds neither NUL nor invalid UTF-8), or "" when nothing does.
func TextProblem(s string) string {
	switch {
	case strings.IndexByte(s, 0) >= 0:
		return NullChar
	case !utf8.ValidString(s):
		return NotUTF8
	}
	return ""
}

func parseInt(raw string, lo, hi int) (int, string) {
	n, err := strconv.Atoi(raw)
	switch {
	case err != nil:
		return 0, NotInteger
	case n < lo:
		return 0, fmt.Sprintf("Ensure this value is greater than or equal to %d.", lo)
	case n > hi:
		return 0, fmt.Sprintf("Ensure this value is less than or equal to %d.", hi)
	}
	return n, ""
}
