package handlers

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/testenv/fixtures"
)

func load(t *testing.T, doc string, env config.Env) *config.File {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yml")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := config.LoadFile(path, env)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// The receiver (the table's checks) refuses every setting the worker (the
// constructors) refuses, all at once, each at its line in config.yml.
func TestReceiverChecksSettingsAsTheWorker(t *testing.T) {
	t.Parallel()
	f := load(t, `components:
  gitleaks:
    handler_name: gitleaks
    config:
      scope: everything
  dojo:
    handler_name: defectdojo
    config:
      url: ftp://dojo
      secret_key: k
  slack:
    handler_name: slack
    config:
      token: xoxb
      render_limit: ten
  status:
    handler_name: gitlab
    config:
      reporter_url: reporter:5001
jobs:
  - name: j
    rules: {gitlab: null}
    scans: [gitleaks]
    outputs: [dojo]
    notifications: [slack, status]
`, config.Env{})
	want := []string{
		f.Path + `:5: components.gitleaks.config.scope: "everything" is not new or history`,
		f.Path + `:9: components.dojo.config.url: "ftp://dojo" is not an http(s) URL`,
		f.Path + ":15: components.slack.config.render_limit: cannot unmarshal !!str `ten` into int",
		f.Path + `:19: components.status.config.reporter_url: "reporter:5001" is not an http(s) URL`,
	}
	checked := Registry().Check(f)
	_, built := Registry().Build(f)
	for name, err := range map[string]error{"the receiver's check": checked, "the worker's build": built} {
		if err == nil {
			t.Fatalf("%s accepted the settings", name)
		}
		if got := strings.Split(err.Error(), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s:\n%s\nwant:\n%s", name, err, strings.Join(want, "\n"))
		}
	}
}

// The original Security Bot's documented config.yml (slack `channel:`, no
// version) passes the receiver's check and builds in the worker.
func TestOriginalDocumentedConfig(t *testing.T) {
	t.Parallel()
	doc, err := fixtures.ReadFile("original-secbot/config.yml")
	if err != nil {
		t.Fatal(err)
	}
	env := config.Env{"DEFECTDOJO__URL": "https://defectdojo.env.local", "DEFECTDOJO__TOKEN": "defectdojo_token",
		"DEFECTDOJO__USER": "defectdojo_username", "DEFECTDOJO__USER_ID": "10", "SLACK_TOKEN": "token_here"}
	f := load(t, string(doc), env)
	if err := Registry().Check(f); err != nil {
		t.Fatalf("the receiver refuses it: %v", err)
	}
	if _, err := Registry().Build(f); err != nil {
		t.Fatalf("the worker refuses it: %v", err)
	}
}

// An unknown handler is named at its handler_name line.
func TestUnknownHandlerAtItsLine(t *testing.T) {
	t.Parallel()
	f := load(t, "components:\n  leaks:\n    handler_name: trufflehog\njobs:\n  - name: j\n    rules: {gitlab: null}\n    scans: [leaks]\n", config.Env{})
	err := Registry().Check(f)
	var p config.Problem
	if !errors.As(err, &p) || p.Line != 3 || p.Key != "components.leaks.handler_name" || !strings.Contains(p.Msg, "scan handlers: command, gitleaks") {
		t.Fatalf("err = %#v", err)
	}
}
