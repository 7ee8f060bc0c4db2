package httpapi

import (
	"encoding/json"
	"fmt"
	"html/template"
	"sort"
	"strings"
)

// The parts of an OpenAPI 3.0 document the docs page shows. Local $refs
// (#/components/…) are followed; nothing is fetched.

type docSpec struct {
	Info struct {
		Title       string `json:"title"`
		Version     string `json:"version"`
		Description string `json:"description"`
	} `json:"info"`
	Tags []struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	} `json:"tags"`
	// Paths maps a path to its operations by method, and to the
	// parameters all of them share ("parameters").
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas         map[string]*docSchema    `json:"schemas"`
		Parameters      map[string]*docParameter `json:"parameters"`
		Responses       map[string]*docResponse  `json:"responses"`
		SecuritySchemes map[string]struct {
			Description string `json:"description"`
		} `json:"securitySchemes"`
	} `json:"components"`
}

type docOperation struct {
	Tags        []string        `json:"tags"`
	Summary     string          `json:"summary"`
	Description string          `json:"description"`
	Parameters  []*docParameter `json:"parameters"`
	RequestBody *struct {
		Description string                `json:"description"`
		Content     map[string]docContent `json:"content"`
	} `json:"requestBody"`
	Responses map[string]*docResponse `json:"responses"`
	Security  []map[string][]string   `json:"security"`
}

type docParameter struct {
	Ref         string     `json:"$ref"`
	Name        string     `json:"name"`
	In          string     `json:"in"`
	Description string     `json:"description"`
	Required    bool       `json:"required"`
	Schema      *docSchema `json:"schema"`
}

type docResponse struct {
	Ref         string `json:"$ref"`
	Description string `json:"description"`
	Headers     map[string]struct {
		Description string `json:"description"`
	} `json:"headers"`
	Content map[string]docContent `json:"content"`
}

type docContent struct {
	Schema *docSchema `json:"schema"`
}

type docSchema struct {
	Ref                  string                `json:"$ref"`
	Type                 string                `json:"type"`
	Format               string                `json:"format"`
	Description          string                `json:"description"`
	Properties           map[string]*docSchema `json:"properties"`
	Required             []string              `json:"required"`
	Items                *docSchema            `json:"items"`
	Enum                 []any                 `json:"enum"`
	Default              any                   `json:"default"`
	Nullable             bool                  `json:"nullable"`
	AllOf                []*docSchema          `json:"allOf"`
	AnyOf                []*docSchema          `json:"anyOf"`
	OneOf                []*docSchema          `json:"oneOf"`
	AdditionalProperties json.RawMessage       `json:"additionalProperties"`
}

// refName is the last part of a local $ref.
func refName(ref string) string { return ref[strings.LastIndex(ref, "/")+1:] }

func (d *docSpec) parameter(p *docParameter) *docParameter {
	if p.Ref != "" {
		if q := d.Components.Parameters[refName(p.Ref)]; q != nil {
			return q
		}
	}
	return p
}

func (d *docSpec) response(r *docResponse) *docResponse {
	if r.Ref != "" {
		if q := d.Components.Responses[refName(r.Ref)]; q != nil {
			return q
		}
	}
	return r
}

func (d *docSpec) schema(s *docSchema) *docSchema {
	for i := 0; s != nil && s.Ref != "" && i < 10; i++ {
		s = d.Components.Schemas[refName(s.Ref)]
	}
	return s
}

// docField is one field of an object schema, as the page lists it.
type docField struct {
	Name        string
	Type        template.HTML
	Required    bool
	Description string
}

// fields lists the properties of an object schema (its allOf parts
// merged), sorted by name, with what other fields it takes.
func (d *docSpec) fields(s *docSchema) (fields []docField, others template.HTML) {
	s = d.schema(s)
	if s == nil {
		return nil, ""
	}
	for _, part := range s.AllOf {
		f, o := d.fields(part)
		fields = append(fields, f...)
		if o != "" {
			others = o
		}
	}
	for name, p := range s.Properties {
		fields = append(fields, docField{Name: name, Type: d.typeOf(p), Description: d.describe(p)})
	}
	for i := range fields {
		for _, r := range s.Required {
			fields[i].Required = fields[i].Required || fields[i].Name == r
		}
	}
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].Name < fields[j].Name })
	switch raw := strings.TrimSpace(string(s.AdditionalProperties)); raw {
	case "", "false":
	case "true", "{}":
		others = "any"
	default:
		var extra docSchema
		if json.Unmarshal(s.AdditionalProperties, &extra) == nil {
			others = d.typeOf(&extra)
		}
	}
	return fields, others
}

// describe is a schema's description, or that of the schema it refers to.
func (d *docSpec) describe(s *docSchema) string {
	if s.Description != "" {
		return s.Description
	}
	if r := d.schema(s); r != nil && r != s {
		return r.Description
	}
	return ""
}

// typeOf writes a schema's type for a person: a link to a named schema,
// "array of …", a format, the choices of an enum, a default, "or null".
func (d *docSpec) typeOf(s *docSchema) template.HTML {
	if s == nil {
		return "any"
	}
	esc := template.HTMLEscapeString
	var out string
	switch {
	case s.Ref != "":
		name := esc(refName(s.Ref))
		out = `<a href="#schema-` + name + `">` + name + `</a>`
	case s.Type == "array":
		out = "array of " + string(d.typeOf(s.Items))
	case len(s.AllOf) == 1:
		out = string(d.typeOf(s.AllOf[0]))
	case len(s.AllOf)+len(s.AnyOf)+len(s.OneOf) > 0:
		var alts []string
		for _, alt := range append(append(append([]*docSchema{}, s.AllOf...), s.AnyOf...), s.OneOf...) {
			alts = append(alts, string(d.typeOf(alt)))
		}
		joiner := " or "
		if len(s.AllOf) > 0 {
			joiner = " and "
		}
		out = strings.Join(alts, joiner)
	case len(s.Properties) > 0:
		names := make([]string, 0, len(s.Properties))
		for name := range s.Properties {
			names = append(names, "<code>"+esc(name)+"</code>")
		}
		sort.Strings(names)
		out = "object {" + strings.Join(names, ", ") + "}"
	case s.Type == "":
		out = "any"
	default:
		out = esc(s.Type)
		if s.Format != "" {
			out += " (" + esc(s.Format) + ")"
		}
	}
	if len(s.Enum) > 0 {
		var choices []string
		for _, e := range s.Enum {
			choices = append(choices, "<code>"+esc(fmt.Sprint(e))+"</code>")
		}
		out += ": " + strings.Join(choices, ", ")
	}
	if s.Default != nil {
		out += ", default <code>" + esc(fmt.Sprint(s.Default)) + "</code>"
	}
	if s.Nullable {
		out += ", or null"
	}
	return template.HTML(out) //nolint:gosec // G203: out is built from html.EscapeString pieces above
}
