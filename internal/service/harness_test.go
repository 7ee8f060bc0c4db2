package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/gitlab"
	"github.com/secbot/secbot/internal/handler"
	"github.com/secbot/secbot/internal/scan/command"
	"github.com/secbot/secbot/internal/service"
	"github.com/secbot/secbot/internal/testenv"
	"github.com/secbot/secbot/internal/testenv/fixtures"
)

const (
	dojoToken = "feedfacefeedfacefeedfacefeedfacefeedface"
	hookToken = "test-webhook-secret"
	prefix    = "tst"
	hooks     = "gitlab/"
)

// Commits whose scans behave in a known way (see fakeScanner).
const (
	shaClean     = "1111111111111111111111111111111111111111"
	shaSecret    = "2222222222222222222222222222222222222222"
	shaHold      = "3333333333333333333333333333333333333333"
	shaFlaky     = "4444444444444444444444444444444444444444"
	shaPermanent = "5555555555555555555555555555555555555555"
	shaReport    = "6666666666666666666666666666666666666666"
	shaFailOnce  = "7777777777777777777777777777777777777777"
)

// reportOne is a redacted gitleaks report with one finding.
const reportOne = `[{"Description":"GitLab Personal Access Token","StartLine":2,"Secret":"REDACTED","Match":"t = REDACTED","File":"app/.env","Commit":"6666666666666666666666666666666666666666","RuleID":"gitlab-pat"}]`

const oneJob = `
version: 1.0
components:
  fake-scan: {handler_name: fake-scan}
  fake-output: {handler_name: fake-output}
  fake-notify: {handler_name: fake-notify}
jobs:
  - name: everything
    rules: {gitlab: null}
    scans: [fake-scan]
    outputs: [fake-output]
    notifications: [fake-notify]
`

// fakeScanner reports per commit: shaSecret has an active finding, shaHold
// waits for release, shaFlaky fails once with a transient error,
// shaPermanent fails for good; any other commit is clean.
type fakeScanner struct {
	mu      sync.Mutex
	calls   map[string]int
	release chan struct{}
}

func (s *fakeScanner) Scan(ctx context.Context, req *handler.Request) (handler.Result, error) {
	s.mu.Lock()
	s.calls[req.Event.CommitSHA]++
	n := s.calls[req.Event.CommitSHA]
	s.mu.Unlock()
	switch req.Event.CommitSHA {
	case shaSecret:
		return handler.Result{Findings: 1, ActiveFindings: 1}, nil
	case shaHold:
		select {
		case <-s.release:
		case <-ctx.Done():
			return handler.Result{}, ctx.Err()
		}
	case shaFlaky:
		if n == 1 {
			return handler.Result{}, errors.New("connection reset by GitLab")
		}
		return handler.Result{Findings: 2, ActiveFindings: 1}, nil
	case shaPermanent:
		return handler.Result{}, handler.Permanent(errors.New("commit does not exist"))
	case shaFailOnce:
		if n == 1 {
			return handler.Result{}, handler.Permanent(errors.New("GitLab refused the token"))
		}
	case shaReport:
		return handler.Result{Findings: 1, ActiveFindings: 1, ScanType: "Gitleaks Scan", Data: json.RawMessage(reportOne)}, nil
	}
	return handler.Result{}, nil
}

func (s *fakeScanner) count(sha string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[sha]
}

// passOutput forwards its scan's counts, as a findings service would.
type passOutput struct{}

func (passOutput) Export(_ context.Context, req *handler.Request) (handler.Result, error) {
	return req.Inputs[0].Result, nil
}

// countingNotifier sends one message per check, as the real notifiers
// do with their marks, and records the events it ran for.
type countingNotifier struct {
	mu     sync.Mutex
	calls  map[string]int
	events map[string][]gitlab.EventType
}

