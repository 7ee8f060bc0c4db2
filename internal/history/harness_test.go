package history_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/handler"
	"github.com/secbot/secbot/internal/history"
	"github.com/secbot/secbot/internal/output/defectdojo"
	"github.com/secbot/secbot/internal/scan/gitleaks"
	"github.com/secbot/secbot/internal/service"
	"github.com/secbot/secbot/internal/store"
	"github.com/secbot/secbot/internal/testenv"
)

const (
	adminToken = "feedfacefeedfacefeedfacefeedfacefeedface"
	apiToken   = "glpat-SecBotHistoryToken001"
	hookToken  = "history-webhook-secret"
	prefix     = "hst"
)

// jobYAML scans with the real gitleaks into the reporter's findings
// service, and has a notifier that counts what it is asked to send.
const jobYAML = `
components:
  secrets:
    handler_name: gitleaks
    config: {cache_dir: %[1]q}
  dojo:
    handler_name: defectdojo
    config: {url: %[2]q, secret_key: %[3]q, minimum_severity: Low}
  count: {handler_name: count}
jobs:
  - name: everything
    rules: {gitlab: null}
    scans: [secrets]
    outputs: [dojo]
    notifications: [count]
`

// stack is SecBot's reporter and (when started) worker on a database and
// Redis of their own, against a GitLab stand-in: git over HTTP and the
// API's project listing.
type stack struct {
	t        *testing.T
	git      *testenv.GitServer
	env      config.Env
	reporter *service.Reporter
	url      string
	scans    *countingScans
	notified *counter
	logs     *testenv.Logs

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan error
}

func newStack(t *testing.T, extraEnv config.Env) *stack {
	t.Helper()
	git := testenv.NewGitServer(t, apiToken)
	_, dsn := testenv.Store(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	cfgPath := filepath.Join(t.TempDir(), "config.yml")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf(jobYAML, t.TempDir(), url, adminToken)), 0o600); err != nil {
		t.Fatal(err)
	}
	env := config.Env{
		"GITLAB_CONFIGS": fmt.Sprintf(`[{"host":%q,"webhook_secret_token":%q,"auth_token":%q,"prefix":%q}]`,
			git.Server.URL, hookToken, apiToken, prefix),
		"SECBOT_POSTGRES_DSN":     dsn,
		"CELERY_BROKER_URL":       testenv.RedisURL(t),
		"SECBOT_CONFIG":           cfgPath,
		"SECBOT_SWEEP_INTERVAL":   "500ms",
		"SECBOT_HISTORY_INTERVAL": "100ms",
		"SECBOT_WORKER_ADDR":      "127.0.0.1:0",
		"SECBOT_LOG_LEVEL":        "debug",
		"DEFECTDOJO__TOKEN":       adminToken,
	}
	for k, v := range extraEnv {
		env[k] = v
	}
	s := &stack{t: t, git: git, env: env, url: url, scans: &countingScans{calls: map[string]int{}}, notified: &counter{},
		logs: &testenv.Logs{}}
	ctx, cancel := context.WithCancel(context.Background())
	if s.reporter, err = service.NewReporter(ctx, s.base("reporter")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.reporter.Close)
	t.Cleanup(cancel)
	go func() { _ = s.reporter.App.Listener(ln) }()
	t.Cleanup(func() { _ = s.reporter.App.Shutdown() })
	t.Cleanup(s.stopWorker)
	return s
}

func (s *stack) base(name string) *service.Base {
	s.t.Helper()
	b, err := service.FromEnv(name, s.env)
	if err != nil {
		s.t.Fatal(err)
	}
	b.Log = slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug})).With("service", name)
	b.Stderr = s.logs
	return b
}

// startWorker runs a worker, the real gitleaks scan counted per commit.
func (s *stack) startWorker() {
	s.t.Helper()
	reg := handler.NewRegistry(
		handler.Scan("gitleaks", nil, func(c config.Component) (handler.Scanner, error) {
			real, err := gitleaks.New(c)
			if err != nil {
				return nil, err
			}
			return s.scans.wrap(real), nil
		}),
		handler.Export(defectdojo.HandlerName, nil, defectdojo.New),
		handler.Notify("count", nil, func(config.Component) (handler.Notifier, error) { return s.notified, nil }))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- service.RunWorker(ctx, s.base("worker"), reg) }()
	s.mu.Lock()
	s.cancel, s.done = cancel, done
	s.mu.Unlock()
}

