package service_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/gitlab"
	"github.com/secbot/secbot/internal/service"
)

func TestWebhookFixtures(t *testing.T) {
	t.Parallel()
	h := newHarness(t, oneJob, nil)
	tests := []struct {
		file, header, sshURL, commit string
	}{
		{file: "webhooks/push.json", header: "Push Hook", sshURL: "git@example.com:mike/diaspora.git", commit: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"},
		{file: "webhooks/tag_push.json", header: "Tag Push Hook", sshURL: "git@example.com:jsmith/example.git", commit: "82b3d5ae55f7080f1e6022629cdb57bfae7cccc7"},
		{file: "webhooks/merge_request.json", header: "Merge Request Hook", commit: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"},
		{file: "webhooks/note_merge_request.json", header: "Note Hook"},
		{file: "webhooks/pipeline.json", header: "Pipeline Hook"},
		{file: "systemhooks/push.json", header: "System Hook", commit: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"},
		{file: "systemhooks/tag_push.json", header: "System Hook", commit: "5937ac0a7beb003549fc5fd26fc247adbce4a52e"},
		{file: "systemhooks/merge_request.json", header: "System Hook", commit: "ba3e0d8ff79c80d5b0bbb4f3e2e343e0aaa662b7"},
		{file: "systemhooks/project_create.json", header: "System Hook"},
		{file: "systemhooks/repository_update.json", header: "System Hook"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body := hook(t, tt.file, nil)
			r := h.post(tt.header, body, nil)
			if r.Code != http.StatusOK || r.Body["status"] != "ok" {
				t.Fatalf("got %d %s", r.Code, r.Raw)
			}
			if tt.commit == "" {
				if _, has := r.Body["security_check_id"]; has {
					t.Fatalf("an ignored event got a check: %s", r.Raw)
				}
				return
			}
			var p struct {
				Project struct {
					GitSSHURL string `json:"git_ssh_url"`
				} `json:"project"`
			}
			_ = json.Unmarshal(body, &p)
			want := gitlab.SecurityCheckID(prefix, p.Project.GitSSHURL, tt.commit)
			if tt.sshURL != "" && p.Project.GitSSHURL != tt.sshURL {
				t.Fatalf("fixture ssh url %q, expected %q", p.Project.GitSSHURL, tt.sshURL)
			}
			if r.Body["security_check_id"] != want {
				t.Fatalf("security_check_id = %v, want %s", r.Body["security_check_id"], want)
			}
			if s := h.status(want, ""); s.Body["status"] != "in_progress" {
				t.Fatalf("a recorded check with no worker yet must be in_progress: %s", s.Raw)
			}
		})
	}
}

func TestWebhookTokens(t *testing.T) {
	t.Parallel()
	h := newHarness(t, oneJob, nil)
	const forbidden = `{"code":"FORBIDDEN","message":"X-Gitlab-Token header is invalid","details":null}`
	tests := map[string]map[string]string{
		"wrong token":          {gitlab.HeaderToken: "not-the-secret"},
		"missing token":        {gitlab.HeaderToken: ""},
		"token of other host":  {gitlab.HeaderInstance: "https://gitlab.attacker.example"},
		"token with extra end": {gitlab.HeaderToken: hookToken + "x"},
	}
	for name, headers := range tests {
		t.Run(name, func(t *testing.T) {
			r := h.post("Push Hook", pushOf(t, shaClean), headers)
			if r.Code != http.StatusForbidden || r.Raw != forbidden {
				t.Fatalf("got %d %s, want 403 %s", r.Code, r.Raw, forbidden)
			}
		})
	}
	r := h.post("Push Hook", pushOf(t, shaClean), map[string]string{gitlab.HeaderInstance: "https://example.com"})
	if r.Code != http.StatusOK {
		t.Fatalf("matching X-Gitlab-Instance refused: %d %s", r.Code, r.Raw)
	}
}

func TestWebhookMalformed(t *testing.T) {
	t.Parallel()
	h := newHarness(t, oneJob, config.Env{"SECBOT_MAX_BODY_BYTES": "65536"})
	tests := []struct {
		name, event, body string
		code              int
		wantCode, field   string
	}{
		{name: "broken json", event: "Push Hook", body: `{"ref": "refs/heads/main",`, code: 400, wantCode: "VALIDATION_FAILED"},
		{name: "missing project", event: "Push Hook", body: `{"ref":"refs/heads/main","before":"` + shaClean + `","after":"` + shaSecret + `"}`, code: 400, wantCode: "VALIDATION_FAILED", field: "project"},
		{name: "system hook without event name", event: "System Hook", body: `{}`, code: 400, wantCode: "VALIDATION_FAILED", field: "event_name"},
		{name: "deeply nested", event: "Push Hook", body: strings.Repeat(`[`, 20000) + strings.Repeat(`]`, 20000), code: 400, wantCode: "VALIDATION_FAILED"},
		{name: "NUL in a string", event: "Push Hook", body: hostilePush(`grp/app\u0000`), code: 400, wantCode: "VALIDATION_FAILED", field: "project.path_with_namespace"},
		{name: "invalid UTF-8", event: "Push Hook", body: hostilePush("grp/\xff\xfeapp"), code: 400, wantCode: "VALIDATION_FAILED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.post(tt.event, []byte(tt.body), nil)
			if r.Code != tt.code || r.Body["code"] != tt.wantCode {
				t.Fatalf("got %d %s, want %d %s", r.Code, r.Raw, tt.code, tt.wantCode)
			}
			if tt.code == 400 {
				if _, ok := r.Body["details"].([]any); !ok {
					t.Fatalf("details must be a list: %s", r.Raw)
				}
			}
			if tt.field != "" && !strings.Contains(r.Raw, `"field":"`+tt.field+`"`) {
				t.Fatalf("details do not name %q: %s", tt.field, r.Raw)
			}
		})
	}
}

// hostilePush is a push hook whose project path is path, as raw JSON text.
func hostilePush(path string) string {
	return `{"object_kind":"push","ref":"refs/heads/main","before":"` + shaClean + `","after":"` + shaSecret + `",
		"project":{"path_with_namespace":"` + path + `","web_url":"https://example.com/g/p","git_http_url":"https://example.com/g/p.git",
		"git_ssh_url":"git@example.com:g/p.git"}}`
}

func TestWebhookBodyLimit(t *testing.T) {
	t.Parallel()
	h := newHarness(t, oneJob, config.Env{"SECBOT_MAX_BODY_BYTES": "65536"})
	addr := strings.TrimPrefix(serve(t, h.receiver.App), "http://")
	// Headers only: the server answers from Content-Length alone and then
	// closes, so a client still writing a large body would see a reset
	// instead of the answer.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/gitlab/webhook HTTP/1.1\r\nHost: %s\r\n%s: %s\r\n%s: Push Hook\r\nContent-Type: application/json\r\nContent-Length: 70000\r\n\r\n",
		addr, gitlab.HeaderToken, hookToken, gitlab.HeaderEvent)
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&env)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || env["code"] != "PAYLOAD_TOO_LARGE" {
		t.Fatalf("got %d %v, want 413 PAYLOAD_TOO_LARGE", resp.StatusCode, env)
	}
}

