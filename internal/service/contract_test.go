package service_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gofiber/fiber/v2"

	"github.com/secbot/secbot/internal/service/openapi"
)

// document loads a process's OpenAPI document.
func document(t *testing.T, name string) *openapi3.T {
	t.Helper()
	data, err := openapi.Document(name)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		t.Fatalf("%s's document: %v", name, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("%s's document is not valid OpenAPI 3: %v", name, err)
	}
	return doc
}

var pathParam = regexp.MustCompile(`:[^/]+|\{[^}]+\}`)

// routeKey is a route as "METHOD /path/{}/…": parameters unnamed (fiber's
// :id and the document's {security_check_id} alike) and, unless strict,
// without a final slash (the document writes /api/v2/ routes with one, as
// DefectDojo does; fiber then serves both forms).
func routeKey(method, path string, strict bool) string {
	path = pathParam.ReplaceAllString(path, "{}")
	if !strict && len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	return strings.ToUpper(method) + " " + path
}

// served lists the routes app has registered, middleware left out. fiber
// adds a HEAD route to each GET: those are checked to have their GET and
// left out too, as OpenAPI documents GET alone.
func served(t *testing.T, app *fiber.App) []string {
	t.Helper()
	strict := app.Config().StrictRouting
	var routes, heads []string
	for _, r := range app.GetRoutes(true) {
		key := routeKey(r.Method, r.Path, strict)
		if r.Method == fiber.MethodHead {
			heads = append(heads, strings.TrimPrefix(key, "HEAD "))
			continue
		}
		routes = append(routes, key)
	}
	for _, h := range heads {
		if !slices.Contains(routes, "GET "+h) {
			t.Errorf("HEAD %s is served without a GET: document it", h)
		}
	}
	sort.Strings(routes)
	return slices.Compact(routes)
}

// documented lists the operations of doc, keyed as served keys them.
func documented(doc *openapi3.T, strict bool) []string {
	var ops []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			ops = append(ops, routeKey(method, path, strict))
		}
	}
	sort.Strings(ops)
	return ops
}

// answer is a real answer of an app.
type answer struct {
	code   int
	header http.Header
	raw    []byte
}

// call sends req to app and reads the whole answer.
func call(t *testing.T, app *fiber.App, req *http.Request) answer {
	t.Helper()
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{code: resp.StatusCode, header: resp.Header, raw: raw}
}

// json decodes the answer's body.
func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(a.raw, &v); err != nil {
		t.Fatalf("answer %d is not a JSON object: %v: %.300s", a.code, err, a.raw)
	}
	return v
}

// contract checks real answers against a document and counts which of its
// operations were checked.
type contract struct {
	t       *testing.T
	name    string
	doc     *openapi3.T
	checked map[string]bool
}

func newContract(t *testing.T, name string) *contract {
	return &contract{t: t, name: name, doc: document(t, name), checked: map[string]bool{}}
}

// conform fails the test unless the answer is one the document gives for
// the operation (method and path as the document writes it): its status,
// its media type, every header it documents, and, for JSON, a body its
// schema takes (where the schema says additionalProperties: false, a
// field it does not name is refused).
func (c *contract) conform(method, path string, a answer) {
	c.t.Helper()
	where := method + " " + path
	item := c.doc.Paths.Value(path)
	if item == nil || item.GetOperation(method) == nil {
		c.t.Fatalf("%s: the %s document has no such operation", where, c.name)
	}
	c.checked[method+" "+path] = true
	op := item.GetOperation(method)
	resp := op.Responses.Status(a.code)
	if resp == nil {
		c.t.Errorf("%s answered %d, which the %s document does not list: %.300s", where, a.code, c.name, a.raw)
		return
	}
	for name := range resp.Value.Headers {
		if a.header.Get(name) == "" {
			c.t.Errorf("%s %d: the document says it sends %s, the answer has none", where, a.code, name)
		}
	}
	if len(resp.Value.Content) == 0 {
		if len(a.raw) > 0 {
			c.t.Errorf("%s %d: the document gives no body, the answer has one: %.200s", where, a.code, a.raw)
		}
		return
	}
	media, _, err := mime.ParseMediaType(a.header.Get(fiber.HeaderContentType))
	if err != nil {
		c.t.Errorf("%s %d: Content-Type %q: %v", where, a.code, a.header.Get(fiber.HeaderContentType), err)
		return
	}
	mt := resp.Value.Content.Get(media)
	if mt == nil {
		c.t.Errorf("%s %d answered %s; the document gives %v", where, a.code, media, slices.Sorted(maps.Keys(resp.Value.Content)))
		return
	}
	if media != fiber.MIMEApplicationJSON || mt.Schema == nil {
		return
	}
	var body any
	if err := json.Unmarshal(a.raw, &body); err != nil {
		c.t.Errorf("%s %d: the answer is not JSON: %v", where, a.code, err)
		return
	}
	if err := mt.Schema.Value.VisitJSON(body, openapi3.MultiErrors()); err != nil {
		c.t.Errorf("%s %d: the answer does not match the document's schema:\n%s\nanswer: %.600s", where, a.code, schemaProblems(err), a.raw)
	}
}

// schemaProblems lists what a schema refused, one line each, where in
// the answer (kin-openapi's own message prints the whole schema).
func schemaProblems(err error) string {
	var lines []string
	var walk func(error)
	walk = func(err error) {
		var many openapi3.MultiError
		if errors.As(err, &many) {
			for _, e := range many {
				walk(e)
			}
			return
		}
		var se *openapi3.SchemaError
		if errors.As(err, &se) {
			lines = append(lines, "  at /"+strings.Join(se.JSONPointer(), "/")+": "+se.Reason)
			return
		}
		lines = append(lines, "  "+err.Error())
	}
	walk(err)
	return strings.Join(lines, "\n")
}

// allChecked fails the test for each documented operation no real answer
// was checked against, so a route added to the document is also tried.
func (c *contract) allChecked() {
	c.t.Helper()
	for path, item := range c.doc.Paths.Map() {
		for method := range item.Operations() {
			if !c.checked[method+" "+path] {
				c.t.Errorf("no real answer of %s %s was checked against the %s document", method, path, c.name)
			}
		}
	}
}
