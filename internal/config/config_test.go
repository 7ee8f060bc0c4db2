package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadEnvPrecedence(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dev := filepath.Join(dir, ".env.dev")
	override := filepath.Join(dir, ".env.override")
	must(t, os.WriteFile(dev, []byte("A=dev\nB=dev\nC=dev\n"), 0o600))
	must(t, os.WriteFile(override, []byte("B=override\nC=override\n"), 0o600))
	env, err := LoadEnv([]string{dev, override, filepath.Join(dir, "missing")}, []string{"C=process", "D=process"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"A": "dev", "B": "override", "C": "process", "D": "process"}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
}

func TestFromEnvCompatVariables(t *testing.T) {
	t.Parallel()
	env := Env{
		"SECBOT_POSTGRES_DSN": "postgresql+asyncpg://user:pw@db:5432/secbot",
		"CELERY_BROKER_URL":   "redis://redis:6379/3",
		"DOCS_ENABLE":         "False",
		"GITLAB_CONFIGS":      `[{"host":"https://git.env.local","webhook_secret_token":"w","auth_token":"a","prefix":"p"}]`,
	}
	s, err := FromEnv(env)
	if err != nil {
		t.Fatal(err)
	}
	if s.PostgresDSN != "postgres://user:pw@db:5432/secbot" {
		t.Errorf("PostgresDSN = %q", s.PostgresDSN)
	}
	if s.RedisURL != "redis://redis:6379/3" {
		t.Errorf("RedisURL = %q", s.RedisURL)
	}
	if s.DocsEnabled {
		t.Error("DOCS_ENABLE=False left docs on")
	}
	if len(s.Instances) != 1 || s.Instances[0].Hostname() != "git.env.local" {
		t.Errorf("Instances = %+v", s.Instances)
	}
	env["SECBOT_REDIS_URL"] = "redis://other:6379/1"
	if s, _ = FromEnv(env); s.RedisURL != "redis://other:6379/1" {
		t.Errorf("SECBOT_REDIS_URL does not win over CELERY_BROKER_URL: %q", s.RedisURL)
	}
}

func TestFromEnvErrorsNameTheVariable(t *testing.T) {
	t.Parallel()
	tests := map[string]Env{
		"GITLAB_CONFIGS":      {"GITLAB_CONFIGS": `{"host": 1}`},
		"SECBOT_POSTGRES_DSN": {"SECBOT_POSTGRES_DSN": "mysql://x"},
		"DOCS_ENABLE":         {"DOCS_ENABLE": "maybe"},
		"SWEEP_INTERVAL":      {"SECBOT_SWEEP_INTERVAL": "soon"},
		"prefix is empty":     {"GITLAB_CONFIGS": `[{"host":"h","webhook_secret_token":"w"}]`},
		"share one":           {"GITLAB_CONFIGS": `[{"host":"h","webhook_secret_token":"w","prefix":"a"},{"host":"i","webhook_secret_token":"w","prefix":"b"}]`},
	}
	for want, env := range tests {
		t.Run(want, func(t *testing.T) {
			_, err := FromEnv(env)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("err = %v, want it to mention %q", err, want)
			}
		})
	}
}

func TestInstanceLogValueHidesTokens(t *testing.T) {
	t.Parallel()
	inst := Instance{Host: "h", WebhookSecretToken: "hook-secret", AuthToken: "api-token", Prefix: "p"}
	got := inst.LogValue().String()
	if strings.Contains(got, "hook-secret") || strings.Contains(got, "api-token") {
		t.Fatalf("LogValue leaks a token: %s", got)
	}
}

const sample = `
version: 1.0
components:
  gitleaks:
    handler_name: gitleaks
    config:
      format: json
  defectdojo:
    handler_name: defectdojo
    env:
      url: DEFECTDOJO__URL
      secret_key: DEFECTDOJO__TOKEN
  slack:
    handler_name: slack
    config:
      render_limit: 10
      channels: [secbot-test]
    env:
      token: SLACK_TOKEN
jobs:
  - name: merge requests of one project
    rules:
      gitlab:
        event_type: merge_request
        project.path_with_namespace: sample-group/sample-project
    scans: [gitleaks]
    outputs: [defectdojo]
    notifications: [slack]
  - name: everything else
    rules:
      gitlab: null
    scans: [gitleaks]
`

