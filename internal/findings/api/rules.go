package api

import (
	"fmt"
	"strings"

	"github.com/secbot/secbot/internal/findings"
)

// fixedRules say who may call each route of /api/v2/ that is not an
// object kind's (those follow findings.AccessRule). The service enforces
// them; this table is what every route must have (routes.add refuses a
// route without one) and what docs/findings.md prints.
var fixedRules = map[string]string{ //nolint:gosec // G101: route names and who may call them, no credentials
	"POST /api-token-auth":         "anyone (a username and password)",
	"GET /user_profile":            "any user: their own profile and roles",
	"POST /import-scan":            "API Importer or more on the product; Maintainer of its product type to create it (auto_create_context)",
	"POST /reimport-scan":          "API Importer or more on the product; Maintainer of its product type to create it (auto_create_context)",
	"GET /findings":                "any user; lists the findings of the products they may see",
	"GET /findings/:id":            "Reader or more on the finding's product",
	"PUT /findings/:id":            "Writer or more on the finding's product",
	"PATCH /findings/:id":          "Writer or more on the finding's product",
	"POST /findings/:id/close":     "Writer or more on the finding's product",
	"GET /findings/:id/notes":      "Reader or more on the finding's product",
	"POST /findings/:id/notes":     "Writer or more on the finding's product",
	"GET /oa3/schema":              "any user",
	"GET /api_tokens":              "any user: their own tokens (a superuser: everyone's)",
	"POST /api_tokens":             "any user: a token of their own",
	"DELETE /api_tokens/:id":       "any user: their own token (a superuser: anyone's)",
	"POST /engagements/:id/close":  "API Importer or more on the product",
	"POST /engagements/:id/reopen": "API Importer or more on the product",
}

// objectActions map an object route to its action.
var objectActions = map[string]string{"GET ": "list", "GET /:id": "read", "POST ": "create", "PUT /:id": "change",
	"PATCH /:id": "change", "DELETE /:id": "delete"}

// Rule says who may call a route ("GET /findings/:id"), false when the
// route has none.
func Rule(method, path string) (string, bool) {
	if r, ok := fixedRules[method+" "+path]; ok {
		return r, true
	}
	kind, rest, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	if rest != "" {
		rest = "/" + rest
	}
	action, ok := objectActions[method+" "+rest]
	if !ok {
		return "", false
	}
	return findings.AccessRule(kind, action)
}

// mustRule panics for a route with no rule: a route is added with its
// permission, or not at all.
func mustRule(method, path string) {
	if method == "HEAD" {
		return
	}
	if _, ok := Rule(method, path); !ok {
		panic(fmt.Sprintf("api: %s /api/v2%s has no permission rule: add it to fixedRules (internal/findings/api/rules.go)", method, path))
	}
}