func (n *countingNotifier) Notify(ctx context.Context, req *handler.Request) (handler.Result, error) {
	first, err := req.Marks.Swap(ctx, "message", "sent")
	if err != nil {
		return handler.Result{}, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.events[req.Check.ID] = append(n.events[req.Check.ID], req.Event.Type)
	if first {
		n.calls[req.Check.ID]++
	}
	return handler.Result{}, nil
}

func (n *countingNotifier) eventsOf(id string) []gitlab.EventType {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]gitlab.EventType(nil), n.events[id]...)
}

func (n *countingNotifier) count(id string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.calls[id]
}

type harness struct {
	t        *testing.T
	env      config.Env
	receiver *service.Server
	reporter *service.Reporter
	scanner  *fakeScanner
	notifier *countingNotifier
	redis    *testenv.Proxy
	logs     *bytes.Buffer
}

// newHarness starts a receiver and a reporter on a fresh database, with
// Redis behind a proxy the test can cut; startWorker adds a worker.
func newHarness(t *testing.T, configYAML string, extraEnv config.Env) *harness {
	t.Helper()
	_, dsn := testenv.Store(t)
	redisURL := testenv.RedisURL(t)
	proxy := testenv.NewProxy(t, testenv.RedisAddr())
	db := redisURL[strings.LastIndex(redisURL, "/")+1:]
	cfgPath := filepath.Join(t.TempDir(), "config.yml")
	if err := os.WriteFile(cfgPath, []byte(configYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	env := config.Env{
		"GITLAB_CONFIGS":        fmt.Sprintf(`[{"host":"https://example.com","webhook_secret_token":%q,"auth_token":"api-token","prefix":%q}]`, hookToken, prefix),
		"SECBOT_POSTGRES_DSN":   dsn,
		"CELERY_BROKER_URL":     "redis://" + proxy.Addr + "/" + db,
		"SECBOT_CONFIG":         cfgPath,
		"SECBOT_SWEEP_INTERVAL": "300ms",
		"SECBOT_WORKER_ADDR":    "127.0.0.1:0",
		"SECBOT_LOG_LEVEL":      "debug",
		"DEFECTDOJO__TOKEN":     dojoToken,
	}
	for k, v := range extraEnv {
		env[k] = v
	}
	h := &harness{t: t, env: env, redis: proxy, logs: &bytes.Buffer{},
		scanner:  &fakeScanner{calls: map[string]int{}, release: make(chan struct{})},
		notifier: &countingNotifier{calls: map[string]int{}, events: map[string][]gitlab.EventType{}}}
	ctx, cancel := context.WithCancel(context.Background())
	var err error
	reg := h.registry(
		handler.Scan("gitleaks", nil, func(config.Component) (handler.Scanner, error) { return h.scanner, nil }),
		handler.Scan("command", command.Check, func(config.Component) (handler.Scanner, error) { return h.scanner, nil }),
		handler.Export("defectdojo", nil, func(config.Component) (handler.Output, error) { return passOutput{}, nil }))
	if h.receiver, err = service.NewReceiver(ctx, h.base("receiver"), reg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.receiver.Close)
	if h.reporter, err = service.NewReporter(ctx, h.base("reporter")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.reporter.Close)
	t.Cleanup(cancel) // runs first: stops the listener before the pools close
	go h.reporter.Reporter.Run(ctx, h.reporter.Store)
	return h
}

// base builds a process's Base from the harness environment, logging into
// the harness's buffer.
func (h *harness) base(name string) *service.Base {
	h.t.Helper()
	b, err := service.FromEnv(name, h.env)
	if err != nil {
		h.t.Fatal(err)
	}
	b.Log = slog.New(slog.NewTextHandler(syncWriter{mu: &logMu, w: h.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return b
}

var logMu sync.Mutex

type syncWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (s syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// registry is the table of the fake handlers and the real ones extra names.
func (h *harness) registry(extra ...handler.Plugin) *handler.Registry {
	return handler.NewRegistry(append([]handler.Plugin{
		handler.Scan("fake-scan", nil, func(config.Component) (handler.Scanner, error) { return h.scanner, nil }),
		handler.Export("fake-output", nil, func(config.Component) (handler.Output, error) { return passOutput{}, nil }),
		handler.Notify("fake-notify", nil, func(config.Component) (handler.Notifier, error) { return h.notifier, nil }),
	}, extra...)...)
}

// startWorker runs a worker with the fake handlers until the test ends.
func (h *harness) startWorker() { h.startWorkerWith(h.registry()) }

// startWorkerWith runs a worker with reg's handlers until the test ends.
func (h *harness) startWorkerWith(reg *handler.Registry) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- service.RunWorker(ctx, h.base("worker"), reg) }()
	h.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			h.t.Errorf("worker: %v", err)
		}
	})
}

// hook reads a fixture and applies edits to its JSON object.
func hook(t *testing.T, name string, edit func(map[string]any)) []byte {
	t.Helper()
	data, err := fixtures.ReadFile(hooks + name)
	if err != nil {
		t.Fatal(err)
	}
	if edit == nil {
		return data
	}
	var body map[string]any
	if err := json.Unmarshal(data, &body); err != nil {
		t.Fatal(err)
	}
	edit(body)
	out, _ := json.Marshal(body)
	return out
}

// pushOf is the push webhook fixture for commit sha.
func pushOf(t *testing.T, sha string) []byte {
	return hook(t, "webhooks/push.json", func(b map[string]any) { b["after"] = sha; b["checkout_sha"] = sha })
}

// checkIDOf is the id the pipeline of the push fixture's project computes.
func checkIDOf(sha string) string {
	return gitlab.SecurityCheckID(prefix, "git@example.com:mike/diaspora.git", sha)
}

type response struct {
	Code int
	Body map[string]any
	Raw  string
}

func do(t *testing.T, app interface {
	Test(*http.Request, ...int) (*http.Response, error)
}, req *http.Request) response {
	t.Helper()
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{Code: resp.StatusCode, Raw: string(raw)}
	_ = json.Unmarshal(raw, &r.Body)
	return r
}

// post sends a hook to the receiver; headers holds extra or replacement
// headers (an empty value removes one).
func (h *harness) post(event string, body []byte, headers map[string]string) response {
	h.t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/v1/gitlab/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(gitlab.HeaderToken, hookToken)
	req.Header.Set(gitlab.HeaderEvent, event)
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	return do(h.t, h.receiver.App, req)
}

// status asks the reporter, with ?wait= when wait is not empty.
func (h *harness) status(id, wait string) response {
	h.t.Helper()
	url := "/v1/security/gitlab/check/" + id
	if wait != "" {
		url += "?wait=" + wait
	}
	return do(h.t, h.reporter.App, httptest.NewRequest(http.MethodGet, url, nil))
}

// waitStatus waits (bounded) until the check is final and returns it.
func (h *harness) waitStatus(id string) response {
	h.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		r := h.status(id, "20s")
		switch r.Body["status"] {
		case "success", "fail", "error":
			return r
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("check %s not final after 60s: %s\nlogs:\n%s", id, r.Raw, h.logText())
		}
	}
}

func (h *harness) logText() string {
	logMu.Lock()
	defer logMu.Unlock()
	return h.logs.String()
}

// waitAllTasks waits (bounded) until every task of the check, notifications
// included, is final.
func (h *harness) waitAllTasks(id string) response {
	h.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		r := h.waitStatus(id)
		tasks, _ := r.Body["tasks"].([]any)
		final := len(tasks) > 0
		for _, task := range tasks {
			switch task.(map[string]any)["state"] {
			case "done", "failed", "skipped":
			default:
				final = false
			}
		}
		if final {
			return r
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("tasks of %s not final after 60s: %s", id, r.Raw)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// serve runs app on a loopback port for tests that need a real connection.
func serve(t *testing.T, app interface{ Listener(net.Listener) error }) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { ln.Close() })
	return "http://" + ln.Addr().String()
}
