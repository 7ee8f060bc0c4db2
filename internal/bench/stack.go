package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/redis/go-redis/v9"

	"github.com/secbot/secbot/internal/gitlab/gitserver"
	"github.com/secbot/secbot/internal/store"
)

const (
	hookSecret = "bench-webhook-secret"
	apiToken   = "glpat-BenchInstanceToken01"
	dojoToken  = "be1cbe1cbe1cbe1cbe1cbe1cbe1cbe1cbe1cbe1c"
)

// stack is SecBot's three processes on a fresh database and Redis
// database, with a stand-in GitLab (git over HTTP and the API's project
// listing) and Slack.
type stack struct {
	dir, bin           string
	env                []string
	gitRoot, gitURL    string
	projects           *gitserver.Projects // the API's project listing, for the history part
	receiver, reporter string
	workerAddr         string
	procs              map[string]*process
	closers            []func()
	hooks              atomic.Int64 // intake hooks made, for unique commits
}

func newStack(ctx context.Context, opt Options) (*stack, error) {
	dir, err := os.MkdirTemp("", "secbot-bench-")
	if err != nil {
		return nil, err
	}
	s := &stack{dir: dir, bin: filepath.Join(dir, "bin"), procs: map[string]*process{}}
	// The tags change how the worker scans; the others are built as the
	// Makefile builds them, without.
	for _, b := range [][]string{{"-tags", opt.Tags, "./cmd/worker"}, {"./cmd/receiver", "./cmd/reporter"}} {
		build := exec.CommandContext(ctx, "go", append([]string{"build", "-o", s.bin + "/"}, b...)...)
		if out, err := build.CombinedOutput(); err != nil {
			return s, fmt.Errorf("building the processes: %v\n%s", err, out)
		}
	}
	dsn, err := store.CreateDatabase(ctx, opt.AdminDSN, "secbot_bench")
	if err != nil {
		return s, err
	}
	// The intake run leaves its tasks queued: without this, the next run's
	// worker would start on them.
	if err := flushRedis(ctx, opt.RedisURL); err != nil {
		return s, err
	}
	s.gitRoot = filepath.Join(dir, "gitlab")
	git, err := gitserver.Handler(s.gitRoot, apiToken, nil)
	if err != nil {
		return s, err
	}
	mux := http.NewServeMux()
	s.projects = gitserver.NewProjects(s.gitRoot, "", apiToken)
	s.projects.Register(mux)
	mux.Handle("/", git)
	gitSrv := httptest.NewServer(mux)
	s.projects.SetBase(gitSrv.URL)
	slack := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok":true,"channel":"C0BENCH","ts":"1700000000.000100"}`)
	}))
	s.closers = append(s.closers, gitSrv.Close, slack.Close)
	s.gitURL = gitSrv.URL
	receiverAddr, reporterAddr := freeAddr(), freeAddr()
	s.workerAddr = freeAddr()
	s.receiver, s.reporter = "http://"+receiverAddr, "http://"+reporterAddr
	cfg := fmt.Sprintf(`version: 1.0
components:
  gitleaks: {handler_name: gitleaks, config: {cache_dir: %q}}
  defectdojo: {handler_name: defectdojo, config: {url: %q, secret_key: %q}}
  slack: {handler_name: slack, config: {token: xoxb-bench, channels: [bench], api_url: %q}}
jobs:
  - name: bench
    rules: {gitlab: null}
    scans: [gitleaks]
    outputs: [defectdojo]
    notifications: [slack]
`, filepath.Join(dir, "mirrors"), s.reporter, dojoToken, slack.URL+"/api/")
	if err := os.WriteFile(filepath.Join(dir, "config.yml"), []byte(cfg), 0o600); err != nil {
		return s, err
	}
	s.env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		fmt.Sprintf(`GITLAB_CONFIGS=[{"host":%q,"webhook_secret_token":%q,"auth_token":%q,"prefix":"secbot"}]`, gitSrv.URL, hookSecret, apiToken),
		"SECBOT_POSTGRES_DSN=" + dsn, "SECBOT_REDIS_URL=" + opt.RedisURL, "SECBOT_CONFIG=" + filepath.Join(dir, "config.yml"),
		"SECBOT_RECEIVER_ADDR=" + receiverAddr, "SECBOT_REPORTER_ADDR=" + reporterAddr, "SECBOT_WORKER_ADDR=" + s.workerAddr,
		"DEFECTDOJO__TOKEN=" + dojoToken, "SECBOT_LOG_LEVEL=warn", "SECBOT_MAX_REPORT_BYTES=" + fmt.Sprint(200<<20),
		"SECBOT_HISTORY_CONCURRENCY=4", "SECBOT_HISTORY_INTERVAL=200ms",
		"SECBOT_PPROF=" + os.Getenv("SECBOT_PPROF")} // to profile the processes under load
	for _, p := range []struct{ name, ready string }{
		{"reporter", s.reporter + "/readyz"}, {"receiver", s.receiver + "/readyz"}, {"worker", "http://" + s.workerAddr + "/readyz"},
	} {
		proc, err := start(ctx, s.bin, p.name, dir, s.env, p.ready)
		if err != nil {
			return s, err
		}
		s.procs[p.name] = proc
	}
	return s, nil
}

// close stops everything and removes the files.
func (s *stack) close() {
	for _, p := range s.procs {
		p.stop()
	}
	for _, c := range s.closers {
		c()
	}
	os.RemoveAll(s.dir)
}

// pushHook is GitLab's push hook for before..after of project path.
func (s *stack) pushHook(path, before, after string) []byte {
	host := strings.TrimPrefix(s.gitURL, "http://")
	body, _ := json.Marshal(map[string]any{
		"object_kind": "push", "event_name": "push", "before": before, "after": after, "ref": "refs/heads/main",
		"checkout_sha": after, "user_name": "Bench", "total_commits_count": 1, "project_id": 1,
		"project": map[string]any{"id": 1, "path_with_namespace": path, "web_url": s.gitURL + "/" + path, "default_branch": "main",
			"git_http_url": s.gitURL + "/" + path + ".git", "git_ssh_url": "git@" + host + ":" + path + ".git"},
	})
	return body
}

func (s *stack) hookHeaders(key string) map[string]string {
	return map[string]string{"Content-Type": "application/json", "X-Gitlab-Token": hookSecret,
		"X-Gitlab-Event": "Push Hook", "Idempotency-Key": key}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// flushRedis empties the benchmark's Redis database.
func flushRedis(ctx context.Context, url string) error {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return fmt.Errorf("SECBOT_BENCH_REDIS_URL: %w", err)
	}
	client := redis.NewClient(opt)
	defer client.Close()
	if err := client.FlushDB(ctx).Err(); err != nil {
		return fmt.Errorf("emptying Redis database %d: %w", opt.DB, err)
	}
	return nil
}
