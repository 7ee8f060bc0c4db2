package mirror

import (
	"context"
	"errors"
	"io/fs"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/gitlab"
	"github.com/secbot/secbot/internal/handler"
	"github.com/secbot/secbot/internal/testenv"
)

const apiToken = "glpat-InstanceToken0000001"

// fixture is a stand-in GitLab serving group/app over HTTP, and a mirror
// cache of the test's own.
type fixture struct {
	t       *testing.T
	srv     *testenv.GitServer
	repo    *testenv.Repo
	mirrors *Mirrors
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := testenv.NewGitServer(t, apiToken)
	f := &fixture{t: t, srv: srv, repo: srv.NewRepo(t, "group/app"), mirrors: &Mirrors{Dir: t.TempDir()}}
	f.repo.Commit("initial", map[string]string{"README.md": "# app\n"})
	f.repo.Push("main")
	return f
}

func (f *fixture) push(before, after, ref string) *handler.Request {
	return &handler.Request{Instance: f.srv.Instance(), Event: gitlab.Event{
		Type: gitlab.Push, Project: f.repo.Project(), CommitSHA: after, Before: before, After: after, Ref: ref}}
}

func (f *fixture) tag(sha, ref string) *handler.Request {
	req := f.push(zeroSHA, sha, ref)
	req.Event.Type = gitlab.TagPush
	return req
}

func (f *fixture) mergeRequest(source *testenv.Repo, branch, last string, fork bool) *handler.Request {
	mr := &gitlab.MergeRequestInfo{IID: 7, SourceBranch: branch, TargetBranch: "main", SourceProjectID: 1, TargetProjectID: 1,
		SourceHTTPURL: source.URL}
	if fork {
		mr.SourceProjectID = 2
	}
	return &handler.Request{Instance: f.srv.Instance(), Event: gitlab.Event{
		Type: gitlab.MergeRequest, Project: f.repo.Project(), CommitSHA: last, MergeRequest: mr}}
}

// open opens the mirror of req's project, as a scanner does.
func (f *fixture) open(req *handler.Request) (*Mirror, *url.URL, error) {
	remote, err := RemoteURL(req.Instance, req.Event.Project.GitHTTPURL)
	if err != nil {
		return nil, nil, err
	}
	mr, err := f.mirrors.Open(context.Background(), remote, req.Instance)
	return mr, remote, err
}

// prepare opens the project's mirror, prepares req's event in it and
// closes it again, as a scan does.
func (f *fixture) prepare(req *handler.Request) (Commits, error) {
	mr, remote, err := f.open(req)
	if err != nil {
		return Commits{}, err
	}
	defer mr.Close()
	return mr.Prepare(context.Background(), req.Instance, &req.Event, remote)
}

// opened is the mirror with req's event prepared in it, held open until
// t ends.
func (f *fixture) opened(t *testing.T, req *handler.Request) (*Mirror, Commits) {
	t.Helper()
	mr, remote, err := f.open(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mr.Close)
	c, err := mr.Prepare(context.Background(), req.Instance, &req.Event, remote)
	if err != nil {
		t.Fatal(err)
	}
	return mr, c
}

func (f *fixture) mustPrepare(req *handler.Request) Commits {
	f.t.Helper()
	c, err := f.prepare(req)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// permanent fails the test unless err is permanent and says every one of
// says.
func permanent(t *testing.T, err error, says ...string) {
	t.Helper()
	if !errors.Is(err, handler.ErrPermanent) {
		t.Fatalf("err = %v, want a permanent error", err)
	}
	for _, s := range says {
		if !strings.Contains(err.Error(), s) {
			t.Fatalf("error %q does not say %q", err, s)
		}
	}
}

// cacheEntries lists what the mirror cache holds.
func cacheEntries(t *testing.T, dir string) []string {
	t.Helper()
	var got []string
	err := filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if p != dir {
			got = append(got, strings.TrimPrefix(p, dir))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}
