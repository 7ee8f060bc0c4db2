package defectdojo

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/testenv"
)

// asAdmin sends a JSON request to the findings service with the admin's
// token and decodes the answer.
func asAdmin(t *testing.T, base, method, path, body string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Token "+testenv.FindingsToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if resp.StatusCode >= 300 || json.Unmarshal(raw, &out) != nil {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	return out
}

// tokenWithGlobalRole makes a user with a global role and returns their
// API token.
func tokenWithGlobalRole(t *testing.T, base, name string, role int) string {
	t.Helper()
	u := asAdmin(t, base, "POST", "/api/v2/users/", fmt.Sprintf(`{"username": %q, "password": "the password of %s"}`, name, name))
	asAdmin(t, base, "POST", "/api/v2/global_roles/", fmt.Sprintf(`{"user": %v, "role": %d}`, u["id"], role))
	resp, err := http.Post(base+"/api/v2/api-token-auth/", "application/json",
		strings.NewReader(fmt.Sprintf(`{"username": %q, "password": "the password of %s"}`, name, name)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct{ Token string }
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.Token == "" {
		t.Fatalf("token of %s: %v", name, err)
	}
	return tok.Token
}

// TestExportWithTheRolesTheDocsName checks docs/findings.md's "Its
// token": with the product type made beforehand, a global Maintainer's
// token exports (creating the project's product); a global API
// Importer's does not create a product, and exports once it exists.
func TestExportWithTheRolesTheDocsName(t *testing.T) {
	t.Parallel()
	base, _ := testenv.FindingsServer(t)
	asAdmin(t, base, "POST", "/api/v2/product_types/", `{"name": "gitlab.example.com"}`)

	importer, err := NewOutput(Settings{URL: base, SecretKey: tokenWithGlobalRole(t, base, "importer", 1)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := importer.Export(t.Context(), request(t, push(), gitleaksReport(2))); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("an API Importer creating the project's product: err = %v, want DefectDojo's 403", err)
	}

	maintainer, err := NewOutput(Settings{URL: base, SecretKey: tokenWithGlobalRole(t, base, "maintainer", 3)})
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := export(t, maintainer, request(t, push(), gitleaksReport(2))); res.Findings != 2 {
		t.Fatalf("a global Maintainer's export: %d findings, want 2", res.Findings)
	}
	if res, _ := export(t, importer, request(t, push(), gitleaksReport(3))); res.Findings != 3 {
		t.Fatalf("an API Importer's export once the product exists: %d findings, want 3", res.Findings)
	}
}
