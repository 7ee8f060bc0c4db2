package reportfilter

import (
	"encoding/json"
	"strconv"
)

// token reads the next token, bounded as one value.
func (f *filter) token() (json.Token, error) {
	f.in.bound(f.dec.InputOffset())
	tok, err := f.dec.Token()
	f.in.unbound()
	if err != nil {
		return nil, f.malformed(err)
	}
	return tok, nil
}

// element reads the next value whole, bounded by MaxElement. The slice is
// valid until the next call.
func (f *filter) element() (json.RawMessage, error) {
	f.in.bound(f.dec.InputOffset())
	f.raw = f.raw[:0]
	err := f.dec.Decode(&f.raw)
	f.in.unbound()
	if err != nil {
		return nil, f.malformed(err)
	}
	return f.raw, nil
}

// open reads the token that opens a value of kind ('{' or '['); a null
// instead is reported when nullOK, and refused otherwise.
func (f *filter) open(kind json.Delim, nullOK bool) (null bool, err error) {
	tok, err := f.token()
	if err != nil {
		return false, err
	}
	if tok == nil && nullOK {
		return true, nil
	}
	if tok != kind {
		want := "object"
		if kind == '[' {
			want = "array"
		}
		return false, f.malformed(&ShapeError{Want: want, Found: describe(tok)})
	}
	return false, nil
}

// object copies an object (or a null, when nullOK), writing each key and
// calling member, which must read and write the key's value.
func (f *filter) object(nullOK bool, member func(key string) error) (null bool, err error) {
	if null, err := f.open('{', nullOK); err != nil || null {
		if null {
			f.out.putString("null")
		}
		return null, err
	}
	return false, f.members(member)
}

// members copies an object whose '{' was read, as object does.
func (f *filter) members(member func(key string) error) error {
	f.out.putByte('{')
	for i := 0; f.dec.More(); i++ {
		tok, err := f.token()
		if err != nil {
			return err
		}
		key, _ := tok.(string) // the decoder reads only strings as keys
		if i > 0 {
			f.out.putByte(',')
		}
		f.writeString(key)
		f.out.putByte(':')
		f.pushKey(key)
		err = member(key)
		f.pop()
		if err != nil {
			return err
		}
	}
	if _, err := f.token(); err != nil { // '}'
		return err
	}
	f.out.putByte('}')
	return nil
}

// array copies an array (or a null, when nullOK), calling each for every
// element, which must read and write it.
func (f *filter) array(nullOK bool, each func() error) (null bool, err error) {
	if null, err := f.open('[', nullOK); err != nil || null {
		if null {
			f.out.putString("null")
		}
		return null, err
	}
	f.out.putByte('[')
	for i := 0; f.dec.More(); i++ {
		if i > 0 {
			f.out.putByte(',')
		}
		f.pushIndex(i)
		err := each()
		f.pop()
		if err != nil {
			return false, err
		}
	}
	if _, err := f.token(); err != nil { // ']'
		return false, err
	}
	f.out.putByte(']')
	return false, nil
}

// findings filters an array of findings (or copies a null, when nullOK),
// each read whole and kept when keep() accepts the file fileOf finds in it.
func (f *filter) findings(nullOK bool, fileOf func([]byte) (string, error)) (null bool, err error) {
	if null, err := f.open('[', nullOK); err != nil || null {
		if null {
			f.out.putString("null")
		}
		return null, err
	}
	f.out.putByte('[')
	written := 0
	for i := 0; f.dec.More(); i++ {
		f.pushIndex(i)
		raw, err := f.element()
		if err != nil {
			return false, err
		}
		path, err := fileOf(raw)
		if err != nil {
			return false, f.malformed(err)
		}
		if f.decide(path) {
			if written > 0 {
				f.out.putByte(',')
			}
			f.out.put(raw)
			written++
		}
		f.pop()
		if err := f.out.failed(); err != nil {
			return false, err
		}
	}
	if _, err := f.token(); err != nil { // ']'
		return false, err
	}
	f.out.putByte(']')
	return false, nil
}

// copyValue copies the next value, token by token.
func (f *filter) copyValue() error {
	tok, err := f.token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'), json.Delim('['):
		end := byte('}')
		if tok == json.Delim('[') {
			end = ']'
		}
		f.out.putByte(byte(tok.(json.Delim))) //nolint:gosec // G115: a JSON delimiter is one of [ ] { }
		for i := 0; f.dec.More(); i++ {
			if i > 0 {
				f.out.putByte(',')
			}
			if end == '}' {
				key, err := f.token()
				if err != nil {
					return err
				}
				f.writeString(key.(string))
				f.out.putByte(':')
			}
			if err := f.copyValue(); err != nil {
				return err
			}
		}
		if _, err := f.token(); err != nil {
			return err
		}
		f.out.putByte(end)
	default:
		f.writeScalar(tok)
	}
	return nil
}

// skipValue reads the next value and drops it.
func (f *filter) skipValue() error {
	_, err := f.element()
	return err
}

func (f *filter) writeScalar(tok json.Token) {
	switch v := tok.(type) {
	case string:
		f.writeString(v)
	case json.Number:
		f.out.putString(string(v))
	case bool:
		f.out.putString(strconv.FormatBool(v))
	case nil:
		f.out.putString("null")
	}
}

// writeString writes s as a JSON string. The decoder gives strings as
// valid UTF-8 (invalid bytes replaced), so only the quote, the backslash
// and control characters need escaping.
func (f *filter) writeString(s string) {
	const hex = "0123456789abcdef"
	f.out.putByte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		f.out.putString(s[start:i])
		switch c {
		case '"', '\\':
			f.out.putByte('\\')
			f.out.putByte(c)
		case '\n':
			f.out.putString(`\n`)
		case '\r':
			f.out.putString(`\r`)
		case '\t':
			f.out.putString(`\t`)
		default:
			f.out.putString(`\u00`)
			f.out.putByte(hex[c>>4])
			f.out.putByte(hex[c&0xf])
		}
		start = i + 1
	}
	f.out.putString(s[start:])
	f.out.putByte('"')
}
