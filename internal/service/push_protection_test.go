package service_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/pushreport"
	"github.com/secbot/secbot/internal/redact"
	"github.com/secbot/secbot/internal/testenv"
)

const (
	pushToken  = "push-protection-token-of-the-tests"
	testSecret = "glpat-Xk9vQ2mT7pLr4sWz8YbN"
)

var (
	pushFinding = `{"commit":"` + strings.Repeat("c", 40) + `","file":"config/app.env","line":2,"rule":"gitlab-pat","secret_hash":"` +
		redact.Hash("gitlab-pat", testSecret) + `"}`
	refusedReport = `{"kind":"refused","reason":"secrets","project":"group/app","user":"dev","refs":["refs/heads/main"],"commits":1,"findings":[` + pushFinding + `]}`
	bypassReport  = `{"kind":"bypassed","reason":"push_option","project":"group/app","user":"dev","refs":["refs/heads/main"],"commits":0,"findings":[]}`
)

func sendPushReport(t *testing.T, app *fiber.App, token, body string) answer {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, pushreport.Path, strings.NewReader(body))
	req.Header.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	if token != "" {
		req.Header.Set(fiber.HeaderAuthorization, "Bearer "+token)
	}
	return call(t, app, req)
}

// pushAnswers checks the push protection report's answers against the
// receiver's document (TestAnswersMatchTheDocuments).
func pushAnswers(t *testing.T, h *harness, c *contract) {
	app := h.receiver.App
	if a := sendPushReport(t, app, pushToken, refusedReport); a.code != http.StatusAccepted {
		t.Fatalf("report: %d %s", a.code, a.raw)
	} else {
		c.conform("POST", pushreport.Path, a)
	}
	c.conform("POST", pushreport.Path, sendPushReport(t, app, "wrong", refusedReport))
	c.conform("POST", pushreport.Path, sendPushReport(t, app, pushToken, `{"kind":"refused"`))
	c.conform("POST", pushreport.Path, sendPushReport(t, app, pushToken, `{"kind":"done","reason":"x","project":"p"}`))
	c.conform("POST", pushreport.Path, sendPushReport(t, app, pushToken, `{"detail":"`+strings.Repeat("x", pushreport.MaxBody)+`"}`))
}

