package trufflehog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// A v3 line's ExtraData and StructuredData are objects of the detector's
// own making; DefectDojo writes them into the description as its
// walk_dict does: each member "key: value" on a line of its own, indented
// by one tab a level, a nested object's members one level deeper (without
// its key), and values as Python prints them. These functions write the
// same text, keeping the members' order.

// truthy reports whether a JSON value is true as Python tests it: not
// null, false, 0, "", [] or {}.
func truthy(raw json.RawMessage) bool {
	switch s := string(bytes.TrimSpace(raw)); s {
	case "", "null", "false", `""`:
		return false
	default:
		if s[0] == '{' || s[0] == '[' {
			inner := strings.TrimSpace(s[1 : len(s)-1])
			return inner != ""
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f != 0
		}
	}
	return true
}

// walkDict writes an object's members at depth tabs; anything but a
// non-empty object is no text.
func walkDict(raw json.RawMessage, depth int) (string, error) {
	if !truthy(raw) || bytes.TrimSpace(raw)[0] != '{' {
		return "", nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var b strings.Builder
	if _, err := d.Token(); err != nil { // '{'
		return "", err
	}
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return "", err
		}
		key, _ := tok.(string)
		var value json.RawMessage
		if err := d.Decode(&value); err != nil {
			return "", err
		}
		if v := bytes.TrimSpace(value); len(v) > 0 && v[0] == '{' {
			nested, err := walkDict(value, depth+1)
			if err != nil {
				return "", err
			}
			b.WriteString(nested)
			continue
		}
		text, err := pyStr(value)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%s%s: %s\n", strings.Repeat("\t", depth), key, text)
	}
	return b.String(), nil
}

// pyStr is Python's str() of a JSON value: a string as it is, anything
// else as repr() writes it.
func pyStr(raw json.RawMessage) (string, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	tok, err := d.Token()
	if err != nil {
		return "", err
	}
	if s, ok := tok.(string); ok {
		return s, nil
	}
	var b strings.Builder
	err = pyRepr(&b, d, tok)
	return b.String(), err
}

// pyRepr writes Python's repr() of the value that starts with tok.
func pyRepr(b *strings.Builder, d *json.Decoder, tok json.Token) error {
	switch v := tok.(type) {
	case nil:
		b.WriteString("None")
	case bool:
		b.WriteString(map[bool]string{true: "True", false: "False"}[v])
	case string:
		b.WriteString(pyQuote(v))
	case json.Number:
		b.WriteString(pyNumber(v))
	case json.Delim:
		closing, sep := "]", ", "
		if v == '{' {
			closing = "}"
		}
		b.WriteString(string(v))
		for first := true; d.More(); first = false {
			if !first {
				b.WriteString(sep)
			}
			next, err := d.Token()
			if err != nil {
				return err
			}
			if err := pyRepr(b, d, next); err != nil {
				return err
			}
			if v == '{' {
				b.WriteString(": ")
				value, err := d.Token()
				if err != nil {
					return err
				}
				if err := pyRepr(b, d, value); err != nil {
					return err
				}
			}
		}
		if _, err := d.Token(); err != nil {
			return err
		}
		b.WriteString(closing)
	}
	return nil
}

// pyNumber writes a JSON number as Python does: an integer as it is, a
// float with its shortest digits, in exponent form from 1e16 and below
// 1e-4, and ".0" when it has no fraction.
func pyNumber(n json.Number) string {
	if !strings.ContainsAny(string(n), ".eE") {
		return string(n)
	}
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) {
		return string(n)
	}
	if a := math.Abs(f); a != 0 && (a >= 1e16 || a < 1e-4) {
		return strconv.FormatFloat(f, 'e', -1, 64)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// pyQuote is Python's repr() of a string: single quotes unless it holds
// one and no double quote, escapes for the quote, backslash and
// characters that do not print.
func pyQuote(s string) string {
	q := '\''
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		q = '"'
	}
	var b strings.Builder
	b.WriteRune(q)
	for _, r := range s {
		switch {
		case r == q || r == '\\':
			b.WriteRune('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case unicode.IsPrint(r):
			b.WriteRune(r)
		case r <= 0xff:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteRune(q)
	return b.String()
}