// stopWorker stops the worker as a restart does, waiting for it to end.
func (s *stack) stopWorker() {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.cancel, s.done = nil, nil
	s.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	if err := <-done; err != nil {
		s.t.Errorf("worker: %v", err)
	}
}

// call sends a request to the reporter with the admin's token (token ""
// sends none) and decodes the answer into out.
func (s *stack) call(method, path, token string, body any, out any) int {
	s.t.Helper()
	var r io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.url+path, r)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Token "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			s.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode
}

// start asks for a history scan and returns its id.
func (s *stack) start(req history.Request) int64 {
	s.t.Helper()
	var rep history.Report
	if code := s.call(http.MethodPost, history.Path, adminToken, req, &rep); code != http.StatusAccepted || rep.ID == 0 {
		s.t.Fatalf("POST %s = %d %+v", history.Path, code, rep)
	}
	return rep.ID
}

func (s *stack) report(id int64) history.Report {
	s.t.Helper()
	var rep history.Report
	if code := s.call(http.MethodGet, fmt.Sprintf("%s/%d", history.Path, id), adminToken, nil, &rep); code != http.StatusOK {
		s.t.Fatalf("GET history scan %d = %d", id, code)
	}
	return rep
}

// waitFor polls the run's report until until holds (at most a minute).
func (s *stack) waitFor(id int64, what string, until func(history.Report) bool) history.Report {
	s.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		rep := s.report(id)
		if until(rep) {
			return rep
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("history scan %d: not %s after a minute: %+v\nlogs:\n%s", id, what, rep, s.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *stack) waitEnded(id int64) history.Report {
	return s.waitFor(id, "ended", func(r history.Report) bool { return !r.Active() })
}

func (s *stack) projects(id int64) []store.HistoryProject {
	s.t.Helper()
	list, err := s.reporter.Store.HistoryProjects(context.Background(), id, "", 1000)
	if err != nil {
		s.t.Fatal(err)
	}
	return list
}

// countingScans counts the scans of each commit.
type countingScans struct {
	mu    sync.Mutex
	calls map[string]int
}

func (c *countingScans) wrap(real handler.Scanner) handler.Scanner {
	return scanFunc(func(ctx context.Context, req *handler.Request) (handler.Result, error) {
		c.mu.Lock()
		c.calls[req.Event.CommitSHA]++
		c.mu.Unlock()
		return real.Scan(ctx, req)
	})
}

func (c *countingScans) of(sha string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[sha]
}

func (c *countingScans) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.calls {
		n += v
	}
	return n
}

type scanFunc func(ctx context.Context, req *handler.Request) (handler.Result, error)

func (f scanFunc) Scan(ctx context.Context, req *handler.Request) (handler.Result, error) {
	return f(ctx, req)
}

// counter is a notifier that counts the checks it was asked to notify.
type counter struct {
	mu     sync.Mutex
	checks []string
}

func (n *counter) Notify(_ context.Context, req *handler.Request) (handler.Result, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.checks = append(n.checks, req.Check.ID)
	return handler.Result{}, nil
}

func (n *counter) list() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.checks...)
}

// secretRepo makes a project whose default branch's history, not its
// head, holds a GitLab token: added in one commit, removed in the next.
func secretRepo(t *testing.T, git *testenv.GitServer, path string, n int) string {
	t.Helper()
	repo := git.NewRepo(t, path)
	repo.Commit("initial", map[string]string{"README.md": "# " + path + "\n"})
	repo.Commit("config", map[string]string{"deploy.env": fmt.Sprintf("TOKEN=\"glpat-Xk9vQ2mT7pLr4sW%05d\"\n", n)})
	head := repo.Commit("remove the token", map[string]string{"deploy.env": ""})
	repo.Push("main")
	return head
}

// cleanRepo makes a project with a few clean commits.
func cleanRepo(t *testing.T, git *testenv.GitServer, path string) string {
	t.Helper()
	repo := git.NewRepo(t, path)
	repo.Commit("initial", map[string]string{"README.md": "# " + path + "\n"})
	head := repo.Commit("docs", map[string]string{"docs/intro.md": "# intro\n"})
	repo.Push("main")
	return head
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
