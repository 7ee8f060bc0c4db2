package httpapi

import (
	"bytes"
	"encoding/json"
	"html/template"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// docsPage lists the document's operations by tag, then its schemas. It
// loads nothing from elsewhere.
var docsPage = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} — API</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
h1{font-size:1.6rem}h2{margin-top:2.5rem;border-bottom:1px solid #d0d7de}h3{font-size:1.05rem;margin:0}
h4{font-size:.95rem;margin:.8rem 0 .2rem}code,.path{font-family:ui-monospace,monospace}
section{border:1px solid #d0d7de;border-radius:6px;padding:.75rem 1rem;margin:1rem 0}
.method{display:inline-block;min-width:4.5rem;font-weight:700;text-transform:uppercase}
.get{color:#0969da}.post{color:#1a7f37}.patch,.put{color:#9a6700}.delete{color:#cf222e}
table{border-collapse:collapse;width:100%}td,th{padding:.2rem .6rem;border-bottom:1px solid #eaeef2;text-align:left;vertical-align:top}
.auth{color:#57606a}ul.toc{columns:2;padding-left:1.2rem}
</style></head><body>
<h1>{{.Title}} <small>{{.Version}}</small></h1>
<p>{{.Description}}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3)</p>
{{if .Auth}}<h2 id="auth">Authentication</h2>{{range .Auth}}<p id="auth-{{.Name}}"><code>{{.Name}}</code>: {{.Description}}</p>{{end}}{{end}}
{{range .Groups}}<h2 id="tag-{{.Name}}">{{.Name}}</h2>{{if .Description}}<p>{{.Description}}</p>{{end}}
<ul class="toc">{{range .Operations}}<li><a href="#{{.ID}}"><span class="method {{.Method}}">{{.Method}}</span> <span class="path">{{.Path}}</span></a></li>{{end}}</ul>
{{range .Operations}}<section id="{{.ID}}">
<h3><span class="method {{.Method}}">{{.Method}}</span> <span class="path">{{.Path}}</span></h3>
<p><strong>{{.Summary}}</strong></p>{{if .Description}}<p>{{.Description}}</p>{{end}}
{{if .Security}}<p class="auth">Authentication:{{range .Security}} <a href="#auth-{{.Name}}">{{.Name}}</a>{{end}}</p>{{end}}
{{if .Parameters}}<h4>Parameters</h4><table><tr><th>Name</th><th>In</th><th>Type</th><th>Description</th></tr>
{{range .Parameters}}<tr><td><code>{{.Name}}</code>{{if .Required}} (required){{end}}</td><td>{{.In}}</td><td>{{.Type}}</td><td>{{.Description}}</td></tr>{{end}}</table>{{end}}
{{range .Bodies}}<h4>Request body: <code>{{.Media}}</code> {{.Type}}</h4>{{if .Description}}<p>{{.Description}}</p>{{end}}
{{template "fields" .}}{{end}}
<h4>Answers</h4><table><tr><th>Status</th><th>Meaning</th><th>Body</th></tr>{{range .Responses}}<tr><td>{{.Code}}</td><td>{{.Description}}{{range .Headers}}<br>Header <code>{{.Name}}</code>: {{.Description}}{{end}}</td><td>{{range .Bodies}}<code>{{.Media}}</code> {{.Type}}<br>{{end}}</td></tr>{{end}}</table>
</section>{{end}}{{end}}
{{if .Schemas}}<h2 id="schemas">Schemas</h2>
{{range .Schemas}}<section id="schema-{{.Name}}"><h3>{{.Name}}</h3>{{if .Description}}<p>{{.Description}}</p>{{end}}{{if .Type}}<p>{{.Type}}</p>{{end}}
{{template "fields" .}}</section>{{end}}{{end}}
</body></html>
{{define "fields"}}{{if or .Fields .Others}}<table><tr><th>Field</th><th>Type</th><th>Description</th></tr>
{{range .Fields}}<tr><td><code>{{.Name}}</code>{{if .Required}} (required){{end}}</td><td>{{.Type}}</td><td>{{.Description}}</td></tr>{{end}}
{{if .Others}}<tr><td><em>any other</em></td><td>{{.Others}}</td><td></td></tr>{{end}}</table>{{end}}{{end}}`))

// Views of the document for the template.
type (
	docGroup struct {
		Name, Description string
		Operations        []docOpView
	}
	docOpView struct {
		ID, Method, Path, Summary, Description string
		Security                               []docNamed
		Parameters                             []docParamView
		Bodies                                 []docBody
		Responses                              []docResponseView
	}
	docNamed     struct{ Name, Description string }
	docParamView struct {
		Name, In, Description string
		Required              bool
		Type                  template.HTML
	}
	docBody struct {
		Media, Description string
		Type, Others       template.HTML
		Fields             []docField
	}
	docResponseView struct {
		Code, Description string
		Headers           []docNamed
		Bodies            []docBody
	}
	docSchemaView struct {
		Name, Description string
		Type, Others      template.HTML
		Fields            []docField
	}
)

var docMethods = []string{"get", "put", "post", "patch", "delete", "head", "options"}

var nonID = regexp.MustCompile(`[^a-zA-Z0-9]+`)

// renderDocs turns an OpenAPI document into a readable HTML page once, at
// start-up. A document that does not parse yields a page saying so.
func renderDocs(service string, spec []byte) []byte {
	var doc docSpec
	if err := json.Unmarshal(spec, &doc); err != nil {
		return []byte("OpenAPI document of " + service + " is invalid: " + template.HTMLEscapeString(err.Error()))
	}
	groups := map[string]*docGroup{}
	var order []string
	for _, t := range doc.Tags {
		groups[t.Name] = &docGroup{Name: t.Name, Description: t.Description}
		order = append(order, t.Name)
	}
	for path, item := range doc.Paths {
		var shared []*docParameter
		_ = json.Unmarshal(item["parameters"], &shared)
		for method, raw := range item {
			if !slices.Contains(docMethods, method) {
				continue
			}
			var op docOperation
			if err := json.Unmarshal(raw, &op); err != nil {
				continue
			}
			tag := "other"
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			if groups[tag] == nil {
				groups[tag] = &docGroup{Name: tag}
				order = append(order, tag)
			}
			groups[tag].Operations = append(groups[tag].Operations, doc.operation(method, path, shared, op))
		}
	}
	var list []docGroup
	for _, name := range order {
		g := groups[name]
		if len(g.Operations) == 0 {
			continue
		}
		sort.Slice(g.Operations, func(i, j int) bool {
			a, b := g.Operations[i], g.Operations[j]
			if a.Path != b.Path {
				return a.Path < b.Path
			}
			return slices.Index(docMethods, a.Method) < slices.Index(docMethods, b.Method)
		})
		list = append(list, *g)
	}
	var schemas []docSchemaView
	for name, s := range doc.Components.Schemas {
		v := docSchemaView{Name: name, Description: s.Description}
		v.Fields, v.Others = doc.fields(s)
		if len(v.Fields) == 0 && v.Others == "" {
			v.Type = doc.typeOf(s)
		}
		schemas = append(schemas, v)
	}
	sort.Slice(schemas, func(i, j int) bool { return schemas[i].Name < schemas[j].Name })
	var auth []docNamed
	for name, s := range doc.Components.SecuritySchemes {
		auth = append(auth, docNamed{Name: name, Description: s.Description})
	}
	sort.Slice(auth, func(i, j int) bool { return auth[i].Name < auth[j].Name })
	var buf bytes.Buffer
	_ = docsPage.Execute(&buf, map[string]any{
		"Title": doc.Info.Title, "Version": doc.Info.Version, "Description": doc.Info.Description,
		"Auth": auth, "Groups": list, "Schemas": schemas,
	})
	return buf.Bytes()
}

// operation is one operation's view: its parameters (the path's first),
// request bodies, answers and authentication, references followed.
func (d *docSpec) operation(method, path string, shared []*docParameter, op docOperation) docOpView {
	v := docOpView{ID: "op-" + method + strings.TrimRight(nonID.ReplaceAllString(path, "-"), "-"),
		Method: method, Path: path, Summary: op.Summary, Description: op.Description}
	for _, p := range append(append([]*docParameter{}, shared...), op.Parameters...) {
		p = d.parameter(p)
		v.Parameters = append(v.Parameters, docParamView{Name: p.Name, In: p.In, Description: p.Description,
			Required: p.Required, Type: d.typeOf(p.Schema)})
	}
	if op.RequestBody != nil {
		v.Bodies = d.bodies(op.RequestBody.Content, op.RequestBody.Description, true)
	}
	for code, r := range op.Responses {
		r = d.response(r)
		rv := docResponseView{Code: code, Description: r.Description, Bodies: d.bodies(r.Content, "", false)}
		for name, h := range r.Headers {
			rv.Headers = append(rv.Headers, docNamed{Name: name, Description: h.Description})
		}
		sort.Slice(rv.Headers, func(i, j int) bool { return rv.Headers[i].Name < rv.Headers[j].Name })
		v.Responses = append(v.Responses, rv)
	}
	sort.Slice(v.Responses, func(i, j int) bool { return v.Responses[i].Code < v.Responses[j].Code })
	for _, req := range op.Security {
		for name := range req {
			v.Security = append(v.Security, docNamed{Name: name})
		}
	}
	return v
}

// bodies lists a request's or an answer's media types, those of the same
// schema together, each with its schema's type and, for a request
// (fields), the fields it takes.
func (d *docSpec) bodies(content map[string]docContent, description string, fields bool) []docBody {
	media := make([]string, 0, len(content))
	for m := range content {
		media = append(media, m)
	}
	sort.Strings(media)
	var out []docBody
	for _, m := range media {
		c := content[m]
		typ := d.typeOf(c.Schema)
		if n := len(out); n > 0 && out[n-1].Type == typ {
			out[n-1].Media += ", " + m
			continue
		}
		b := docBody{Media: m, Description: description, Type: typ}
		if fields {
			b.Fields, b.Others = d.fields(c.Schema)
		}
		out = append(out, b)
	}
	return out
}
