package pushguard_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/secbot/secbot/internal/pushguard"
	"github.com/secbot/secbot/internal/pushreport"
)

const (
	secret  = "glpat-Xk9vQ2mT7pLr4sWz8YbN"
	secret2 = "ghp_R8x2Lk9QmT4vW7zN1bY5cP3sJ6hF0aD2gE8u"
	token   = "report-token-for-the-tests"
)

// hookBin is the pre-receive program, built once by TestMain.
var hookBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "secbot-pre-receive-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	hookBin = filepath.Join(dir, "secbot-pre-receive")
	build := exec.Command("go", "build", "-o", hookBin, "./cmd/secbot-pre-receive")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the hook: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is a bare repository with the hook installed, and a clone of it
// to push from.
type server struct {
	t     *testing.T
	bare  string
	clone string
}

// newServer makes the repository with one clean commit on main, then
// installs the hook with settings (written to the file beside it).
func newServer(t *testing.T, settings map[string]string) *server {
	t.Helper()
	dir := t.TempDir()
	s := &server{t: t, bare: filepath.Join(dir, "srv.git"), clone: filepath.Join(dir, "work")}
	git(t, dir, "init", "--quiet", "--bare", "--initial-branch=main", s.bare)
	// GitLab advertises push options; plain git only when told.
	git(t, s.bare, "config", "receive.advertisePushOptions", "true")
	git(t, dir, "init", "--quiet", "--initial-branch=main", s.clone)
	git(t, s.clone, "remote", "add", "origin", s.bare)
	s.commit("init", map[string]string{"README.md": "hello\n"})
	s.mustPush("main")
	s.install(settings)
	return s
}

func (s *server) install(settings map[string]string) {
	hooks := filepath.Join(s.bare, "hooks")
	data, err := os.ReadFile(hookBin)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(hooks, "pre-receive"), data, 0o755); err != nil {
		s.t.Fatal(err)
	}
	var env strings.Builder
	for k, v := range settings {
		fmt.Fprintf(&env, "%s=%q\n", k, v)
	}
	if err := os.WriteFile(filepath.Join(hooks, pushguard.ConfigFileName), []byte(env.String()), 0o600); err != nil {
		s.t.Fatal(err)
	}
}

// commit writes files in the clone and commits them; it returns the SHA.
func (s *server) commit(msg string, files map[string]string) string {
	s.t.Helper()
	for name, content := range files {
		path := filepath.Join(s.clone, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			s.t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			s.t.Fatal(err)
		}
	}
	git(s.t, s.clone, "add", "-A")
	git(s.t, s.clone, "-c", "user.name=Dev", "-c", "user.email=dev@example.com", "commit", "--quiet", "--allow-empty", "-m", msg)
	return strings.TrimSpace(git(s.t, s.clone, "rev-parse", "HEAD"))
}

// push runs git push with args; it returns git's output and whether the
// push went through.
func (s *server) push(args ...string) (string, bool) {
	s.t.Helper()
	cmd := exec.Command("git", append([]string{"push", "origin"}, args...)...)
	cmd.Dir = s.clone
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

func (s *server) mustPush(args ...string) string {
	s.t.Helper()
	out, ok := s.push(args...)
	if !ok {
		s.t.Fatalf("git push %q was refused:\n%s", args, out)
	}
	return out
}

func (s *server) mustRefuse(args ...string) string {
	s.t.Helper()
	out, ok := s.push(args...)
	if ok {
		s.t.Fatalf("git push %q went through:\n%s", args, out)
	}
	if !strings.Contains(out, "pre-receive hook declined") {
		s.t.Fatalf("git push %q failed, but not by the hook:\n%s", args, out)
	}
	return out
}

// ref is what the server's ref points at, "" for none.
func (s *server) ref(name string) string {
	cmd := exec.Command("git", "rev-parse", "--verify", "--quiet", name)
	cmd.Dir = s.bare
	out, _ := cmd.Output()
	return strings.TrimSpace(string(out))
}

func git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// recorder stands in for SecBot's report endpoint, speaking its contract
// (route, bearer token, a body that must pass pushreport's checks).
type recorder struct {
	mu      sync.Mutex
	reports []pushreport.Report
	bad     []string
	srv     *httptest.Server
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if req.Method != http.MethodPost || req.URL.Path != pushreport.Path || req.Header.Get("Authorization") != "Bearer "+token {
			r.bad = append(r.bad, req.Method+" "+req.URL.Path)
			w.WriteHeader(http.StatusForbidden)
			return
		}
		var rep pushreport.Report
		if err := json.NewDecoder(http.MaxBytesReader(w, req.Body, pushreport.MaxBody)).Decode(&rep); err != nil || rep.Validate() != nil {
			r.bad = append(r.bad, fmt.Sprintf("body: %v %v", err, rep.Validate()))
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.reports = append(r.reports, rep)
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *recorder) settings() map[string]string {
	return map[string]string{"SECBOT_PUSH_PROTECTION_URL": r.srv.URL, "SECBOT_PUSH_PROTECTION_TOKEN": token}
}

// only returns the one report received, failing otherwise.
func (r *recorder) only(t *testing.T) pushreport.Report {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reports) != 1 || len(r.bad) > 0 {
		t.Fatalf("reports %+v, refused requests %q; want one report", r.reports, r.bad)
	}
	return r.reports[0]
}

func (r *recorder) none(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reports) > 0 || len(r.bad) > 0 {
		t.Fatalf("reports %+v, refused requests %q; want none", r.reports, r.bad)
	}
}

// closedURL is an address where nothing listens.
func closedURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}
