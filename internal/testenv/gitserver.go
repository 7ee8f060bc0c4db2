package testenv

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/gitlab"
	"github.com/secbot/secbot/internal/gitlab/gitserver"
	"github.com/secbot/secbot/internal/verify/verifytest"
)

// GitServer is a stand-in GitLab instance: it serves bare repositories
// over git's smart HTTP protocol (git http-backend), accepting only
// GitLab's token authentication (HTTP Basic with user oauth2 and the token
// as password), and the API stand-in under /api/v4/ with the same token.
type GitServer struct {
	Root   string
	token  string
	Server *httptest.Server
	API    *GitLabAPI
	// Tokens is GitLab's token API (personal_access_tokens/self,
	// runners/verify, admin/token): the tokens the instance knows, for the
	// validity checks; the server's token is its administrator's.
	Tokens *verifytest.GitLab
	// Projects is the API's project listing (history scans).
	Projects *gitserver.Projects
	mu       sync.Mutex
	seen     []string
	held     chan struct{} // closed when git requests may go on; nil: not held
}

// NewGitServer starts a server for repositories kept in a temporary
// directory, accepting token.
func NewGitServer(t testing.TB, token string) *GitServer {
	t.Helper()
	g := &GitServer{Root: t.TempDir(), token: token, API: NewGitLabAPI(token), Tokens: verifytest.NewGitLab(token)}
	h, err := gitserver.Handler(g.Root, token, func(url string) {
		g.mu.Lock()
		g.seen = append(g.seen, url)
		held := g.held
		g.mu.Unlock()
		if held != nil {
			<-held // a fault test holds fetches to catch a scan midway
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	g.Projects = gitserver.NewProjects(g.Root, "", token)
	g.Projects.Register(mux)
	mux.Handle("/api/v4/", g.API.Handler())
	for _, route := range verifytest.GitLabRoutes {
		mux.Handle(route, g.Tokens.Handler())
	}
	mux.Handle("/", h)
	g.Server = httptest.NewServer(mux)
	g.Projects.SetBase(g.Server.URL)
	t.Cleanup(g.Server.Close)
	return g
}

// Repo is a working repository whose pushes go to a bare repository the
// server serves as <path>.git.
type Repo struct {
	t    testing.TB
	Dir  string
	Bare string
	URL  string
	// Path is the project's path on the server (group/app).
	Path string
}

// Instance is this server as SecBot's configuration names a GitLab
// instance: its URL as host, its token as auth_token.
func (g *GitServer) Instance() config.Instance {
	return config.Instance{Host: g.Server.URL, AuthToken: g.token, AdminToken: g.token, WebhookSecretToken: "w", Prefix: "p"}
}

// Project is the repository's project as a hook names it.
func (r *Repo) Project() gitlab.Project {
	return gitlab.Project{PathWithNamespace: r.Path, GitHTTPURL: r.URL, GitSSHURL: "git@localhost:" + r.Path + ".git"}
}

// NewRepo makes a working repository with an empty bare one the server
// serves at <path>.git; both are the test's.
func (g *GitServer) NewRepo(t testing.TB, path string) *Repo {
	t.Helper()
	r := &Repo{t: t, Dir: t.TempDir(), Bare: filepath.Join(g.Root, path+".git"), URL: g.Server.URL + "/" + path + ".git", Path: path}
	Run(t, "", "git", "init", "--quiet", "--bare", r.Bare)
	Run(t, r.Dir, "git", "init", "--quiet", "-b", "main")
	Run(t, r.Dir, "git", "remote", "add", "origin", r.Bare)
	return r
}

// Fork makes a repository at path that starts as a copy of r.
func (g *GitServer) Fork(t testing.TB, r *Repo, path string) *Repo {
	t.Helper()
	f := g.NewRepo(t, path)
	Run(t, f.Dir, "git", "pull", "--quiet", r.Bare, "main")
	return f
}

// Run runs a command as a test committer, failing the test on error.
func Run(t testing.TB, dir string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Dev", "GIT_AUTHOR_EMAIL=dev@example.com",
		"GIT_COMMITTER_NAME=Dev", "GIT_COMMITTER_EMAIL=dev@example.com", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// Commit writes files (path → content; "" deletes) and commits them,
// returning the new commit's SHA.
func (r *Repo) Commit(msg string, files map[string]string) string {
	r.t.Helper()
	for name, content := range files {
		p := filepath.Join(r.Dir, name)
		if content == "" {
			Run(r.t, r.Dir, "git", "rm", "--quiet", name)
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			r.t.Fatal(err)
		}
		Run(r.t, r.Dir, "git", "add", name)
	}
	Run(r.t, r.Dir, "git", "commit", "--quiet", "--allow-empty", "-m", msg)
	return r.Head()
}

// Head is the SHA of the working repository's HEAD.
func (r *Repo) Head() string { return Run(r.t, r.Dir, "git", "rev-parse", "HEAD") }

// Checkout runs git checkout in the working repository.
func (r *Repo) Checkout(args ...string) {
	Run(r.t, r.Dir, "git", append([]string{"checkout", "--quiet"}, args...)...)
}

// Push pushes refspec to the served bare repository.
func (r *Repo) Push(args ...string) {
	Run(r.t, r.Dir, "git", append([]string{"push", "--quiet", "origin"}, args...)...)
}

// Hold makes git requests wait until Release (the API is not held).
func (g *GitServer) Hold() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.held == nil {
		g.held = make(chan struct{})
	}
}

// Release lets held and later git requests go on.
func (g *GitServer) Release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.held != nil {
		close(g.held)
		g.held = nil
	}
}

// Seen lists the URLs of the requests the server received.
func (g *GitServer) Seen() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.seen...)
}

// Burst adds n commits to main in the served repository at once (git
// fast-import), each adding one small file, and returns each commit with
// its parent, oldest first.
func (r *Repo) Burst(n int) [][2]string {
	r.t.Helper()
	head := Run(r.t, r.Bare, "git", "rev-parse", "refs/heads/main")
	var stream strings.Builder
	for i := 1; i <= n; i++ {
		msg := fmt.Sprintf("burst %d", i)
		content := fmt.Sprintf("line %d\n", i)
		fmt.Fprintf(&stream, "commit refs/heads/main\nmark :%d\ncommitter Dev <dev@example.com> %d +0000\ndata %d\n%s\n",
			i, 1700000000+i, len(msg), msg)
		if i == 1 {
			fmt.Fprintf(&stream, "from %s\n", head)
		} else {
			fmt.Fprintf(&stream, "from :%d\n", i-1)
		}
		fmt.Fprintf(&stream, "M 100644 inline burst/%d.txt\ndata %d\n%s\n", i, len(content), content)
	}
	cmd := exec.Command("git", "-C", r.Bare, "fast-import", "--quiet")
	cmd.Stdin = strings.NewReader(stream.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		r.t.Fatalf("git fast-import: %v %s", err, out)
	}
	var out [][2]string
	for _, line := range strings.Split(Run(r.t, r.Bare, "git", "rev-list", "--reverse", "--parents", head+"..refs/heads/main"), "\n") {
		if f := strings.Fields(line); len(f) == 2 {
			out = append(out, [2]string{f[1], f[0]})
		}
	}
	if len(out) != n {
		r.t.Fatalf("burst made %d commits, want %d", len(out), n)
	}
	return out
}