func TestConcurrentDuplicateDeliveriesMakeOneCheck(t *testing.T) {
	t.Parallel()
	h := newHarness(t, oneJob, nil)
	h.startWorker()
	body := pushOf(t, shaSecret)
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := h.post("Push Hook", body, map[string]string{gitlab.HeaderIdempotencyKey: "delivery-1"})
			if r.Code != http.StatusOK || r.Body["security_check_id"] != checkIDOf(shaSecret) {
				t.Errorf("got %d %s", r.Code, r.Raw)
			}
		}()
	}
	wg.Wait()
	if got := h.waitAllTasks(checkIDOf(shaSecret)); got.Body["status"] != "fail" {
		t.Fatalf("status = %s", got.Raw)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, h.env["SECBOT_POSTGRES_DSN"])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var checks, deliveries int
	if err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM checks), (SELECT count(*) FROM deliveries)`).Scan(&checks, &deliveries); err != nil {
		t.Fatal(err)
	}
	if checks != 1 || deliveries != 1 {
		t.Fatalf("checks = %d, deliveries = %d; want 1 and 1", checks, deliveries)
	}
	if n := h.scanner.count(shaSecret); n != 1 {
		t.Fatalf("scanned %d times, want once", n)
	}
	if n := h.notifier.count(checkIDOf(shaSecret)); n != 1 {
		t.Fatalf("notified %d times, want once", n)
	}
	// Without an Idempotency-Key, an identical body is the same delivery.
	before := deliveries
	h.post("Push Hook", body, nil)
	h.post("Push Hook", body, nil)
	_ = conn.QueryRow(ctx, `SELECT count(*) FROM deliveries`).Scan(&deliveries)
	if deliveries != before+1 {
		t.Fatalf("two identical bodies without a key made %d new deliveries, want 1", deliveries-before)
	}
}

func TestTwoMatchingJobsIsAClearError(t *testing.T) {
	t.Parallel()
	cfg := oneJob + `
  - name: pushes to master
    rules:
      gitlab:
        event_type: push
        ref: refs/heads/master
    scans: [fake-scan]
