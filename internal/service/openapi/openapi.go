// Package openapi holds the OpenAPI documents of the receiver and the
// reporter. Each document is kept as several JSON files, one per group of
// routes, so that each stays short enough to read: common/ holds what every
// process serves (probes, metrics, the documents themselves), receiver/ and
// reporter/ the routes of one process. Document joins a process's files
// into the one document /openapi.json serves.
package openapi

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"
)

//go:embed common/*.json receiver/*.json reporter/*.json
var files embed.FS

// Names are the processes that have a document.
var Names = []string{"receiver", "reporter"}

// topOrder is the order of the document's first keys, as OpenAPI's own
// examples write them; other keys follow in sorted order.
var topOrder = []string{"openapi", "info", "servers", "security", "tags", "paths", "components"}

// Document returns the OpenAPI document of the named process: the files of
// common/ and of the process's folder, joined. Paths and each kind of
// component may be spread over the files; any other key, a path or a
// component given twice is a mistake, reported with both files.
func Document(name string) ([]byte, error) {
	if !slices.Contains(Names, name) {
		return nil, fmt.Errorf("openapi: no document for %q (there are: %v)", name, Names)
	}
	var parts []part
	for _, dir := range []string{"common", name} {
		names, err := fs.Glob(files, dir+"/*.json")
		if err != nil {
			return nil, fmt.Errorf("openapi: listing %s: %w", dir, err)
		}
		for _, n := range names {
			data, err := files.ReadFile(n)
			if err != nil {
				return nil, fmt.Errorf("openapi: reading %s: %w", n, err)
			}
			parts = append(parts, part{name: n, data: data})
		}
	}
	if name == "reporter" {
		objects, err := objectsPart()
		if err != nil {
			return nil, fmt.Errorf("openapi: documenting the API's objects: %w", err)
		}
		parts = append(parts, objects)
	}
	return join(parts)
}

// part is one file of a document.
type part struct {
	name string
	data []byte
}

// merged are the top-level keys of a document, each with the file that
// gave it; maps are the keys whose members (paths, components of each
// kind) may come from several files.
type merged struct {
	top  map[string]json.RawMessage
	maps map[string]map[string]json.RawMessage
	from map[string]string
}

// join merges the parts into one document, indented by two spaces.
func join(parts []part) ([]byte, error) {
	m := merged{top: map[string]json.RawMessage{}, maps: map[string]map[string]json.RawMessage{}, from: map[string]string{}}
	for _, p := range parts {
		if err := m.add(p); err != nil {
			return nil, err
		}
	}
	if _, ok := m.top["openapi"]; !ok {
		return nil, fmt.Errorf("openapi: no file gives the \"openapi\" version")
	}
	return m.encode()
}

func (m *merged) add(p part) error {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(p.data, &doc); err != nil {
		return fmt.Errorf("openapi: %s is not a JSON object: %w", p.name, err)
	}
	for key, raw := range doc {
		switch key {
		case "paths":
			if err := m.addMembers(p.name, "paths", raw); err != nil {
				return err
			}
		case "components":
			var kinds map[string]json.RawMessage
			if err := json.Unmarshal(raw, &kinds); err != nil {
				return fmt.Errorf("openapi: %s: components is not an object: %w", p.name, err)
			}
			for kind, members := range kinds {
				if err := m.addMembers(p.name, "components/"+kind, members); err != nil {
					return err
				}
			}
		default:
			if prev, ok := m.from[key]; ok {
				return fmt.Errorf("openapi: %q is given by both %s and %s: keep it in one file", key, prev, p.name)
			}
			m.top[key], m.from[key] = raw, p.name
		}
	}
	return nil
}

// addMembers adds the members of one object (paths, or components of one
// kind) under where.
func (m *merged) addMembers(file, where string, raw json.RawMessage) error {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return fmt.Errorf("openapi: %s: %s is not an object: %w", file, where, err)
	}
	if m.maps[where] == nil {
		m.maps[where] = map[string]json.RawMessage{}
	}
	for name, v := range members {
		id := where + "/" + name
		if prev, ok := m.from[id]; ok {
			return fmt.Errorf("openapi: %s %q is given by both %s and %s", where, name, prev, file)
		}
		m.maps[where][name], m.from[id] = v, file
	}
	return nil
}

// encode writes the document with its keys in topOrder; encoding/json
// sorts the paths and components by name.
func (m *merged) encode() ([]byte, error) {
	doc := orderedObject{}
	for key, raw := range m.top {
		doc = append(doc, member{key, raw})
	}
	components := map[string]map[string]json.RawMessage{}
	for where, members := range m.maps {
		if kind, ok := strings.CutPrefix(where, "components/"); ok {
			components[kind] = members
		} else {
			doc = append(doc, member{where, members})
		}
	}
	if len(components) > 0 {
		doc = append(doc, member{"components", components})
	}
	rank := func(key string) int {
		if i := slices.Index(topOrder, key); i >= 0 {
			return i
		}
		return len(topOrder)
	}
	sort.SliceStable(doc, func(i, j int) bool {
		if ri, rj := rank(doc[i].key), rank(doc[j].key); ri != rj {
			return ri < rj
		}
		return doc[i].key < doc[j].key
	})
	compact, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("openapi: encoding the document: %w", err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, compact, "", "  "); err != nil {
		return nil, fmt.Errorf("openapi: indenting the document: %w", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// member is one key of a JSON object and its value.
type member struct {
	key   string
	value any
}

// orderedObject is a JSON object whose keys keep their order.
type orderedObject []member

// MarshalJSON writes the members in order.
func (o orderedObject) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			buf.WriteByte(',')
		}
		key, err := json.Marshal(m.key)
		if err != nil {
			return nil, err
		}
		value, err := json.Marshal(m.value)
		if err != nil {
			return nil, err
		}
		buf.Write(key)
		buf.WriteByte(':')
		buf.Write(value)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// Subset returns the named process's document with only the paths under
// prefix (the reporter's /api/v2/, which it also serves where DefectDojo
// serves its schema): the same components, info and security.
func Subset(name, prefix string) ([]byte, error) {
	doc, err := Document(name)
	if err != nil {
		return nil, err
	}
	var m merged
	m.top, m.maps = map[string]json.RawMessage{}, map[string]map[string]json.RawMessage{}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(doc, &top); err != nil {
		return nil, fmt.Errorf("openapi: reading the %s document: %w", name, err)
	}
	for key, raw := range top {
		var members map[string]json.RawMessage
		switch key {
		case "paths":
			if err := json.Unmarshal(raw, &members); err != nil {
				return nil, err
			}
			m.maps["paths"] = map[string]json.RawMessage{}
			for path, item := range members {
				if strings.HasPrefix(path, prefix) {
					m.maps["paths"][path] = item
				}
			}
		case "components":
			var kinds map[string]map[string]json.RawMessage
			if err := json.Unmarshal(raw, &kinds); err != nil {
				return nil, err
			}
			for kind, members := range kinds {
				m.maps["components/"+kind] = members
			}
		default:
			m.top[key] = raw
		}
	}
	return m.encode()
}
