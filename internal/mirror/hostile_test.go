package mirror

import (
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/secbot/secbot/internal/gitlab"
)

// Hooks from someone who knows the webhook secret but not what SecBot
// expects (docs/security.md, audit items 1 and 10).

// pushHook is the body of a push hook of the fixture's project.
func (f *fixture) pushHook(before, after, ref string) []byte {
	f.t.Helper()
	body, err := json.Marshal(map[string]any{"object_kind": "push", "ref": ref, "before": before, "after": after,
		"project": map[string]any{"path_with_namespace": "group/app", "git_ssh_url": "git@localhost:group/app.git",
			"git_http_url": f.repo.URL, "web_url": f.srv.Server.URL + "/group/app"}})
	if err != nil {
		f.t.Fatal(err)
	}
	return body
}

// The audit's hook: a ref that git log took as two arguments, the second
// one writing the commit's patches, secrets and all, to a file.
func TestRefCannotInjectAGitOption(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	leak := f.repo.Commit("leak", map[string]string{"app.env": "TOKEN=\"glpat-Xk9vQ2mT7pLr4sWz8YbN\"\n"})
	f.repo.Push("main")
	out := filepath.Join(t.TempDir(), "pwned")
	ref := "refs/heads/main --output=" + out

	_, err := gitlab.ParseHook("Push Hook", f.pushHook(zeroSHA, leak, ref))
	var invalid *gitlab.ValidationError
	if !errors.As(err, &invalid) || len(invalid.Details) != 1 || invalid.Details[0].Field != "ref" {
		t.Fatalf("the receiver's parser: err = %v, want a validation error naming ref", err)
	}
	// A stored event that says so anyway fails before git runs.
	_, err = f.prepare(f.push(zeroSHA, leak, ref))
	if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("git wrote %s (stat: %v)", out, err)
	}
	permanent(t, err, "ref", "not a valid")
	if len(f.srv.Seen()) != 0 {
		t.Fatalf("the refused event was fetched: %v", f.srv.Seen())
	}
}

// A ref that names no branch of the repository scanned nothing and passed.
func TestRefOfNoBranchFailsTheScan(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	head := f.repo.Commit("work", map[string]string{"a.txt": "a\n"})
	f.repo.Push("main")
	_, err := f.prepare(f.push(zeroSHA, head, "refs/heads/--help"))
	permanent(t, err, `starts with "-"`)
	_, err = f.prepare(f.push(zeroSHA, head, "refs/heads/gone"))
	permanent(t, err, `branch "gone" is not in group/app`)

	req := f.mergeRequest(f.repo, "main", head, false)
	req.Event.MergeRequest.TargetBranch = "gone"
	_, err = f.prepare(req)
	permanent(t, err, `target branch "gone" is not in group/app`)
}

func TestRefusedTokenFailsAtOnceNamingTheInstance(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	wrong := "glpat-WrongToken00000000000"
	req := f.push(zeroSHA, f.repo.Head(), "refs/heads/main")
	req.Instance.AuthToken = wrong
	_, err := f.prepare(req)
	permanent(t, err, f.srv.Server.URL, "refused its auth_token (HTTP 401)", "read_repository")
	if strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), "WrongToken") {
		t.Fatalf("the error repeats the token: %v", err)
	}

	req.Instance.AuthToken = ""
	_, err = f.prepare(req)
	permanent(t, err, f.srv.Server.URL, "the instance has no auth_token", "read_repository")

	// GitLab answers 403 to a token without the read_repository scope.
	forbidding := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "You are not allowed to download code from this project.", http.StatusForbidden)
	}))
	defer forbidding.Close()
	req = f.push(zeroSHA, f.repo.Head(), "refs/heads/main")
	req.Instance.Host = forbidding.URL
	req.Event.Project.GitHTTPURL = forbidding.URL + "/group/app.git"
	_, err = f.prepare(req)
	permanent(t, err, forbidding.URL, "refused its auth_token (HTTP 403)", "read_repository")
	if strings.Contains(err.Error(), apiToken) {
		t.Fatalf("the error repeats the token: %v", err)
	}
	if got := cacheEntries(t, f.mirrors.Dir); len(got) != 0 {
		t.Fatalf("the refused fetches left %v in the mirror cache", got)
	}
}

func TestMissingRepositoryOrBranchFailsAtOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	req := f.push(zeroSHA, f.repo.Head(), "refs/heads/main")
	req.Event.Project.GitHTTPURL = f.srv.Server.URL + "/group/missing.git"
	_, err := f.prepare(req)
	permanent(t, err, "no such repository (HTTP 404)", f.srv.Server.URL)
	if got := cacheEntries(t, f.mirrors.Dir); len(got) != 0 {
		t.Fatalf("the failed fetch left %v in the mirror cache", got)
	}

	fork := f.srv.Fork(t, f.repo, "someone/app")
	_, err = f.prepare(f.mergeRequest(fork, "deleted-branch", fork.Head(), true))
	permanent(t, err, "couldn't find remote ref refs/heads/deleted-branch")
}

// The audit's other hook: a project path 2,000 levels deep made as many
// folders in the mirror cache and left them.
func TestDeepProjectPathMakesNoDirectories(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for name, path := range map[string]string{
		"deep": strings.Repeat("g/", 2000) + "app",
		"long": strings.Repeat("p", 300) + "/app",
	} {
		req := f.push(zeroSHA, f.repo.Head(), "refs/heads/main")
		req.Event.Project.GitHTTPURL = f.srv.Server.URL + "/" + path + ".git"
		_, err := f.prepare(req)
		permanent(t, err, "refused")
		if got := cacheEntries(t, f.mirrors.Dir); len(got) != 0 {
			t.Fatalf("%s: the refused path left %d entries in the mirror cache, the first %v", name, len(got), got[0])
		}
	}
}

// Fetches of a missing repository racing for one mirror all fail for that
// reason, though each removes the mirror (and its lock) the others wait on.
func TestConcurrentFailedScansCleanUp(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := f.push(zeroSHA, f.repo.Head(), "refs/heads/main")
			req.Event.Project.GitHTTPURL = f.srv.Server.URL + "/group/missing.git"
			_, errs[i] = f.prepare(req)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		permanent(t, err, "no such repository")
	}
	if got := cacheEntries(t, f.mirrors.Dir); len(got) != 0 {
		t.Fatalf("the failed fetches left %v in the mirror cache", got)
	}
	// The project's own mirror is made afresh and works.
	head := f.repo.Head()
	if c := f.mustPrepare(f.push(zeroSHA, head, "refs/heads/main")); c.Head != head {
		t.Fatalf("prepared %+v, want head %s", c, head)
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, f.srv.Server.URL+r.URL.RequestURI(), http.StatusFound)
	}))
	defer redirector.Close()
	req := f.push(zeroSHA, f.repo.Head(), "refs/heads/main")
	req.Instance.Host = redirector.URL
	req.Event.Project.GitHTTPURL = redirector.URL + "/group/app.git"
	if _, err := f.prepare(req); err == nil {
		t.Fatal("a fetch redirected to another host succeeded")
	}
	if got := f.srv.Seen(); len(got) != 0 {
		t.Fatalf("the redirect target got %d requests (with the token); want none", len(got))
	}
}
