package httpapi

import (
	"bytes"
	"encoding/json"
	"html/template"
	"sort"
	"strings"
)

type docOperation struct {
	Method, Path, Summary, Description string
	Parameters                         []docParameter
	Responses                          []docResponse
}

type docParameter struct{ Name, In, Description string }

type docResponse struct{ Code, Description string }

type openAPIDoc struct {
	Info struct {
		Title       string `json:"title"`
		Version     string `json:"version"`
		Description string `json:"description"`
	} `json:"info"`
	Paths map[string]map[string]struct {
		Summary     string         `json:"summary"`
		Description string         `json:"description"`
		Parameters  []docParameter `json:"parameters"`
		Responses   map[string]struct {
			Description string `json:"description"`
		} `json:"responses"`
	} `json:"paths"`
}

var docsPage = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} — API</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
h1{font-size:1.6rem}code,.path{font-family:ui-monospace,monospace}
section{border:1px solid #d0d7de;border-radius:6px;padding:.75rem 1rem;margin:1rem 0}
.method{display:inline-block;min-width:4.5rem;font-weight:700;text-transform:uppercase}
.get{color:#0969da}.post{color:#1a7f37}.patch,.put{color:#9a6700}.delete{color:#cf222e}
table{border-collapse:collapse}td,th{padding:.2rem .6rem;border-bottom:1px solid #eaeef2;text-align:left;vertical-align:top}
</style></head><body>
<h1>{{.Title}} <small>{{.Version}}</small></h1>
<p>{{.Description}}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a></p>
{{range .Operations}}<section>
<h2><span class="method {{.Method}}">{{.Method}}</span> <span class="path">{{.Path}}</span></h2>
<p><strong>{{.Summary}}</strong></p>{{if .Description}}<p>{{.Description}}</p>{{end}}
{{if .Parameters}}<table><tr><th>Parameter</th><th>In</th><th>Description</th></tr>
{{range .Parameters}}<tr><td><code>{{.Name}}</code></td><td>{{.In}}</td><td>{{.Description}}</td></tr>{{end}}</table>{{end}}
<table><tr><th>Status</th><th>Meaning</th></tr>{{range .Responses}}<tr><td>{{.Code}}</td><td>{{.Description}}</td></tr>{{end}}</table>
</section>{{end}}
</body></html>`))

// renderDocs turns an OpenAPI document into a readable HTML page once, at
// start-up. A document that does not parse yields a page saying so.
func renderDocs(service string, spec []byte) []byte {
	var doc openAPIDoc
	if err := json.Unmarshal(spec, &doc); err != nil {
		return []byte("OpenAPI document of " + service + " is invalid: " + template.HTMLEscapeString(err.Error()))
	}
	var ops []docOperation
	for path, methods := range doc.Paths {
		for method, op := range methods {
			d := docOperation{Method: strings.ToLower(method), Path: path, Summary: op.Summary, Description: op.Description, Parameters: op.Parameters}
			for code, r := range op.Responses {
				d.Responses = append(d.Responses, docResponse{Code: code, Description: r.Description})
			}
			sort.Slice(d.Responses, func(i, j int) bool { return d.Responses[i].Code < d.Responses[j].Code })
			ops = append(ops, d)
		}
	}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].Path != ops[j].Path {
			return ops[i].Path < ops[j].Path
		}
		return ops[i].Method < ops[j].Method
	})
	var buf bytes.Buffer
	_ = docsPage.Execute(&buf, map[string]any{
		"Title": doc.Info.Title, "Version": doc.Info.Version, "Description": doc.Info.Description, "Operations": ops,
	})
	return buf.Bytes()
}
