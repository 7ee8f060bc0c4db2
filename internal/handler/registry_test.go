package handler_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/handler"
)

type nopScanner struct{}

func (nopScanner) Scan(context.Context, *handler.Request) (handler.Result, error) {
	return handler.Result{}, nil
}

func nop(config.Component) (handler.Scanner, error) { return nopScanner{}, nil }

func parse(t *testing.T, doc string) *config.File {
	t.Helper()
	cfg, err := config.Parse([]byte(doc), config.Env{})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

const twoComponents = `
components:
  secrets: {handler_name: gitleaks}
  dojo: {handler_name: defectdojo}
jobs:
  - name: j
    rules: {gitlab: null}
    scans: [secrets]
    outputs: [dojo]
`

func TestBuildNamesUnknownHandlers(t *testing.T) {
	cfg := parse(t, twoComponents)
	reg := handler.NewRegistry(handler.Scan("gitleaks", nil, nop))
	want := `line 4: components.dojo.handler_name: "defectdojo" is not a known output handler (output handlers: none yet)`
	if err := reg.Check(cfg); err == nil || err.Error() != want {
		t.Fatalf("Check: %v, want %s", err, want)
	}
	if _, err := reg.Build(cfg); err == nil || err.Error() != want {
		t.Fatalf("Build: %v, want %s", err, want)
	}
	reg = handler.NewRegistry(handler.Scan("gitleaks", nil, nop), handler.Scan("semgrep", nil, nop))
	cfg.Jobs[0].Outputs = nil
	cfg.Components["secrets"] = config.Component{Name: "secrets", HandlerName: "trufflehog"}
	if _, err := reg.Build(cfg); err == nil || !strings.Contains(err.Error(), "(scan handlers: gitleaks, semgrep)") {
		t.Fatalf("err = %v, want the known scan handlers listed", err)
	}
}

// Check runs a handler's settings check and never its constructor (the
// receiver must not load a scanner's rules); with no check, the
// constructor is the check.
func TestCheckDoesNotBuild(t *testing.T) {
	cfg := parse(t, twoComponents)
	built := 0
	scanner := func(config.Component) (handler.Scanner, error) { built++; return nopScanner{}, nil }
	refuse := errors.New("url: not a URL")
	output := func(config.Component) (handler.Output, error) { built++; return nil, refuse }
	reg := handler.NewRegistry(
		handler.Scan("gitleaks", func(config.Component) error { return nil }, scanner),
		handler.Export("defectdojo", nil, output))
	err := reg.Check(cfg)
	if err == nil || !strings.Contains(err.Error(), "components.dojo.config.url: not a URL") {
		t.Fatalf("Check = %v, want the output's constructor's refusal at its key", err)
	}
	if built != 1 {
		t.Fatalf("Check built %d handlers, want only the output (it has no check of its own)", built)
	}
	built = 0
	if _, err := reg.Build(cfg); err == nil || built != 2 {
		t.Fatalf("Build = %v after %d constructors, want both run and the output's error", err, built)
	}
}

func TestBuildKeepsEachRole(t *testing.T) {
	cfg := parse(t, twoComponents)
	reg := handler.NewRegistry(handler.Scan("gitleaks", nil, nop),
		handler.Export("defectdojo", nil, func(config.Component) (handler.Output, error) { return exportNothing{}, nil }))
	h, err := reg.Build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := h.Scanners["secrets"]; !ok || len(h.Scanners) != 1 {
		t.Fatalf("scanners = %v", h.Scanners)
	}
	if _, ok := h.Outputs["dojo"]; !ok || len(h.Outputs) != 1 || len(h.Notifiers) != 0 {
		t.Fatalf("outputs = %v, notifiers = %v", h.Outputs, h.Notifiers)
	}
	if got := reg.Names(handler.RoleScan); len(got) != 1 || got[0] != "gitleaks" {
		t.Fatalf("Names(scan) = %v", got)
	}
}

type exportNothing struct{}

func (exportNothing) Export(context.Context, *handler.Request) (handler.Result, error) {
	return handler.Result{}, nil
}

func TestTwoHandlersOfOneNamePanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), `two scan handlers named "gitleaks"`) {
			t.Fatalf("recovered %v", r)
		}
	}()
	handler.NewRegistry(handler.Scan("gitleaks", nil, nop), handler.Scan("gitleaks", nil, nop))
}
