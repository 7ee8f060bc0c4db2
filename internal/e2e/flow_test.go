package e2e_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/secbot/secbot/internal/testenv"
)

const (
	hookSecret = "e2e-webhook-secret-0001"
	dojoToken  = "e2e0e2e0e2e0e2e0e2e0e2e0e2e0e2e0e2e0e2e0"
	slackToken = "xoxb-e2e-slack-token-0001"
	// adminPassword signs in to the findings pages.
	adminPassword = "e2e admin password"
	prefix        = "e2e"
	projectID     = 101
	mrIID         = 3
)

// stack is SecBot's three processes with their stand-ins.
type stack struct {
	t          testing.TB
	git        *testenv.GitServer
	slack      *testenv.SlackAPI
	apiToken   string
	receiver   string
	reporter   string
	processes  []*process
	db         *testenv.DB
	repo       *testenv.Repo
	projectKey string
	// env is the processes' environment, for starting more of them.
	env map[string]string
	// redis and postgres are the proxies the processes reach them
	// through, when the stack was made with them (fault tests).
	redis, postgres *testenv.Proxy
}

// stackOptions vary the stack for fault tests.
type stackOptions struct {
	workers int // default 1
	// proxies puts PostgreSQL and Redis behind proxies a test can cut.
	proxies bool
	// dojo, when set, stands between the defectdojo output and the
	// findings API (a slow or failing DefectDojo).
	dojo func(next http.Handler) http.Handler
	// gitleaks is more of the gitleaks component's config ("revoke: true"),
	// gate the job's gate ("{validity: [valid]}"), env more environment
	// (the secrets' providers' proxy).
	gitleaks, gate string
	env            []string
}

func newStack(t testing.TB) *stack { return newStackWith(t, stackOptions{}) }

func newStackWith(t testing.TB, opt stackOptions) *stack {
	s := &stack{t: t, apiToken: "glpat-" + randomHex(10)}
	s.git = testenv.NewGitServer(t, s.apiToken)
	s.slack = testenv.NewSlackAPI(t, slackToken)
	receiverAddr, reporterAddr := freeAddr(t), freeAddr(t)
	s.receiver, s.reporter = "http://"+receiverAddr, "http://"+reporterAddr

	dojoURL := s.reporter
	if opt.dojo != nil {
		target, _ := url.Parse(s.reporter)
		front := httptest.NewServer(opt.dojo(httputil.NewSingleHostReverseProxy(target)))
		t.Cleanup(front.Close)
		dojoURL = front.URL
	}
	st, dsn := testenv.Store(t)
	s.db = &testenv.DB{Pool: st.Pool()}
	redisURL := testenv.RedisURL(t)
	if opt.proxies {
		s.redis = testenv.NewProxy(t, testenv.RedisAddr())
		redisURL = "redis://" + s.redis.Addr + redisURL[strings.LastIndex(redisURL, "/"):]
		u, _ := url.Parse(dsn)
		s.postgres = testenv.NewProxy(t, u.Host)
		u.Host = s.postgres.Addr
		dsn = u.String()
	}
	cfg := filepath.Join(t.TempDir(), "config.yml")
	yaml := fmt.Sprintf(`version: 1.0
components:
  gitleaks: {handler_name: gitleaks, config: {cache_dir: %q%s}}
  defectdojo:
    handler_name: defectdojo
    env: {url: DEFECTDOJO__URL, secret_key: DEFECTDOJO__TOKEN, user: DEFECTDOJO__USER, lead_id: DEFECTDOJO__USER_ID}
  slack:
    handler_name: slack
    config: {channels: [secbot-a, secbot-b], api_url: %q}
    env: {token: SLACK_TOKEN}
  gitlab: {handler_name: gitlab, config: {reporter_url: %q}}
jobs:
  - name: everything
    rules: {gitlab: null}
    scans: [gitleaks]
    outputs: [defectdojo]
    notifications: [slack, gitlab]
%s`, t.TempDir(), gitleaksExtra(opt.gitleaks), s.slack.URL, s.reporter, gateOf(opt.gate))
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"GITLAB_CONFIGS": fmt.Sprintf(`[{"host":%q,"webhook_secret_token":%q,"auth_token":%q,"admin_token":%q,"prefix":%q}]`,
			s.git.Server.URL, hookSecret, s.apiToken, s.apiToken, prefix),
		"SECBOT_POSTGRES_DSN":   strings.Replace(dsn, "postgres://", "postgresql+asyncpg://", 1),
		"CELERY_BROKER_URL":     redisURL,
		"SECBOT_CONFIG":         cfg,
		"SECBOT_RECEIVER_ADDR":  receiverAddr,
		"SECBOT_REPORTER_ADDR":  reporterAddr,
		"SECBOT_WORKER_ADDR":    freeAddr(t),
		"SECBOT_SWEEP_INTERVAL": "1s",
		"DEFECTDOJO__URL":       dojoURL,
		"DEFECTDOJO__TOKEN":     dojoToken,
		"DEFECTDOJO__USER":      "admin",
		"DEFECTDOJO__USER_ID":   "1",
		"SLACK_TOKEN":           slackToken,
		"SECBOT_ADMIN_PASSWORD": adminPassword,
		"SECBOT_LOG_LEVEL":      "debug",
	}
	for _, kv := range opt.env {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	s.env = env
	s.processes = append(s.processes,
		startProcess(t, "reporter", env, s.reporter+"/readyz"),
		startProcess(t, "receiver", env, s.receiver+"/readyz"))
	for range max(opt.workers, 1) {
		s.startWorker()
	}

	s.repo = s.git.NewRepo(t, "grp/app")
	s.projectKey = strings.TrimPrefix(s.git.Server.URL, "http://") + ":grp/app"
	return s
}

