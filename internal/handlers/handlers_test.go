package handlers

import (
	"slices"
	"testing"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/handlers/catalog"
)

// TestCatalogNamesEveryHandler keeps the receiver's name-only catalog
// equal to the handlers the worker builds.
func TestCatalogNamesEveryHandler(t *testing.T) {
	s, o, n := Registry().Names()
	cs, co, cn := catalog.Registry().Names()
	for _, pair := range [][2][]string{{s, cs}, {o, co}, {n, cn}} {
		if !slices.Equal(pair[0], pair[1]) {
			t.Fatalf("handlers.Registry has %v, catalog %v: add the handler to internal/handlers/catalog", pair[0], pair[1])
		}
	}
}

func TestCatalogChecksButDoesNotBuild(t *testing.T) {
	f := &config.File{Components: map[string]config.Component{"g": {Name: "g", HandlerName: "gitleaks"}},
		Jobs: []config.Job{{Name: "j", Scans: []string{"g"}}}}
	if err := catalog.Registry().Check(f); err != nil {
		t.Fatalf("the catalog refused a shipped handler: %v", err)
	}
	if _, err := catalog.Registry().Build(f); err == nil {
		t.Fatal("the catalog built a handler it only knows by name")
	}
	f.Components["g"] = config.Component{Name: "g", HandlerName: "trufflehog"}
	if err := catalog.Registry().Check(f); err == nil {
		t.Fatal("the catalog accepted an unknown handler")
	}
}
