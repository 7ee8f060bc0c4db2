package service_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/gitlab"
	"github.com/secbot/secbot/internal/handlers"
	"github.com/secbot/secbot/internal/service"
	"github.com/secbot/secbot/internal/store"
	"github.com/secbot/secbot/internal/testenv"
	"github.com/secbot/secbot/internal/testenv/fixtures"
)

// originalEnv is the original Security Bot's .env.dev, pointed at the
// test's own database (in its postgresql+asyncpg:// form) and Redis.
func originalEnv(t *testing.T) config.Env {
	t.Helper()
	data, err := fixtures.ReadFile("original-secbot/env.dev")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), ".env.dev")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	env, err := config.LoadEnv([]string{file}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, dsn := testenv.Store(t)
	env["SECBOT_POSTGRES_DSN"] = strings.Replace(dsn, "postgres://", "postgresql+asyncpg://", 1)
	env["CELERY_BROKER_URL"] = testenv.RedisURL(t)
	return env
}

// startReceiver builds the receiver as cmd/receiver does, with config.yml
// holding doc, and returns it with what it printed for the person
// starting it.
func startReceiver(t *testing.T, env config.Env, doc string) (*service.Server, string, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yml")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	env["SECBOT_CONFIG"] = path
	b, err := service.FromEnv("receiver", env)
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	b.Stderr = &stderr
	b.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := service.NewReceiver(context.Background(), b, handlers.Registry())
	if err == nil {
		t.Cleanup(srv.Close)
	}
	return srv, stderr.String(), err
}

// The original's documented config.yml (with the component named gitLeaks,
// as its documentation is said to print it) and its .env.dev start the
// receiver; each doubt is a warning, printed once; with the rule the
// warning suggests, a merge request hook of the project creates a check.
func TestOriginalConfigAndEnvFile(t *testing.T) {
	t.Parallel()
	env := originalEnv(t)
	data, err := fixtures.ReadFile("original-secbot/config.yml")
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Replace(string(data), "      scans:\n          - gitleaks\n", "      scans:\n          - gitLeaks\n", 1)
	if doc == string(data) {
		t.Fatal("the fixture's scans list has changed")
	}
	hook := hook(t, "webhooks/merge_request.json", nil) // gitlabhq/gitlab-test
	post := func(srv *service.Server) response {
		req := httptest.NewRequest(http.MethodPost, "/v1/gitlab/webhook", bytes.NewReader(hook))
		req.Header.Set(gitlab.HeaderToken, "SecretStr")
		req.Header.Set(gitlab.HeaderEvent, "Merge Request Hook")
		return do(t, srv.App, req)
	}

	srv, printed, err := startReceiver(t, env, doc)
	if err != nil {
		t.Fatalf("the receiver refused the original's files: %v", err)
	}
	warnings := strings.Split(strings.TrimSpace(printed), "\n")
	wants := []string{`"gitLeaks" is defined as "gitleaks"`, `"/gitlab-test/" matches only values that begin and end with a slash`}
	if len(warnings) != len(wants) {
		t.Fatalf("printed %d lines, want %d warnings:\n%s", len(warnings), len(wants), printed)
	}
	for i, want := range wants {
		if !strings.HasPrefix(warnings[i], "secbot receiver: warning: ") || !strings.Contains(warnings[i], want) {
			t.Errorf("warning %d = %q, want it to say %q", i, warnings[i], want)
		}
	}
	if r := post(srv); r.Code != http.StatusOK || r.Body["security_check_id"] != nil {
		t.Fatalf("the documented rule matched (it matches in full): %d %s", r.Code, r.Raw)
	}

	fixed := strings.Replace(doc, "/gitlab-test/", ".*gitlab-test.*", 1)
	srv, printed, err = startReceiver(t, env, fixed)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(printed, "gitlab-test") || strings.Count(printed, "warning:") != 1 {
		t.Fatalf("with the suggested rule it printed:\n%s", printed)
	}
	r := post(srv)
	id, _ := r.Body["security_check_id"].(string)
	if r.Code != http.StatusOK || !strings.HasPrefix(id, "GIT_LOCAL_") {
		t.Fatalf("with the suggested rule: %d %s, want a check", r.Code, r.Raw)
	}
	if _, err := srv.Store.GetCheck(context.Background(), id); err != nil {
		t.Fatalf("the check was not recorded: %v", err)
	}
}

// The receiver refuses a setting the worker would refuse, with every
// mistake at once, rather than start and leave the worker to fail.
func TestReceiverChecksHandlerSettings(t *testing.T) {
	t.Parallel()
	env := originalEnv(t)
	doc := `components:
  gitleaks:
    handler_name: gitleaks
    config: {format: xml}
  slack:
    handler_name: slack
    config: {channels: [a], render_limit: ten}
    env: {token: SLACK_TOKEN}
jobs:
  - name: j
    rules: {gitlab: null}
    scans: [gitleaks]
    outputs: [defectdojo]
    notifications: [slack]
`
	_, _, err := startReceiver(t, env, doc)
	if err == nil {
		t.Fatal("the receiver started with settings the worker refuses")
	}
	for _, want := range []string{`config.yml:4: components.gitleaks.config.format: "xml" is not supported`,
		`config.yml:13: jobs[0] ("j").outputs: component "defectdojo" is not defined`,
		"config.yml:7: components.slack.config.render_limit: cannot unmarshal"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// make run creates its database itself, from SECBOT_POSTGRES_DSN as the
// processes read it (the original's postgresql+asyncpg:// form included),
// and prints the addresses the processes really listen on.
func TestMakeRunSetup(t *testing.T) {
	t.Parallel()
	name := "secbot_test_run_" + strings.ToLower(rand.Text()[:12])
	dsn, err := url.Parse(testenv.AdminDSN())
	if err != nil {
		t.Fatal(err)
	}
	dsn.Scheme, dsn.Path = "postgresql+asyncpg", "/"+name
	drop := func() {
		conn, err := pgx.Connect(context.Background(), testenv.AdminDSN())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Fatal(err)
		}
	}
	drop()
	t.Cleanup(drop)
	b, err := service.FromEnv("migrate", config.Env{"SECBOT_POSTGRES_DSN": dsn.String(),
		"SECBOT_REPORTER_ADDR": "0.0.0.0:5099", "DEFECTDOJO__URL": "https://dojo.example.com/it's"})
	if err != nil {
		t.Fatal(err)
	}
	b.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	for range 2 { // the second time, the database is there
		if err := service.CreateAndMigrate(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	st := testenv.OpenStore(t, strings.Replace(dsn.String(), "postgresql+asyncpg", "postgres", 1))
	if _, err := st.GetCheck(context.Background(), "none"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the database is not migrated: %v", err)
	}

	var out bytes.Buffer
	if err := service.PrintAddresses(&out, b); err != nil {
		t.Fatal(err)
	}
	want := "receiver_addr=':5000'\nreporter_addr='0.0.0.0:5099'\nworker_addr=':5002'\nfindings_url='https://dojo.example.com/it'\\''s'\n"
	if out.String() != want {
		t.Fatalf("PrintAddresses:\n%s\nwant:\n%s", out.String(), want)
	}
}
