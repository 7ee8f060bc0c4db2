package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/testenv/fixtures"
)

// writeConfig writes doc to a config.yml of the test's own and loads it.
func loadConfig(t *testing.T, doc string, env Env) (*File, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yml")
	must(t, os.WriteFile(path, []byte(doc), 0o600))
	return LoadFile(path, env)
}

// lines splits a joined error into its problems.
func lines(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}

// The original Security Bot's documented config.yml has no version.
func TestVersionIsOptional(t *testing.T) {
	t.Parallel()
	f, err := Parse([]byte("components:\n  g: {handler_name: gitleaks}\njobs:\n  - name: a\n    rules: {gitlab: null}\n    scans: [g]\n"), Env{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Version != "1.0" {
		t.Fatalf("Version = %q, want 1.0 for a file that names none", f.Version)
	}
}

// Every mistake is reported at once, each with the file, its real line and
// the key, and the parts that are right are kept.
func TestEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	doc := `version: 1.0
components:
  gitleaks:
    handler_name: gitleaks
  slack:
    handler_name: slack
    config:
      channels: [a]
    env:
      token: SLACK_TOKEN
  broken:
    config: {}
jobs:
  - name: one
    rules: {gitlab: null}
    scans: [gitleaks, trufflehog]
    notifications: [slack]
  - name: two
    rules:
      gitlab:
        ref: main
    scans: [gitleaks]
    outputz: [x]
`
	f, err := loadConfig(t, doc, Env{})
	if err == nil {
		t.Fatal("a broken file loaded")
	}
	path := f.Path
	want := []string{
		path + `:10: components.slack.env.token: environment variable SLACK_TOKEN is not set`,
		path + `:11: components.broken.handler_name: missing`,
		path + `:16: jobs[0] ("one").scans: component "trufflehog" is not defined under components (defined: broken, gitleaks, slack)`,
		path + `:17: jobs[0] ("one").notifications: notifications report what outputs found`,
		path + `:23: jobs[1] ("two").outputz: unknown key`,
	}
	got := lines(err)
	if len(got) != len(want) {
		t.Fatalf("%d problems, want %d:\n%s", len(got), len(want), err)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d = %q, want it to start with %q", i, got[i], want[i])
		}
	}
	if _, ok := f.Components["gitleaks"]; !ok {
		t.Error("the right component gitleaks is not kept")
	}
}

// A job may name a component in another case than it is defined (the
// original's documentation writes gitLeaks): it resolves, with one
// warning naming both spellings however often it is used.
func TestComponentNamedInAnotherCase(t *testing.T) {
	t.Parallel()
	doc := `components:
  gitleaks: {handler_name: gitleaks}
jobs:
  - name: merge requests
    rules: {gitlab: {event_type: merge_request}}
    scans: [gitLeaks]
  - name: pushes
    rules: {gitlab: {event_type: push}}
    scans: [gitLeaks]
`
	f, err := Parse([]byte(doc), Env{})
	if err != nil {
		t.Fatal(err)
	}
	for _, job := range f.Jobs {
		if len(job.Scans) != 1 || job.Scans[0] != "gitleaks" {
			t.Fatalf("job %q scans %v, want [gitleaks]", job.Name, job.Scans)
		}
	}
	if len(f.Warnings) != 1 {
		t.Fatalf("warnings = %v, want one", f.Warnings)
	}
	w := f.Warnings[0].Error()
	for _, want := range []string{`line 6: jobs[0] ("merge requests").scans:`, `"gitLeaks" is defined as "gitleaks" (line 2)`} {
		if !strings.Contains(w, want) {
			t.Errorf("warning %q lacks %q", w, want)
		}
	}

	ambiguous := strings.Replace(doc, "  gitleaks: {handler_name: gitleaks}\n",
		"  gitleaks: {handler_name: gitleaks}\n  GitLeaks: {handler_name: gitleaks}\n", 1)
	_, err = Parse([]byte(ambiguous), Env{})
	if err == nil || !strings.Contains(err.Error(), `"GitLeaks" and "gitleaks" differ from it only in case`) {
		t.Fatalf("two components differing in case: err = %v, want the choice named", err)
	}
}

type slackSettings struct {
	Token       string   `yaml:"token"`
	Channels    []string `yaml:"channels"`
	RenderLimit int      `yaml:"render_limit"`
}