`
	h := newHarness(t, cfg, nil)
	r := h.post("Push Hook", pushOf(t, shaClean), nil)
	if r.Code != http.StatusInternalServerError || r.Body["code"] != "JOB_CONFLICT" {
		t.Fatalf("got %d %s", r.Code, r.Raw)
	}
	msg, _ := r.Body["message"].(string)
	if !strings.Contains(msg, `"everything"`) || !strings.Contains(msg, `"pushes to master"`) {
		t.Fatalf("message does not name both jobs: %s", msg)
	}
	// A tag push matches only the first job and is accepted.
	if r := h.post("Tag Push Hook", hook(t, "webhooks/tag_push.json", nil), nil); r.Code != http.StatusOK {
		t.Fatalf("tag push: %d %s", r.Code, r.Raw)
	}
}

func TestNoMatchingJobIsIgnored(t *testing.T) {
	t.Parallel()
	cfg := strings.Replace(oneJob, "rules: {gitlab: null}", "rules: {gitlab: {event_type: merge_request}}", 1)
	h := newHarness(t, cfg, nil)
	r := h.post("Push Hook", pushOf(t, shaClean), nil)
	if r.Code != http.StatusOK || r.Raw != `{"status":"ok"}` {
		t.Fatalf("got %d %s", r.Code, r.Raw)
	}
}

func TestProbesMetricsAndDocs(t *testing.T) {
	t.Parallel()
	h := newHarness(t, oneJob, nil)
	get := func(app interface {
		Test(*http.Request, ...int) (*http.Response, error)
	}, path string) response {
		return do(t, app, httptest.NewRequest(http.MethodGet, path, nil))
	}
	for name, app := range map[string]interface {
		Test(*http.Request, ...int) (*http.Response, error)
	}{"receiver": h.receiver.App, "reporter": h.reporter.App} {
		t.Run(name, func(t *testing.T) {
			if r := get(app, "/ping"); r.Raw != `{"ping":"pong"}` {
				t.Fatalf("/ping = %s", r.Raw)
			}
			if r := get(app, "/healthz"); r.Code != 200 {
				t.Fatalf("/healthz = %d", r.Code)
			}
			if r := get(app, "/readyz"); r.Code != 200 {
				t.Fatalf("/readyz = %d %s", r.Code, r.Raw)
			}
			if r := get(app, "/openapi.json"); r.Code != 200 || r.Body["openapi"] != "3.0.3" {
				t.Fatalf("/openapi.json = %d %.200s", r.Code, r.Raw)
			}
			if r := get(app, "/docs"); r.Code != 200 || !strings.Contains(r.Raw, "/v1/") || strings.Contains(r.Raw, "https://") {
				t.Fatalf("/docs must list the /v1 routes and load nothing from elsewhere: %d %.300s", r.Code, r.Raw)
			}
		})
	}
	h.post("Push Hook", pushOf(t, shaClean), map[string]string{gitlab.HeaderToken: "bad"})
	h.post("Push Hook", pushOf(t, shaClean), nil)
	m := get(h.receiver.App, "/metrics").Raw
	for _, want := range []string{`secbot_hooks_total{event="push",outcome="forbidden"} 1`, `secbot_hooks_total{event="push",outcome="accepted"} 1`, "secbot_hook_duration_seconds_count 2"} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	h.redis.Stop()
	if r := get(h.receiver.App, "/readyz"); r.Code != http.StatusServiceUnavailable || !strings.Contains(r.Raw, "Redis") {
		t.Fatalf("/readyz with Redis down = %d %s", r.Code, r.Raw)
	}
	h.redis.Start()
}

func TestDocsDisabled(t *testing.T) {
	t.Parallel()
	h := newHarness(t, oneJob, config.Env{"DOCS_ENABLE": "false"})
	for _, path := range []string{"/docs", "/openapi.json"} {
		r := do(t, h.reporter.App, httptest.NewRequest(http.MethodGet, path, nil))
		if r.Code != http.StatusNotFound {
			t.Fatalf("%s with DOCS_ENABLE=false = %d", path, r.Code)
		}
	}
}

func TestReporterServesTheFindingsAPI(t *testing.T) {
	t.Parallel()
	h := newHarness(t, oneJob, nil)
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("scan_type", "Gitleaks Scan")
	_ = w.WriteField("product_name", "group/app")
	_ = w.WriteField("engagement_name", "main")
	_ = w.WriteField("auto_create_context", "True")
	part, _ := w.CreateFormFile("file", "gitleaks.json")
	part.Write([]byte(`[{"Description":"AWS","StartLine":2,"Secret":"REDACTED","File":"a.tf","RuleID":"aws-access-token"}]`))
	w.Close()
	req := httptest.NewRequest(http.MethodPost, "/api/v2/import-scan/", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Token "+dojoToken)
	if r := do(t, h.reporter.App, req); r.Code != http.StatusCreated || r.Body["test_id"] == nil {
		t.Fatalf("import with DEFECTDOJO__TOKEN: %d %s", r.Code, r.Raw)
	}
}

func TestReceiverRefusesUnknownHandlers(t *testing.T) {
	t.Parallel()
	h := newHarness(t, oneJob, nil)
	path := filepath.Join(t.TempDir(), "config.yml")
	if err := os.WriteFile(path, []byte(strings.Replace(oneJob, "{handler_name: fake-scan}", "{handler_name: trufflehog}", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	h.env["SECBOT_CONFIG"] = path
	_, err := service.NewReceiver(context.Background(), h.base("receiver"), h.registry())
	if err == nil || !strings.Contains(err.Error(), `components.fake-scan.handler_name: "trufflehog" is not a known scan handler`) {
		t.Fatalf("err = %v", err)
	}
}
