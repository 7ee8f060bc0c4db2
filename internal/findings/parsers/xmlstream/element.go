package xmlstream

import (
	"encoding/xml"

	"github.com/secbot/secbot/internal/findings"
)

// Element is one element read whole (Decoder.Element): a finding's worth
// of a report, looked up as DefectDojo's parsers look up theirs with
// ElementTree. Names match by their local part, whatever the namespace.
type Element struct {
	Name xml.Name
	Attr []xml.Attr
	// Text is the character data before the first child element (as
	// ElementTree's text), at most MaxText bytes and the marker.
	Text     string
	Children []*Element
}

// elementNodeCost is what an element costs beyond its text, counted
// against findings.MaxReportValue so that many tiny elements are bounded
// as a long text is.
const elementNodeCost = 128

// Element reads the rest of the element started by start into a tree. An
// element larger than findings.MaxReportValue (its bytes, plus a little
// for each element inside) is ErrValueTooLarge.
func (d *Decoder) Element(start xml.StartElement) (*Element, error) {
	d.g.limit = d.g.handed + findings.MaxReportValue
	defer func() { d.g.limit = 0 }()
	budget := findings.MaxReportValue
	return d.element(start, &budget)
}

func (d *Decoder) element(start xml.StartElement, budget *int) (*Element, error) {
	e := &Element{Name: start.Name, Attr: append([]xml.Attr(nil), start.Attr...)}
	var text textBuilder
	*budget -= elementNodeCost
	for {
		if *budget < 0 {
			return nil, d.at(ErrValueTooLarge)
		}
		tok, err := d.Token()
		if err != nil {
			return nil, d.at(err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(e.Children) == 0 {
				text.add(t)
			}
			*budget -= len(t)
		case xml.StartElement:
			child, err := d.element(t, budget)
			if err != nil {
				return nil, err
			}
			e.Children = append(e.Children, child)
		case xml.EndElement:
			e.Text = text.String()
			return e, nil
		}
	}
}

// Attribute returns the value of the attribute of that local name.
func (e *Element) Attribute(local string) (string, bool) {
	for _, a := range e.Attr {
		if a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

// Child returns the first child of that local name, or nil.
func (e *Element) Child(local string) *Element {
	if e == nil {
		return nil
	}
	for _, c := range e.Children {
		if c.Name.Local == local {
			return c
		}
	}
	return nil
}

// Find follows a path of local names, each a child of the one before (as
// ElementTree's find("a/b/c")), to the first element at its end, or nil.
func (e *Element) Find(path ...string) *Element {
	all := e.FindAll(path...)
	if len(all) == 0 {
		return nil
	}
	return all[0]
}

// FindAll returns every element at the end of a path of local names, in
// document order (as ElementTree's findall("a/b/c")).
func (e *Element) FindAll(path ...string) []*Element {
	if e == nil {
		return nil
	}
	level := []*Element{e}
	for _, local := range path {
		var next []*Element
		for _, p := range level {
			for _, c := range p.Children {
				if c.Name.Local == local {
					next = append(next, c)
				}
			}
		}
		level = next
	}
	return level
}

// FindText returns the text of the element at the end of the path and
// whether there is one (ElementTree's findtext: "" for an empty element).
func (e *Element) FindText(path ...string) (string, bool) {
	found := e.Find(path...)
	if found == nil {
		return "", false
	}
	return found.Text, true
}

// Descendant returns the first element below e, at any depth, in
// document order, of that local name for which match (when not nil) is
// true (as ElementTree's find(".//name[@attr='value']")), or nil.
func (e *Element) Descendant(local string, match func(*Element) bool) *Element {
	if e == nil {
		return nil
	}
	for _, c := range e.Children {
		if c.Name.Local == local && (match == nil || match(c)) {
			return c
		}
		if found := c.Descendant(local, match); found != nil {
			return found
		}
	}
	return nil
}

// HasAttribute is a Descendant match: the attribute of that local name
// has that value.
func HasAttribute(local, value string) func(*Element) bool {
	return func(e *Element) bool {
		v, ok := e.Attribute(local)
		return ok && v == value
	}
}
