package httpapi

import (
	"strings"
	"testing"
)

const docsSpec = `{
  "openapi": "3.0.3",
  "info": {"title": "Demo <b>service</b>", "version": "2", "description": "What it does"},
  "tags": [{"name": "things", "description": "The things"}],
  "paths": {
    "/things/{id}/": {
      "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
      "get": {
        "tags": ["things"], "summary": "One thing", "security": [{"Key": []}],
        "parameters": [{"$ref": "#/components/parameters/Limit"}],
        "responses": {
          "200": {"description": "The thing", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
          "404": {"$ref": "#/components/responses/Missing"}
        }
      },
      "post": {
        "tags": ["things"], "summary": "Upload",
        "requestBody": {"content": {"multipart/form-data": {"schema": {"type": "object", "required": ["file"],
          "properties": {"file": {"type": "string", "format": "binary", "description": "The report"},
            "kind": {"type": "string", "enum": ["a", "b"], "default": "a"}}}}}},
        "responses": {"201": {"description": "Made", "headers": {"X-Made": {"description": "yes"}}}}
      }
    },
    "/untagged": {"get": {"summary": "No tag", "responses": {"200": {"description": "ok"}}}}
  },
  "components": {
    "securitySchemes": {"Key": {"type": "apiKey", "in": "header", "name": "Authorization", "description": "Token <key>"}},
    "parameters": {"Limit": {"name": "limit", "in": "query", "description": "Page size", "schema": {"type": "integer"}}},
    "responses": {"Missing": {"description": "No such thing", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Detail"}}}}},
    "schemas": {
      "Thing": {"type": "object", "description": "A thing", "required": ["id"], "additionalProperties": {"type": "string"},
        "properties": {"id": {"type": "integer"}, "parent": {"type": "integer", "nullable": true}, "tags": {"type": "array", "items": {"$ref": "#/components/schemas/Detail"}}}},
      "Detail": {"type": "object", "properties": {"detail": {"type": "string"}}}
    }
  }
}`

func TestDocsPageShowsTheDocument(t *testing.T) {
	page := string(renderDocs("demo", []byte(docsSpec)))
	for _, want := range []string{
		"Demo &lt;b&gt;service&lt;/b&gt;", // escaped
		`<h2 id="tag-things">things</h2>`,
		`<h2 id="tag-other">other</h2>`,                                           // an operation without a tag still shows
		`<code>id</code> (required)</td><td>path</td><td>integer</td>`,            // the path's parameter
		`<code>limit</code></td><td>query</td><td>integer</td><td>Page size</td>`, // a $ref parameter
		`<td>404</td><td>No such thing</td>`,                                      // a $ref answer
		`<a href="#schema-Thing">Thing</a>`,
		`Authentication: <a href="#auth-Key">Key</a>`,
		`<p id="auth-Key"><code>Key</code>: Token &lt;key&gt;</p>`,
		`Request body: <code>multipart/form-data</code>`,
		`<code>file</code> (required)</td><td>string (binary)</td><td>The report</td>`,
		`string: <code>a</code>, <code>b</code>, default <code>a</code>`,
		`Header <code>X-Made</code>: yes`,
		`<section id="schema-Thing"><h3>Thing</h3><p>A thing</p>`,
		`<code>parent</code></td><td>integer, or null</td>`,
		`array of <a href="#schema-Detail">Detail</a>`,
		`<em>any other</em></td><td>string</td>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if get, post := strings.Index(page, `id="op-get-things-id"`), strings.Index(page, `id="op-post-things-id"`); get < 0 || post < get {
		t.Errorf("GET and POST of /things/{id}/ should both show, GET first (%d, %d)", get, post)
	}
}

func TestDocsPageOfABrokenDocument(t *testing.T) {
	page := string(renderDocs("demo", []byte(`{"paths": <`)))
	if !strings.HasPrefix(page, "OpenAPI document of demo is invalid: ") || strings.Contains(page, "<`") {
		t.Fatalf("page = %q", page)
	}
}