// Decode reports every setting a handler refuses at the setting's line in
// config.yml, and never repeats a value that came from the environment.
func TestDecodePlacesSettings(t *testing.T) {
	t.Parallel()
	doc := `components:
  slack:
    handler_name: slack
    config:
      chanels: [a]
      render_limit: ten
    env:
      token: SLACK_TOKEN
  limit:
    handler_name: slack
    env:
      render_limit: SLACK_TOKEN
jobs:
  - name: j
    rules: {gitlab: null}
    scans: [slack, limit]
`
	f, err := loadConfig(t, doc, Env{"SLACK_TOKEN": "xoxb-very-secret"})
	if err != nil {
		t.Fatal(err)
	}
	var s slackSettings
	err = f.Components["slack"].Decode(&s)
	got := lines(err)
	want := []string{
		f.Path + `:5: components.slack.config.chanels: handler "slack" has no setting "chanels" (its settings: channels, render_limit, token)`,
		f.Path + ":6: components.slack.config.render_limit: cannot unmarshal !!str `ten` into int",
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("Decode:\n%s\nwant:\n%s", err, strings.Join(want, "\n"))
	}
	if s.Token != "xoxb-very-secret" {
		t.Fatalf("the settings that are right were not decoded: %+v", s)
	}
	err = f.Components["limit"].Decode(&s)
	if err == nil || !strings.Contains(err.Error(), ":12: components.limit.env.render_limit: the value of SLACK_TOKEN does not fit") {
		t.Fatalf("a value of the wrong type from the environment: %v", err)
	}
	if strings.Contains(err.Error(), "xoxb-very-secret") {
		t.Fatalf("the error shows the variable's value: %v", err)
	}
}

// A handler's own error about a setting ("channels: …") points at the
// setting's line, or at the component when the setting is not written.
func TestFaultPlacesHandlerErrors(t *testing.T) {
	t.Parallel()
	f, err := Parse([]byte(`components:
  slack:
    handler_name: slack
    config:
      render_limit: 3
    env:
      token: SLACK_TOKEN
jobs:
  - name: j
    rules: {gitlab: null}
    scans: [slack]
`), Env{"SLACK_TOKEN": "x"})
	if err != nil {
		t.Fatal(err)
	}
	c := f.Components["slack"]
	tests := map[string]string{
		"render_limit: too big":                 "line 5: components.slack.config.render_limit: too big",
		"token: refused":                        "line 7: components.slack.env.token: refused",
		"channels: at least one channel needed": "line 2: components.slack.config.channels: at least one channel needed",
		"Slack is down":                         "line 2: components.slack: Slack is down",
	}
	for in, want := range tests {
		if got := c.Fault(errors.New(in)).Error(); got != want {
			t.Errorf("Fault(%q) = %q, want %q", in, got, want)
		}
	}
}

// YAML syntax errors name the line at fault, not the line yaml.v3 names
// (the one before the enclosing block).
func TestSyntaxErrorsAtTheirLine(t *testing.T) {
	t.Parallel()
	// The documentation's jobs excerpt as printed: rules level with the "-".
	docsJobs := "jobs:\n    # human-readable job name\n    - name: Common merge request event\n\n" +
		"    # two-level identifier of an input entity\n    rules:\n        gitlab:\n" +
		"            event_type: \"merge_request\"\n"
	tests := []struct{ name, doc, want string }{
		{"indentation", docsJobs, `:6: not valid YAML: did not find expected '-' indicator (look at the indentation`},
		{"tab", "components:\n  a:\n\thandler_name: x\n", ":3: not valid YAML: found character that cannot start any token"},
		{"after a quoted text of two lines", "version: \"1.\n  0\"\ncomponents: [\n", ":3: not valid YAML: did not find expected node content"},
		{"excerpt marks", "# Excerpt from app/config.yml\n\n...\ncomponents:\n  a: {handler_name: x}\n",
			":3: a line `...` ends a YAML document: remove it"},
		{"two documents", "components:\n  a: {handler_name: x}\n---\njobs: []\n", ":3: a second YAML document starts here"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConfig(t, tt.doc, Env{})
			if err == nil || !strings.Contains(err.Error(), "config.yml"+tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, "config.yml"+tt.want)
			}
		})
	}
}

// The original Security Bot's configuration files, as its documentation
// prints them and as it ships them, load with its .env.dev.
func TestOriginalConfigsLoad(t *testing.T) {
	t.Parallel()
	envFile := filepath.Join(t.TempDir(), "env.dev")
	must(t, os.WriteFile(envFile, read(t, "original-secbot/env.dev"), 0o600))
	env, err := LoadEnv([]string{envFile}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := FromEnv(env)
	if err != nil {
		t.Fatalf("the original .env.dev: %v", err)
	}
	if s.PostgresDSN != "postgres://secbot:foobar@db:5432/secbot" || s.Instances[0].Hostname() != "git.env.local" {
		t.Fatalf("the original .env.dev read wrong: %q, %+v", s.PostgresDSN, s.Instances)
	}
	for _, name := range []string{"config.yml", "app-config.yml"} {
		t.Run(name, func(t *testing.T) {
			f, err := Parse(read(t, "original-secbot/"+name), env)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Jobs) != 1 || len(f.Components) != 3 || len(f.Warnings) != 0 {
				t.Fatalf("read %d jobs and %d components, warnings %v", len(f.Jobs), len(f.Components), f.Warnings)
			}
		})
	}
}

func read(t *testing.T, name string) []byte {
	t.Helper()
	data, err := fixtures.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