func gitleaksExtra(s string) string {
	if s == "" {
		return ""
	}
	return ", " + s
}

func gateOf(s string) string {
	if s == "" {
		return ""
	}
	return "    gate: " + s + "\n"
}

// startWorker starts one more worker process.
func (s *stack) startWorker() *process {
	s.t.Helper()
	env := maps.Clone(s.env)
	env["SECBOT_WORKER_ADDR"] = freeAddr(s.t)
	p := startProcess(s.t, "worker", env, "http://"+env["SECBOT_WORKER_ADDR"]+"/readyz")
	s.processes = append(s.processes, p)
	return p
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *stack) project() map[string]any {
	u := s.git.Server.URL
	return map[string]any{"id": projectID, "path_with_namespace": "grp/app", "web_url": u + "/grp/app", "default_branch": "main",
		"git_http_url": u + "/grp/app.git", "git_ssh_url": "git@" + strings.TrimPrefix(u, "http://") + ":grp/app.git"}
}

// push sends GitLab's push hook for before..after on main.
func (s *stack) push(before, after string) string {
	var body map[string]any
	_ = json.Unmarshal(s.pushBody(before, after), &body)
	return s.hook("Push Hook", body)
}

// pushBody is GitLab's push hook for before..after on main.
func (s *stack) pushBody(before, after string) []byte {
	raw, _ := json.Marshal(map[string]any{"object_kind": "push", "event_name": "push", "before": before, "after": after,
		"ref": "refs/heads/main", "checkout_sha": after, "user_name": "Dev", "project_id": projectID,
		"total_commits_count": 1, "project": s.project()})
	return raw
}