func sampleEnv() Env {
	return Env{"DEFECTDOJO__URL": "http://dd", "DEFECTDOJO__TOKEN": "tok", "SLACK_TOKEN": "xoxb"}
}

func TestParseSample(t *testing.T) {
	t.Parallel()
	f, err := Parse([]byte(sample), sampleEnv())
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Jobs) != 2 || f.Jobs[1].Rules != nil || f.Jobs[0].Rules["event_type"] != "merge_request" {
		t.Fatalf("jobs parsed wrong: %+v", f.Jobs)
	}
	var slack struct {
		RenderLimit int      `yaml:"render_limit"`
		Channels    []string `yaml:"channels"`
		Token       string   `yaml:"token"`
	}
	if err := f.Components["slack"].Decode(&slack); err != nil {
		t.Fatal(err)
	}
	if slack.RenderLimit != 10 || slack.Token != "xoxb" || len(slack.Channels) != 1 {
		t.Fatalf("slack decoded wrong: %+v", slack)
	}
	if got := f.Components["defectdojo"].SecretFields; strings.Join(got, ",") != "secret_key,url" {
		t.Fatalf("SecretFields = %v", got)
	}
	var strict struct {
		RenderLimit int `yaml:"render_limit"`
	}
	if err := f.Components["slack"].Decode(&strict); err == nil || !strings.Contains(err.Error(), "slack") {
		t.Fatalf("Decode into a struct without the channels field: err = %v, want an error naming the component", err)
	}
}

func TestParseErrorsNameTheKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, edit, want string
		env              Env
	}{
		{name: "missing env var", env: Env{"DEFECTDOJO__URL": "u", "DEFECTDOJO__TOKEN": "t"}, want: "components.slack.env.token: environment variable SLACK_TOKEN is not set"},
		{name: "bad version", edit: "version: 1.0\n=>version: 2.0\n", want: `version: "2.0" is not supported`},
		{name: "unknown key", edit: "    outputs: [defectdojo]\n=>    outputs: [defectdojo]\n    outputz: []\n", want: "outputz"},
		{name: "missing rules", edit: "    rules:\n      gitlab: null\n=>", want: `jobs[1] ("everything else").rules: missing`},
		{name: "unknown rule source", edit: "      gitlab: null\n=>      github: null\n", want: `line 31: jobs[1] ("everything else").rules.github: unknown rule source`},
		{name: "undefined output", edit: "    outputs: [defectdojo]\n=>    outputs: [dojo]\n", want: `outputs: component "dojo" is not defined`},
		{name: "notifications without outputs", edit: "    outputs: [defectdojo]\n=>", want: "needs an output"},
		{name: "duplicate job", edit: "everything else=>merge requests of one project", want: "is used by another job"},
		{name: "bad component name", edit: "  slack:\n=>  sl:ack:\n", want: "components.sl:ack: a component name may hold only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := sample
			if tt.edit != "" {
				old, repl, ok := strings.Cut(tt.edit, "=>")
				if !ok {
					t.Fatalf("edit %q is not of the form old=>new", tt.edit)
				}
				if !strings.Contains(doc, old) {
					t.Fatalf("edit %q does not apply", old)
				}
				doc = strings.Replace(doc, old, repl, 1)
			}
			env := tt.env
			if env == nil {
				env = sampleEnv()
			}
			_, err := Parse([]byte(doc), env)
			if err == nil {
				t.Fatal("Parse accepted a broken config")
			}
			if tt.want != "" && !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestLoadFileNamesTheFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config.yml")
	must(t, os.WriteFile(path, []byte("version: 1.0\njobs: []\n"), 0o600))
	_, err := LoadFile(path, Env{})
	if err == nil || !strings.HasPrefix(err.Error(), path+":2: jobs") {
		t.Fatalf("err = %v, want it to start with the path, the line and the key", err)
	}
}

func TestShippedConfigLoads(t *testing.T) {
	t.Parallel()
	env, err := LoadEnv([]string{"../../.env.dev"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile("../../config.yml", env); err != nil {
		t.Fatalf("the shipped config.yml does not load with the shipped .env.dev: %v", err)
	}
	if _, err := FromEnv(env); err != nil {
		t.Fatalf("the shipped .env.dev is not valid: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte("version: 1\njobs:\n- name: a\n  rules: {gitlab: null}\n  scans: [x]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, sampleEnv())
		if err == nil && len(cfg.Jobs) == 0 {
			t.Fatal("accepted a config without jobs")
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
