package api_test

import (
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/secbot/secbot/internal/findings/api"
)

// TestEveryRouteHasARule registers the API: a route without a permission
// rule panics there, so a new route cannot be added without one. Each
// rule names who may call it.
func TestEveryRouteHasARule(t *testing.T) {
	app := fiber.New()
	(&api.API{}).Register(app)
	n := 0
	for _, r := range app.GetRoutes(true) {
		path, ok := strings.CutPrefix(r.Path, "/api/v2")
		if !ok || r.Method == fiber.MethodHead || path == "" || path == "/" {
			continue
		}
		rule, ok := api.Rule(r.Method, path)
		if !ok || rule == "" {
			t.Errorf("%s %s has no rule", r.Method, r.Path)
		}
		n++
	}
	if n < 50 {
		t.Fatalf("only %d routes seen", n)
	}
	if rule, _ := api.Rule("PATCH", "/findings/:id"); !strings.HasPrefix(rule, "Writer") {
		t.Errorf("PATCH /findings/:id: %q", rule)
	}
	if rule, _ := api.Rule("DELETE", "/products/:id"); rule != "Owner or more on the product" {
		t.Errorf("DELETE /products/:id: %q", rule)
	}
	if _, ok := api.Rule("POST", "/no_such_route"); ok {
		t.Error("a route that does not exist has a rule")
	}
}