// post sends a hook body as GitLab does, with its delivery key, and
// returns the answer whatever it is.
func (s *stack) post(event string, body []byte, key string) (int, string) {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.receiver+"/v1/gitlab/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Gitlab-Token", hookSecret)
	req.Header.Set("X-Gitlab-Event", event)
	req.Header.Set("Idempotency-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("posting a hook: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// mergeRequest sends GitLab's merge request hook for the branch at sha.
func (s *stack) mergeRequest(sha string) string {
	return s.hook("Merge Request Hook", map[string]any{"object_kind": "merge_request", "event_type": "merge_request",
		"user": map[string]any{"name": "Dev"}, "project": s.project(),
		"object_attributes": map[string]any{"iid": mrIID, "action": "open", "state": "opened",
			"source_branch": "feature", "target_branch": "main", "source_project_id": projectID, "target_project_id": projectID,
			"url": s.git.Server.URL + fmt.Sprintf("/grp/app/-/merge_requests/%d", mrIID), "last_commit": map[string]any{"id": sha},
			"source": s.project(), "target": s.project()}})
}

func (s *stack) hook(event string, body map[string]any) string {
	s.t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, s.receiver+"/v1/gitlab/webhook", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Gitlab-Token", hookSecret)
	req.Header.Set("X-Gitlab-Event", event)
	req.Header.Set("Idempotency-Key", randomHex(8))
	var answer struct {
		Status string `json:"status"`
		ID     string `json:"security_check_id"`
	}
	if code := s.do(req, &answer); code != http.StatusOK || answer.ID == "" {
		s.t.Fatalf("%s: the receiver answered %d %+v", event, code, answer)
	}
	return answer.ID
}

func (s *stack) do(req *http.Request, v any) int {
	s.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			s.t.Fatalf("%s %s: %d %s: %v", req.Method, req.URL, resp.StatusCode, body, err)
		}
	}
	return resp.StatusCode
}

// check is the gate's answer.
type check struct {
	Status string `json:"status"`
	Tasks  []struct {
		ID       string `json:"id"`
		Kind     string `json:"kind"`
		State    string `json:"state"`
		Attempts int    `json:"attempts"`
		Error    string `json:"error"`
	} `json:"tasks"`
}

func (s *stack) gate(id, wait string) check {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.reporter+"/v1/security/gitlab/check/"+id+"?wait="+wait, nil)
	var c check
	if code := s.do(req, &c); code != http.StatusOK {
		s.t.Fatalf("gate %s: %d", id, code)
	}
	return c
}

// settled waits until every task of the check, notifications included,
// is finished, and returns the check.
func (s *stack) settled(id string) check {
	s.t.Helper()
	var c check
	done := eventually(context.Background(), 60*time.Second, func() bool {
		c = s.gate(id, "")
		for _, task := range c.Tasks {
			if task.State != "done" && task.State != "failed" && task.State != "skipped" {
				return false
			}
		}
		return len(c.Tasks) > 0
	})
	if !done {
		s.t.Fatalf("check %s did not settle: %+v", id, c)
	}
	for _, task := range c.Tasks {
		if task.State != "done" {
			s.t.Fatalf("task %s ended %s: %s", task.ID, task.State, task.Error)
		}
	}
	return c
}

func (s *stack) api(method, path string, body any, v any) int {
	s.t.Helper()
	var r io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		r = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, s.reporter+path, r)
	req.Header.Set("Authorization", "Token "+dojoToken)
	req.Header.Set("Content-Type", "application/json")
	return s.do(req, v)
}

// pages signs in to the findings pages and returns the body of each path.
func (s *stack) pages(paths ...string) []string {
	s.t.Helper()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	resp, err := client.PostForm(s.reporter+"/login", url.Values{"username": {"admin"}, "password": {adminPassword}})
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	var out []string
	for _, path := range paths {
		resp, err := client.Get(s.reporter + path)
		if err != nil {
			s.t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			s.t.Fatalf("page %s: %d\n%s", path, resp.StatusCode, body)
		}
		out = append(out, string(body))
	}
	return out
}

// everywhere returns, for each place a value could leak to, the text
// found there: every row of every table, every request sent to Slack and
// to GitLab's API, every process's log.
func (s *stack) everywhere() map[string][]string {
	s.t.Helper()
	out := map[string][]string{"Slack requests": s.slack.Raw(), "GitLab API requests": s.git.API.Bodies()}
	for _, p := range s.processes {
		out[p.name+" log"] = []string{p.logs.String()}
	}
	ctx := context.Background()
	rows, err := s.db.Pool.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`)
	if err != nil {
		s.t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(tables) < 10 {
		s.t.Fatalf("listing tables: %v (%d)", err, len(tables))
	}
	for _, table := range tables {
		rows, err := s.db.Pool.Query(ctx, "SELECT t::text FROM "+pgx.Identifier{table}.Sanitize()+" t")
		if err != nil {
			s.t.Fatal(err)
		}
		text, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			s.t.Fatal(err)
		}
		out["table "+table] = text
	}
	return out
}
