package reportfilter

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// trivyLists are the lists of a trivy result whose items are findings
// (DefectDojo's parser reads all four; SecBot's the first three).
var trivyLists = map[string]bool{"Vulnerabilities": true, "Misconfigurations": true, "Secrets": true, "Licenses": true}

// trivy walks a trivy report: schema 2 (an object with Results, or
// Resources for Kubernetes) or the older top-level list of results.
func (f *filter) trivy() error {
	tok, err := f.token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('['):
		return f.trivyResults(true)
	case json.Delim('{'):
	default:
		return f.malformed(&ShapeError{Want: "object", Found: describe(tok)})
	}
	found := false
	err = f.members(func(key string) error {
		var null bool
		var err error
		switch key {
		case "Results":
			null, err = f.trivyResultsOrNull(true)
		case "Resources": // a Kubernetes report: its targets are not files
			null, err = f.array(true, func() error {
				_, err := f.object(false, func(key string) error {
					if key != "Results" {
						return f.copyValue()
					}
					_, err := f.trivyResultsOrNull(false)
					return err
				})
				return err
			})
		default:
			return f.copyValue()
		}
		found = found || !null
		return err
	})
	if err == nil && !found {
		return f.malformed(errors.New("the report has neither Results nor Resources"))
	}
	return err
}

// trivyResultsOrNull filters a list of results, or copies a null.
func (f *filter) trivyResultsOrNull(byTarget bool) (null bool, err error) {
	if null, err = f.open('[', true); err != nil || null {
		if null {
			f.out.putString("null")
		}
		return null, err
	}
	return false, f.trivyResults(byTarget)
}

// trivyResults filters a list of results whose '[' was read, each by its
// Target when byTarget, else keeping all.
func (f *filter) trivyResults(byTarget bool) error {
	f.out.putByte('[')
	written := 0
	for i := 0; f.dec.More(); i++ {
		f.pushIndex(i)
		err := f.trivyResult(byTarget, &written)
		f.pop()
		if err == nil {
			err = f.out.failed()
		}
		if err != nil {
			return err
		}
	}
	if _, err := f.token(); err != nil { // ']'
		return err
	}
	f.out.putByte(']')
	return nil
}

// member is a key and its value, read whole.
type member struct {
	key string
	raw json.RawMessage
}

// trivyResult filters one result, streamed: trivy writes its Target
// first, and what comes before it (rare) is held, up to MaxElement, until
// the Target decides. A result with no Target, or an empty one, is kept.
func (f *filter) trivyResult(byTarget bool, written *int) error {
	if _, err := f.open('{', false); err != nil {
		return err
	}
	known, keep := !byTarget, !byTarget
	var before []member
	size, held := 0, 0 // the bytes held, and the findings among them
	members := 0
	start := func() {
		if *written > 0 {
			f.out.putByte(',')
		}
		*written++
		f.out.putByte('{')
		for _, m := range before {
			f.writeMember(&members, m.key)
			f.out.put(m.raw)
		}
		f.kept += held
	}
	if known {
		start()
	}
	for f.dec.More() {
		tok, err := f.token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		f.pushKey(key)
		switch {
		case known && keep:
			f.writeMember(&members, key)
			if trivyLists[key] {
				err = f.trivyList(true)
			} else {
				err = f.copyValue()
			}
		case known:
			if trivyLists[key] {
				err = f.trivyList(false)
			} else {
				err = f.skipValue()
			}
		default:
			var raw json.RawMessage
			if raw, err = f.element(); err != nil {
				break
			}
			before = append(before, member{key: key, raw: slices.Clone(raw)})
			if key == "Target" {
				var target string
				if err = json.Unmarshal(raw, &target); err != nil {
					err = f.malformed(err)
					break
				}
				known, keep = true, target == "" || f.keep(plainPath(target))
				if keep {
					start()
				} else {
					f.dropped += held
				}
				before = nil
				break
			}
			if size += len(raw); size > int(f.in.max) {
				err = f.malformed(fmt.Errorf("%w (what a result has before its Target counts as one)", &TooLargeError{Limit: int(f.in.max)}))
				break
			}
			if trivyLists[key] {
				var items []json.RawMessage
				if err = json.Unmarshal(raw, &items); err != nil {
					err = f.malformed(err)
				}
				held += len(items)
			}
		}
		f.pop()
		if err != nil {
			return err
		}
	}
	if _, err := f.token(); err != nil { // '}'
		return err
	}
	if !known {
		keep = true
		start()
	}
	if keep {
		f.out.putByte('}')
	}
	return nil
}

// writeMember writes an object's key, after a comma unless it is the
// first of the object's members written.
func (f *filter) writeMember(written *int, key string) {
	if *written > 0 {
		f.out.putByte(',')
	}
	*written++
	f.writeString(key)
	f.out.putByte(':')
}

// trivyList reads a result's list of findings (or a null), copying it
// when keep, and counts its items.
func (f *filter) trivyList(keep bool) error {
	null, err := f.open('[', true)
	if err != nil {
		return err
	}
	if null {
		if keep {
			f.out.putString("null")
		}
		return nil
	}
	if keep {
		f.out.putByte('[')
	}
	for i := 0; f.dec.More(); i++ {
		f.pushIndex(i)
		raw, err := f.element()
		if err != nil {
			return err
		}
		if keep {
			if i > 0 {
				f.out.putByte(',')
			}
			f.out.put(raw)
			f.kept++
		} else {
			f.dropped++
		}
		f.pop()
	}
	if _, err := f.token(); err != nil { // ']'
		return err
	}
	if keep {
		f.out.putByte(']')
	}
	return nil
}
