package service_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gofiber/fiber/v2"
)

// objectAnswers checks the answers of the /api/v2/ objects (product
// types, products, engagements, tests, test types, users), of a finding's
// notes and PUT, and of /api/v2/oa3/schema/, which must be a valid
// OpenAPI 3 document. finding is a finding's id.
func objectAnswers(t *testing.T, h *harness, c *contract, finding int) {
	app := h.reporter.App
	send := func(method, target, contentType, body string) answer {
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		if contentType != "" {
			req.Header.Set(fiber.HeaderContentType, contentType)
		}
		req.Header.Set(fiber.HeaderAuthorization, "Token "+dojoToken)
		return call(t, app, req)
	}
	const js = fiber.MIMEApplicationJSON
	made := func(kind, body string) int {
		a := send(http.MethodPost, "/api/v2/"+kind+"/", js, body)
		c.conform("POST", "/api/v2/"+kind+"/", a)
		if a.code != http.StatusCreated {
			t.Fatalf("creating in %s: %d %s", kind, a.code, a.raw)
		}
		return int(a.json(t)["id"].(float64))
	}
	pt := made("product_types", `{"name": "contract"}`)
	product := made("products", fmt.Sprintf(`{"name": "contract-app", "description": "d", "prod_type": %d}`, pt))
	eng := made("engagements", fmt.Sprintf(`{"name": "ci", "product": %d, "target_start": "2024-01-01", "target_end": "2024-12-31", "active": "true"}`, product))
	types := send(http.MethodGet, "/api/v2/test_types/?name=Gitleaks+Scan", "", "")
	c.conform("GET", "/api/v2/test_types/", types)
	testType := int(types.json(t)["results"].([]any)[0].(map[string]any)["id"].(float64))
	test := made("tests", fmt.Sprintf(`{"engagement": %d, "test_type": %d, "target_start": "2024-01-01T00:00:00Z", "target_end": "2024-01-02T00:00:00Z"}`, eng, testType))
	user := made("users", `{"username": "contract-reader", "password": "contract password", "first_name": "Ada"}`)
	member := made("product_members", fmt.Sprintf(`{"product": %d, "user": %d, "role": 5}`, product, user))
	typeMember := made("product_type_members", fmt.Sprintf(`{"product_type": %d, "user": %d, "role": 1}`, pt, user))
	global := made("global_roles", fmt.Sprintf(`{"user": %d, "role": 5}`, user))

	ids := map[string]int{"product_types": pt, "products": product, "engagements": eng, "tests": test, "test_types": testType,
		"users": user, "roles": 1, "product_members": member, "product_type_members": typeMember, "global_roles": global}
	changes := map[string]string{
		"product_types":        `{"name": "contract", "description": "changed"}`,
		"products":             fmt.Sprintf(`{"name": "contract-app", "description": "changed", "prod_type": %d}`, pt),
		"engagements":          fmt.Sprintf(`{"product": %d, "target_start": "2024-01-01", "target_end": "2024-12-31", "build_id": "7"}`, product),
		"tests":                fmt.Sprintf(`{"engagement": %d, "test_type": %d, "target_start": "2024-01-01T00:00:00Z", "target_end": "2024-01-02T00:00:00Z"}`, eng, testType),
		"users":                `{"username": "contract-reader", "last_name": "Lovelace"}`,
		"product_members":      fmt.Sprintf(`{"product": %d, "user": %d, "role": 2}`, product, user),
		"product_type_members": fmt.Sprintf(`{"product_type": %d, "user": %d, "role": 2}`, pt, user),
		"global_roles":         fmt.Sprintf(`{"user": %d, "role": 1}`, user),
	}
	for kind, id := range ids {
		list, one := "/api/v2/"+kind+"/", "/api/v2/"+kind+"/{id}/"
		target := fmt.Sprintf("/api/v2/%s/%d/", kind, id)
		c.conform("GET", list, send(http.MethodGet, list+"?limit=1", "", ""))
		c.conform("GET", list, send(http.MethodGet, list+"?id=x", "", ""))
		c.conform("GET", one, send(http.MethodGet, target, "", ""))
		c.conform("GET", one, send(http.MethodGet, fmt.Sprintf("/api/v2/%s/99999/", kind), "", ""))
		if kind == "test_types" || kind == "roles" {
			continue
		}
		c.conform("POST", list, send(http.MethodPost, list, js, `{}`))
		c.conform("POST", list, send(http.MethodPost, list, "text/plain", `x`))
		body, ok := changes[kind]
		if !ok {
			continue
		}
		c.conform("PUT", one, send(http.MethodPut, target, js, body))
		c.conform("PUT", one, send(http.MethodPut, target, js, `{}`))
		c.conform("PUT", one, send(http.MethodPut, fmt.Sprintf("/api/v2/%s/99999/", kind), js, body))
		c.conform("PUT", one, send(http.MethodPut, target, "text/plain", body))
		c.conform("PATCH", one, send(http.MethodPatch, target, fiber.MIMEApplicationForm, "tags=a,b"))
		c.conform("PATCH", one, send(http.MethodPatch, target, js, `{"target_end": "never", "prod_type": 0}`))
		c.conform("PATCH", one, send(http.MethodPatch, fmt.Sprintf("/api/v2/%s/99999/", kind), js, `{}`))
		c.conform("PATCH", one, send(http.MethodPatch, target, "text/plain", body))
	}
	for _, action := range []string{"close", "reopen"} {
		path := "/api/v2/engagements/{id}/" + action + "/"
		c.conform("POST", path, send(http.MethodPost, fmt.Sprintf("/api/v2/engagements/%d/%s/", eng, action), "", ""))
		c.conform("POST", path, send(http.MethodPost, "/api/v2/engagements/99999/"+action+"/", "", ""))
	}

	notes := fmt.Sprintf("/api/v2/findings/%d/notes/", finding)
	const notesPath = "/api/v2/findings/{id}/notes/"
	c.conform("POST", notesPath, send(http.MethodPost, notes, js, `{"entry": "checked with the team"}`))
	c.conform("POST", notesPath, send(http.MethodPost, notes, js, `{"private": "maybe"}`))
	c.conform("POST", notesPath, send(http.MethodPost, "/api/v2/findings/99999/notes/", js, `{"entry": "x"}`))
	c.conform("POST", notesPath, send(http.MethodPost, notes, "text/plain", `x`))
	c.conform("GET", notesPath, send(http.MethodGet, notes, "", ""))
	c.conform("GET", notesPath, send(http.MethodGet, "/api/v2/findings/99999/notes/", "", ""))
	one := fmt.Sprintf("/api/v2/findings/%d/", finding)
	c.conform("PUT", "/api/v2/findings/{id}/", send(http.MethodPut, one, js, `{"title": "AWS key", "severity": "High", "description": "d"}`))
	c.conform("PUT", "/api/v2/findings/{id}/", send(http.MethodPut, one, js, `{"title": "AWS key"}`))
	c.conform("PUT", "/api/v2/findings/{id}/", send(http.MethodPut, "/api/v2/findings/99999/", js, `{"title": "t", "severity": "High", "description": "d"}`))

	// Every object can be deleted: the product type last, taking the rest.
	for _, kind := range []string{"global_roles", "product_type_members", "product_members", "users", "tests", "engagements", "products", "product_types"} {
		target := fmt.Sprintf("/api/v2/%s/%d/", kind, ids[kind])
		c.conform("DELETE", "/api/v2/"+kind+"/{id}/", send(http.MethodDelete, target, "", ""))
		c.conform("DELETE", "/api/v2/"+kind+"/{id}/", send(http.MethodDelete, target, "", ""))
	}

	newToken := send(http.MethodPost, "/api/v2/api_tokens/", js, `{"name": "contract pipeline", "expires": "2999-01-01"}`)
	c.conform("POST", "/api/v2/api_tokens/", newToken)
	c.conform("POST", "/api/v2/api_tokens/", send(http.MethodPost, "/api/v2/api_tokens/", js, `{"name": ""}`))
	c.conform("POST", "/api/v2/api_tokens/", send(http.MethodPost, "/api/v2/api_tokens/", "text/plain", `x`))
	c.conform("GET", "/api/v2/api_tokens/", send(http.MethodGet, "/api/v2/api_tokens/", "", ""))
	tokenPath := "/api/v2/api_tokens/{id}/"
	c.conform("DELETE", tokenPath, send(http.MethodDelete, fmt.Sprintf("/api/v2/api_tokens/%d/", int(newToken.json(t)["id"].(float64))), "", ""))
	c.conform("DELETE", tokenPath, send(http.MethodDelete, "/api/v2/api_tokens/99999/", "", ""))
	env := 0
	for _, tok := range send(http.MethodGet, "/api/v2/api_tokens/", "", "").json(t)["results"].([]any) {
		if tok.(map[string]any)["kind"] == "DEFECTDOJO__TOKEN" {
			env = int(tok.(map[string]any)["id"].(float64))
		}
	}
	c.conform("DELETE", tokenPath, send(http.MethodDelete, fmt.Sprintf("/api/v2/api_tokens/%d/", env), "", ""))

	schema := send(http.MethodGet, "/api/v2/oa3/schema/", "", "")
	c.conform("GET", "/api/v2/oa3/schema/", schema)
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(schema.raw)
	if err != nil {
		t.Fatalf("/api/v2/oa3/schema/ is no OpenAPI document: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("/api/v2/oa3/schema/ is not valid OpenAPI 3: %v", err)
	}
	for path := range doc.Paths.Map() {
		if !strings.HasPrefix(path, "/api/v2/") {
			t.Errorf("/api/v2/oa3/schema/ documents %s, outside /api/v2/", path)
		}
	}
	if doc.Paths.Value("/api/v2/engagements/{id}/close/") == nil || doc.Paths.Value("/api/v2/import-scan/") == nil {
		t.Errorf("/api/v2/oa3/schema/ lacks routes of /api/v2/: %v", doc.Paths.InMatchingOrder())
	}
}
