package service_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/gitlab"
	"github.com/secbot/secbot/internal/handler"
	"github.com/secbot/secbot/internal/scan/gitleaks"
	"github.com/secbot/secbot/internal/testenv"
)

// TestSecretsNeverLeaveInClear runs a real scan end to end (receiver,
// worker with the gitleaks handler, a git server demanding the API token)
// and then searches every log line and every database row for the planted
// secret, the API token and the webhook secret.
func TestSecretsNeverLeaveInClear(t *testing.T) {
	t.Parallel()
	const (
		apiToken = "glpat-SecBotApiToken00001"
		planted  = "glpat-Xk9vQ2mT7pLr4sWz8YbN"
	)
	git := testenv.NewGitServer(t, apiToken)
	repo := git.NewRepo(t, "group/app")
	before := repo.Commit("initial", map[string]string{"README.md": "# app\n"})
	after := repo.Commit("add settings", map[string]string{"settings.env": "TOKEN=\"" + planted + "\"\n"})
	repo.Push("main")

	cfg := fmt.Sprintf(`
version: 1.0
components:
  secrets:
    handler_name: gitleaks
    config: {cache_dir: %q}
  fake-output: {handler_name: fake-output}
  fake-notify: {handler_name: fake-notify}
jobs:
  - name: secrets
    rules: {gitlab: null}
    scans: [secrets]
    outputs: [fake-output]
    notifications: [fake-notify]
`, t.TempDir())
	h := newHarness(t, cfg, config.Env{"GITLAB_CONFIGS": fmt.Sprintf(
		`[{"host":%q,"webhook_secret_token":%q,"auth_token":%q,"prefix":%q}]`, git.Server.URL, hookToken, apiToken, prefix)})
	h.startWorkerWith(h.registry(handler.Scan("gitleaks", nil, gitleaks.New)))

	body := hook(t, "webhooks/push.json", func(b map[string]any) {
		b["before"], b["after"], b["checkout_sha"], b["ref"] = before, after, after, "refs/heads/main"
		p := b["project"].(map[string]any)
		p["git_http_url"] = repo.URL
		p["git_ssh_url"] = "git@127.0.0.1:group/app.git"
		p["path_with_namespace"] = "group/app"
	})
	r := h.post("Push Hook", body, nil)
	if r.Code != http.StatusOK {
		t.Fatalf("hook: %d %s", r.Code, r.Raw)
	}
	id := gitlab.SecurityCheckID(prefix, "git@127.0.0.1:group/app.git", after)
	got := h.waitAllTasks(id)
	if got.Body["status"] != "fail" {
		t.Fatalf("status = %s\nlogs:\n%s", got.Raw, h.logText())
	}

	secrets := map[string]string{"planted secret": planted, "API token": apiToken, "webhook secret": hookToken}
	logs := h.logText()
	if !strings.Contains(logs, "task done") {
		t.Fatal("captured no worker logs; the check below would prove nothing")
	}
	for name, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("the %s appears in the logs", name)
		}
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, h.env["SECBOT_POSTGRES_DSN"])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var dump string
	if err := conn.QueryRow(ctx, `SELECT
		(SELECT coalesce(string_agg(c::text, E'\n'), '') FROM checks c) ||
		(SELECT coalesce(string_agg(d::text, E'\n'), '') FROM deliveries d) ||
		(SELECT coalesce(string_agg(t::text, E'\n'), '') FROM tasks t)`).Scan(&dump); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(dump, "settings.env") {
		t.Fatalf("the stored report lacks the finding; the check below would prove nothing:\n%.2000s", dump)
	}
	for name, s := range secrets {
		if strings.Contains(dump, s) {
			t.Errorf("the %s is stored in the database", name)
		}
	}
}