// The receiver records the hook's reports in PostgreSQL, counts them in
// /metrics and the reporter's dashboard shows them; a report without the
// token is refused without the token given (or the right one) in the log.
func TestPushProtectionReports(t *testing.T) {
	t.Parallel()
	h := newHarness(t, oneJob, config.Env{"SECBOT_PUSH_PROTECTION_TOKEN": pushToken,
		"SECBOT_ADMIN_PASSWORD": adminPassword, "SECBOT_PASSWORD_COST": "4"})
	app := h.receiver.App
	for _, body := range []string{refusedReport, bypassReport} {
		if a := sendPushReport(t, app, pushToken, body); a.code != http.StatusAccepted || a.json(t)["id"] == nil {
			t.Fatalf("report: %d %s", a.code, a.raw)
		}
	}
	for name, a := range map[string]answer{
		"no token":    sendPushReport(t, app, "", bypassReport),
		"wrong token": sendPushReport(t, app, "not-"+pushToken, bypassReport),
		"hook token":  sendPushReport(t, app, hookToken, bypassReport),
	} {
		if a.code != http.StatusForbidden {
			t.Errorf("%s: %d %s, want 403", name, a.code, a.raw)
		}
	}
	bad := sendPushReport(t, app, pushToken, `{"kind":"refused","reason":"secrets","project":"group/app","findings":[{"commit":"HEAD","file":"a","line":1,"rule":"r","secret_hash":"x"}]}`)
	if bad.code != http.StatusBadRequest || !strings.Contains(string(bad.raw), "findings[0].commit") {
		t.Fatalf("invalid report: %d %s", bad.code, bad.raw)
	}
	if logs := h.logText(); strings.Contains(logs, pushToken) || !strings.Contains(logs, "push protection report refused: bad token") {
		t.Fatalf("the log shows the token, or not the refusal:\n%s", logs)
	}

	events, err := h.receiver.Store.RecentPushEvents(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 || events[0].Kind != "bypassed" || events[1].Kind != "refused" || events[1].User != "dev" ||
		!strings.Contains(string(events[1].Findings), `"secret_hash"`) || events[1].Refs[0] != "refs/heads/main" {
		t.Fatalf("stored %+v", events)
	}
	metrics := string(call(t, app, httptest.NewRequest(http.MethodGet, "/metrics", nil)).raw)
	for _, want := range []string{
		`secbot_push_protection_events_total{kind="refused",reason="secrets"} 1`,
		`secbot_push_protection_events_total{kind="bypassed",reason="push_option"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	dashboard := signedInPage(t, h.reporter.App, "/")
	for _, want := range []string{"Push protection", "group/app", "push-refused", "config/app.env:2 gitlab-pat", "push_option", "refs/heads/main"} {
		if !strings.Contains(dashboard, want) {
			t.Errorf("the dashboard lacks %q", want)
		}
	}
}

// signedInPage signs the admin in and returns a page.
func signedInPage(t *testing.T, app *fiber.App, target string) string {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader("username=admin&password="+url.QueryEscape(adminPassword)))
	req.Header.Set(fiber.HeaderContentType, fiber.MIMEApplicationForm)
	signedIn := call(t, app, req)
	var cookie string
	for _, ck := range (&http.Response{Header: signedIn.header}).Cookies() {
		if ck.Name == "secbot_session" {
			cookie = ck.Name + "=" + ck.Value
		}
	}
	if cookie == "" {
		t.Fatalf("sign-in: %d %s", signedIn.code, signedIn.raw)
	}
	req = httptest.NewRequest(http.MethodGet, target, nil)
	req.Header.Set(fiber.HeaderCookie, cookie)
	page := call(t, app, req)
	if page.code != http.StatusOK {
		t.Fatalf("%s: %d %s", target, page.code, page.raw)
	}
	return string(page.raw)
}

// The real hook, built from cmd/secbot-pre-receive and installed in a bare
// repository, reports a refused push to the real receiver, which records
// it with the finding's place and hash.
func TestPushProtectionHookToReceiver(t *testing.T) {
	t.Parallel()
	h := newHarness(t, oneJob, config.Env{"SECBOT_PUSH_PROTECTION_TOKEN": pushToken})
	receiverURL := serve(t, h.receiver.App)
	dir := t.TempDir()
	bare, clone := filepath.Join(dir, "srv.git"), filepath.Join(dir, "clone")
	build := exec.Command("go", "build", "-o", filepath.Join(bare, "hooks", "pre-receive"), "./cmd/secbot-pre-receive")
	build.Dir = filepath.Join("..", "..")
	testenv.Run(t, dir, "git", "init", "--quiet", "--bare", "--initial-branch=main", bare)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the hook: %v\n%s", err, out)
	}
	settings := "SECBOT_PUSH_PROTECTION_URL=" + receiverURL + "\nSECBOT_PUSH_PROTECTION_TOKEN=" + pushToken + "\n"
	if err := os.WriteFile(filepath.Join(bare, "hooks", "secbot-pre-receive.env"), []byte(settings), 0o600); err != nil {
		t.Fatal(err)
	}
	testenv.Run(t, dir, "git", "clone", "--quiet", bare, clone)
	if err := os.WriteFile(filepath.Join(clone, "app.env"), []byte("GITLAB_TOKEN=\""+testSecret+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	testenv.Run(t, clone, "git", "add", "-A")
	testenv.Run(t, clone, "git", "-c", "user.name=Dev", "-c", "user.email=dev@example.com", "commit", "--quiet", "-m", "config")
	sha := strings.TrimSpace(testenv.Run(t, clone, "git", "rev-parse", "HEAD"))
	push := exec.Command("git", "push", "origin", "HEAD:main")
	push.Dir = clone
	if out, err := push.CombinedOutput(); err == nil || !strings.Contains(string(out), "PUSH BLOCKED") || strings.Contains(string(out), "could not be reported") {
		t.Fatalf("push: %v\n%s", err, out)
	}
	events, err := h.receiver.Store.RecentPushEvents(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Kind != pushreport.Refused || events[0].Commits != 1 {
		t.Fatalf("recorded %+v", events)
	}
	var found []pushreport.Finding
	want := pushreport.Finding{Commit: sha, File: "app.env", Line: 1, Rule: "gitlab-pat", SecretHash: redact.Hash("gitlab-pat", testSecret)}
	if err := json.Unmarshal(events[0].Findings, &found); err != nil || len(found) != 1 || found[0] != want {
		t.Fatalf("findings %s, want %+v", events[0].Findings, want)
	}
}
