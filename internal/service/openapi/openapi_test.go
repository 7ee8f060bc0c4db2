package openapi

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/secbot/secbot/internal/findings/parsers"
)

// load parses and validates a document as OpenAPI 3.
func load(t *testing.T, name string) *openapi3.T {
	t.Helper()
	data, err := Document(name)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		t.Fatalf("%s: not an OpenAPI document: %v", name, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("%s: not valid OpenAPI 3: %v", name, err)
	}
	return doc
}

func TestDocumentsAreValidOpenAPI3(t *testing.T) {
	for _, name := range Names {
		t.Run(name, func(t *testing.T) {
			doc := load(t, name)
			if !strings.HasPrefix(doc.OpenAPI, "3.0.") {
				t.Fatalf("openapi = %q, want 3.0.x", doc.OpenAPI)
			}
			var tags []string
			for _, tag := range doc.Tags {
				tags = append(tags, tag.Name)
			}
			for path, item := range doc.Paths.Map() {
				for method, op := range item.Operations() {
					where := method + " " + path
					if op.Summary == "" {
						t.Errorf("%s has no summary", where)
					}
					if len(op.Tags) != 1 || !slices.Contains(tags, op.Tags[0]) {
						t.Errorf("%s: tags %v, want one of the document's tags %v (the docs page groups by it)", where, op.Tags, tags)
					}
					answered := false
					for code := range op.Responses.Map() {
						answered = answered || code[0] == '2' || code[0] == '3'
					}
					if !answered {
						t.Errorf("%s documents no 2xx or 3xx answer", where)
					}
				}
			}
		})
	}
}

// TestScanTypesAreTheParsers checks that the import forms' scan_type choices,
// generated from the registry, reach the document and are the parsers
// the findings service has.
func TestScanTypesAreTheParsers(t *testing.T) {
	doc := load(t, "reporter")
	form := doc.Components.Schemas["ImportForm"].Value
	var documented []string
	for _, v := range form.Properties["scan_type"].Value.Enum {
		documented = append(documented, v.(string))
	}
	slices.Sort(documented)
	if want := parsers.ScanTypes(); !slices.Equal(documented, want) {
		t.Fatalf("ImportForm.scan_type lists %q, the parsers are %q", documented, want)
	}
}

func TestJoinRefusesWhatTwoFilesGive(t *testing.T) {
	head := part{name: "a.json", data: []byte(`{"openapi": "3.0.3", "paths": {"/x": {}}, "components": {"schemas": {"A": {}}}}`)}
	tests := []struct {
		name, other, want string
	}{
		{"a path", `{"paths": {"/x": {}}}`, `paths "/x" is given by both a.json and b.json`},
		{"a schema", `{"components": {"schemas": {"A": {}}}}`, `components/schemas "A" is given by both a.json and b.json`},
		{"another key", `{"info": {}, "openapi": "3.0.3"}`, `"openapi" is given by both a.json and b.json`},
		{"not an object", `[1]`, `b.json is not a JSON object`},
		{"paths not an object", `{"paths": []}`, `b.json: paths is not an object`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := join([]part{head, {name: "b.json", data: []byte(tt.other)}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to say %s", err, tt.want)
			}
		})
	}
	if _, err := join([]part{{name: "b.json", data: []byte(`{"paths": {}}`)}}); err == nil || !strings.Contains(err.Error(), `no file gives the "openapi" version`) {
		t.Fatalf("a document without a version: err = %v", err)
	}
}

func TestJoinMergesPathsAndComponents(t *testing.T) {
	out, err := join([]part{
		{name: "a.json", data: []byte(`{"paths": {"/b": {"get": {}}}, "components": {"schemas": {"B": {"type": "string"}}}}`)},
		{name: "b.json", data: []byte(`{"openapi": "3.0.3", "info": {"title": "t"}, "paths": {"/a": {"post": {}}},
			"components": {"schemas": {"A": {"type": "integer"}}, "responses": {"R": {"description": "r"}}}}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI    string                                `json:"openapi"`
		Paths      map[string]map[string]any             `json:"paths"`
		Components map[string]map[string]json.RawMessage `json:"components"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.0.3" || doc.Paths["/a"]["post"] == nil || doc.Paths["/b"]["get"] == nil ||
		len(doc.Components["schemas"]) != 2 || doc.Components["responses"]["R"] == nil {
		t.Fatalf("joined document lacks parts:\n%s", out)
	}
	if !strings.HasPrefix(string(out), "{\n  \"openapi\": \"3.0.3\",\n  \"info\"") {
		t.Fatalf("the document should start with its version and info:\n%.80s", out)
	}
}

func TestDocumentOfAnUnknownProcess(t *testing.T) {
	if _, err := Document("worker"); err == nil || !strings.Contains(err.Error(), `no document for "worker"`) {
		t.Fatalf("err = %v", err)
	}
}
