// Package demo shows SecBot catching a planted secret end to end on one
// machine, with stand-ins for GitLab (git over HTTP behind token auth) and
// Slack (a server that keeps the message): `make demo`.
package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
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
	"time"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/gitlab/gitserver"
	"github.com/secbot/secbot/internal/handlers"
	"github.com/secbot/secbot/internal/service"
	"github.com/secbot/secbot/internal/store"
)

// Options say where the demo keeps its state.
type Options struct {
	// AdminDSN is a PostgreSQL server where the demo may create Database.
	AdminDSN string
	Database string
	// RedisURL is a Redis database the demo may use alone.
	RedisURL string
}

// Result is what the demo saw.
type Result struct {
	Verdict      string
	Findings     int
	SlackMessage string
}

const (
	hookSecret = "secbot-demo-webhook-token"
	apiToken   = "glpat-DemoInstanceToken001"
	dojoToken  = "de110de110de110de110de110de110de110de110"
)

// Run runs the demo, telling the story on out.
func Run(ctx context.Context, out io.Writer, opt Options) (Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	dir, err := os.MkdirTemp("", "secbot-demo-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(dir)
	say := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }

	dsn, err := store.CreateDatabase(ctx, opt.AdminDSN, opt.Database)
	if err != nil {
		return Result{}, err
	}
	gitRoot := filepath.Join(dir, "gitlab")
	gitHandler, err := gitserver.Handler(gitRoot, apiToken, nil)
	if err != nil {
		return Result{}, err
	}
	gitlabSrv := httptest.NewServer(gitHandler)
	defer gitlabSrv.Close()
	slack := &slackStandIn{}
	slackSrv := httptest.NewServer(slack)
	defer slackSrv.Close()
	say("1. A stand-in GitLab serves git at %s (token required); a stand-in Slack listens at %s.", gitlabSrv.URL, slackSrv.URL)

	receiverAddr, reporterAddr, workerAddr := freeAddr(), freeAddr(), freeAddr()
	reporter := "http://" + reporterAddr
	cfgPath := filepath.Join(dir, "config.yml")
	cfg := fmt.Sprintf(`version: 1.0
components:
  gitleaks: {handler_name: gitleaks, config: {cache_dir: %q}}
  defectdojo: {handler_name: defectdojo, config: {url: %q, secret_key: %q}}
  slack: {handler_name: slack, config: {token: xoxb-demo, channels: [secbot-demo], api_url: %q}}
jobs:
  - name: demo
    rules: {gitlab: null}
    scans: [gitleaks]
    outputs: [defectdojo]
    notifications: [slack]
`, filepath.Join(dir, "mirrors"), reporter, dojoToken, slackSrv.URL+"/api/")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return Result{}, err
	}
	env := config.Env{
		"GITLAB_CONFIGS":       fmt.Sprintf(`[{"host":%q,"webhook_secret_token":%q,"auth_token":%q,"prefix":"secbot"}]`, gitlabSrv.URL, hookSecret, apiToken),
		"SECBOT_POSTGRES_DSN":  dsn,
		"SECBOT_REDIS_URL":     opt.RedisURL,
		"SECBOT_CONFIG":        cfgPath,
		"SECBOT_RECEIVER_ADDR": receiverAddr,
		"SECBOT_REPORTER_ADDR": reporterAddr,
		"SECBOT_WORKER_ADDR":   workerAddr,
		"DEFECTDOJO__TOKEN":    dojoToken,
	}
	if err := start(ctx, env); err != nil {
		return Result{}, err
	}
	say("2. SecBot runs: receiver http://%s, reporter %s, worker probes http://%s.", receiverAddr, reporter, workerAddr)

	before, after, secret, err := makeRepository(dir, gitRoot)
	if err != nil {
		return Result{}, err
	}
	say("3. Pushed demo/app: commit %s adds config/settings.env with a GitLab token (%s…).", after[:12], secret[:10])

	id, err := postHook(ctx, "http://"+receiverAddr, gitlabSrv.URL, before, after)
	if err != nil {
		return Result{}, err
	}
	say("4. GitLab's push hook reached the receiver: security_check_id %s", id)

	var res Result
	var check struct {
		Status string `json:"status"`
	}
	start := time.Now()
	if err := getJSON(ctx, reporter+"/v1/security/gitlab/check/"+id+"?wait=90s", "", &check); err != nil {
		return res, err
	}
	res.Verdict = check.Status
	say("5. The pipeline gate asked once with ?wait= and got %q after %s.", check.Status, time.Since(start).Round(time.Millisecond))

	var list struct {
		Results []struct {
			ID       int    `json:"id"`
			Title    string `json:"title"`
			Severity string `json:"severity"`
			FilePath string `json:"file_path"`
			Line     int    `json:"line"`
		} `json:"results"`
	}
	if err := getJSON(ctx, reporter+"/api/v2/findings/?test__tags="+after, dojoToken, &list); err != nil {
		return res, err
	}
	res.Findings = len(list.Results)
	for _, f := range list.Results {
		say("   finding: [%s] %s (%s:%d) %s/finding/%d", f.Severity, f.Title, f.FilePath, f.Line, reporter, f.ID)
	}
	res.SlackMessage = slack.wait(ctx, 20*time.Second)
	say("6. Slack got this message in #secbot-demo:\n\n%s\n", indent(res.SlackMessage))
	if strings.Contains(res.SlackMessage, secret) {
		return res, fmt.Errorf("the Slack message contains the secret")
	}
	return res, nil
}

// start runs the three processes in this one process until ctx ends,
// each ready before the next starts.
func start(ctx context.Context, env config.Env) error {
	procs := []struct {
		name, addr string
		run        func(*service.Base) error
	}{
		{"reporter", env["SECBOT_REPORTER_ADDR"], func(b *service.Base) error { return service.RunReporter(ctx, b) }},
		{"receiver", env["SECBOT_RECEIVER_ADDR"], func(b *service.Base) error { return service.RunReceiver(ctx, b, handlers.Registry()) }},
		{"worker", env["SECBOT_WORKER_ADDR"], func(b *service.Base) error { return service.RunWorker(ctx, b, handlers.Registry()) }},
	}
	for _, p := range procs {
		b, err := service.FromEnv(p.name, env)
		if err != nil {
			return err
		}
		b.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
		errc := make(chan error, 1)
		go func() { errc <- p.run(b) }()
		if err := waitReady(ctx, "http://"+p.addr+"/readyz", errc); err != nil {
			return fmt.Errorf("starting the %s: %w", p.name, err)
		}
	}
	return nil
}

func waitReady(ctx context.Context, url string, errc <-chan error) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-errc:
			return fmt.Errorf("exited: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return fmt.Errorf("not ready after 60s")
}

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "127.0.0.1:0"
	}
	defer ln.Close()
	return ln.Addr().String()
}

func randomToken() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return "glpat-" + hex.EncodeToString(b)
}

func getJSON(ctx context.Context, url, token string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Token "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("GET %s: %s %s", url, resp.Status, body)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n    ")
}

// slackStandIn answers chat.postMessage like Slack and keeps the text.
type slackStandIn struct {
	mu   sync.Mutex
	text string
}

func (s *slackStandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	s.mu.Lock()
	s.text = r.Form.Get("text")
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{"ok":true,"channel":"C0DEMO","ts":"1700000000.000100"}`)
}

func (s *slackStandIn) wait(ctx context.Context, d time.Duration) string {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		s.mu.Lock()
		text := s.text
		s.mu.Unlock()
		if text != "" {
			return text
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "(no message: nothing new to report)"
}
