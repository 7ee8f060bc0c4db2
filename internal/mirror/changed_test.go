package mirror

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/handler"
	"github.com/secbot/secbot/internal/testenv"
)

// changed prepares req and lists the files its commits change.
func (f *fixture) changed(req *handler.Request) []string {
	f.t.Helper()
	mr, remote, err := f.open(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer mr.Close()
	c, err := mr.Prepare(context.Background(), req.Instance, &req.Event, remote)
	if err != nil {
		f.t.Fatal(err)
	}
	files, err := mr.ChangedFiles(context.Background(), c)
	if err != nil {
		f.t.Fatal(err)
	}
	return files
}

func wantFiles(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if got == nil || !slices.Equal(got, want) {
		t.Fatalf("%s: changed files %q, want %q", what, got, want)
	}
}

func TestChangedFilesOfAPush(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.repo.Commit("base", map[string]string{"keep.txt": "k\n", "old.txt": "o\n", "gone.txt": "g\n", "edit.txt": "1\n"})
	f.repo.Push("main")
	before := f.repo.Head()
	f.repo.Commit("one", map[string]string{"edit.txt": "2\n", "dir with space/ü \"q\".txt": "new\n", "tmp.txt": "t\n"})
	testenv.Run(t, f.repo.Dir, "git", "mv", "old.txt", "renamed.txt")
	f.repo.Commit("rename, delete, add and delete", map[string]string{"gone.txt": "", "tmp.txt": ""})
	after := f.repo.Commit("two", map[string]string{"edit.txt": "3\n"})
	f.repo.Push("main")
	// Not keep.txt (untouched), old.txt (renamed away), gone.txt (deleted),
	// tmp.txt (added, then deleted).
	wantFiles(t, "push", f.changed(f.push(before, after, "refs/heads/main")),
		"dir with space/ü \"q\".txt", "edit.txt", "renamed.txt")
	wantFiles(t, "empty push", f.changed(f.push(after, after, "refs/heads/main")))
}

func TestChangedFilesOfANewBranchAndAForcePush(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	base := f.repo.Commit("main's", map[string]string{"main.txt": "m\n"})
	f.repo.Push("main")
	f.repo.Checkout("-b", "feature")
	feature := f.repo.Commit("feature", map[string]string{"f.txt": "f\n", "README.md": "# app, changed\n"})
	f.repo.Push("feature")
	wantFiles(t, "new branch", f.changed(f.push(zeroSHA, feature, "refs/heads/feature")), "README.md", "f.txt")

	f.repo.Checkout("main")
	old := f.repo.Commit("to be rewritten", map[string]string{"x.txt": "x\n", "main.txt": "m2\n"})
	f.repo.Push("main")
	f.changed(f.push(base, old, "refs/heads/main")) // the mirror has old
	testenv.Run(t, f.repo.Dir, "git", "reset", "--quiet", "--hard", base)
	rewritten := f.repo.Commit("rewritten", map[string]string{"y.txt": "y\n"})
	f.repo.Push("--force", "main")
	wantFiles(t, "force push", f.changed(f.push(old, rewritten, "refs/heads/main")), "y.txt")
}

func TestChangedFilesOfMergeRequests(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.repo.Commit("base", map[string]string{"shared.txt": "s\n", "evil.txt": "e\n"})
	f.repo.Push("main")
	f.repo.Checkout("-b", "topic")
	f.repo.Commit("topic", map[string]string{"t.txt": "t\n"})
	f.repo.Checkout("main")
	f.repo.Commit("main moves on", map[string]string{"m.txt": "m\n", "shared.txt": "s2\n"})
	f.repo.Push("main")
	// The topic takes main in, and its merge commit also changes a file
	// neither side did.
	f.repo.Checkout("topic")
	testenv.Run(t, f.repo.Dir, "git", "merge", "--quiet", "--no-edit", "--no-commit", "main")
	last := f.repo.Commit("merge main", map[string]string{"evil.txt": "changed in the merge\n"})
	f.repo.Push("topic")
	wantFiles(t, "merge request", f.changed(f.mergeRequest(f.repo, "topic", last, false)), "evil.txt", "t.txt")

	fork := f.srv.Fork(t, f.repo, "someone/app")
	fork.Checkout("-b", "contribution")
	testenv.Run(t, fork.Dir, "git", "rm", "--quiet", "evil.txt")
	forkLast := fork.Commit("contribution", map[string]string{"c.txt": "c\n", "shared.txt": "fork's\n"})
	fork.Push("contribution")
	wantFiles(t, "fork merge request", f.changed(f.mergeRequest(fork, "contribution", forkLast, true)), "c.txt", "shared.txt")
}

func TestChangedFilesOfATagAndBadSelections(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tagged := f.repo.Commit("release", map[string]string{"v.txt": "1\n"})
	testenv.Run(t, f.repo.Dir, "git", "tag", "v1.0")
	f.repo.Push("main", "v1.0")
	mr, c := f.opened(t, f.tag(tagged, "refs/tags/v1.0"))
	files, err := mr.ChangedFiles(context.Background(), c)
	if err != nil || files != nil {
		t.Fatalf("tag: %q, %v; want nil, no error (every file)", files, err)
	}
	for name, bad := range map[string]Commits{
		"option":        {Head: tagged, Revs: []string{"--output=/tmp/x"}},
		"ref name":      {Head: tagged, Revs: []string{"main"}},
		"only left out": {Head: tagged, Revs: []string{"^" + tagged}},
		"no head":       {Head: "main", Revs: []string{tagged}},
		"missing head":  {Head: "0123456789abcdef0123456789abcdef01234567", Revs: []string{tagged}},
	} {
		_, err := mr.ChangedFiles(context.Background(), bad)
		if err == nil || !strings.Contains(err.Error(), "listing changed files") {
			t.Errorf("%s: err = %v, want a refusal", name, err)
			continue
		}
		permanent(t, err)
	}
}

// A submodule is no file: its change is not listed.
func TestChangedFilesLeavesOutSubmodules(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	before := f.repo.Head()
	testenv.Run(t, f.repo.Dir, "git", "update-index", "--add", "--cacheinfo", "160000,"+before+",vendor/lib")
	after := f.repo.Commit("submodule and file", map[string]string{"a.txt": "a\n"})
	f.repo.Push("main")
	wantFiles(t, "submodule", f.changed(f.push(before, after, "refs/heads/main")), "a.txt")
}
