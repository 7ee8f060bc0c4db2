package mirror

import (
	"slices"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/testenv"
)

func TestPreparePush(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	before := f.repo.Head()
	after := f.repo.Commit("work", map[string]string{"a.txt": "a\n"})
	f.repo.Push("main")
	got := f.mustPrepare(f.push(before, after, "refs/heads/main"))
	want := Commits{Head: after, Base: before, Revs: []string{after, "^" + before}}
	if !equalCommits(got, want) {
		t.Fatalf("push: %+v, want %+v", got, want)
	}
	// The same before and after: nothing new.
	if got := f.mustPrepare(f.push(after, after, "refs/heads/main")); !slices.Equal(got.Revs, []string{after, "^" + after}) {
		t.Fatalf("empty push: %+v", got)
	}
	for _, u := range f.srv.Seen() {
		if strings.Contains(u, apiToken) {
			t.Fatalf("the token travelled in a URL: %s", u)
		}
	}
}

func TestPrepareNewBranch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.repo.Checkout("-b", "other")
	other := f.repo.Commit("other", map[string]string{"o.txt": "o\n"})
	f.repo.Push("other")
	f.repo.Checkout("-b", "feature", "main")
	feature := f.repo.Commit("feature", map[string]string{"f.txt": "f\n"})
	f.repo.Push("feature")
	main := testenv.Run(t, f.repo.Dir, "git", "rev-parse", "main")
	got := f.mustPrepare(f.push(zeroSHA, feature, "refs/heads/feature"))
	// Every other branch's tip is left out, each once, in the order of
	// the branches' names.
	want := Commits{Head: feature, Revs: []string{feature, "^" + main, "^" + other}}
	if !equalCommits(got, want) {
		t.Fatalf("new branch: %+v, want %+v", got, want)
	}
}

func TestPrepareForcePush(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	base := f.repo.Head()
	old := f.repo.Commit("to be rewritten", map[string]string{"x.txt": "x\n"})
	f.repo.Push("main")
	f.mustPrepare(f.push(base, old, "refs/heads/main")) // the mirror now has old
	testenv.Run(t, f.repo.Dir, "git", "reset", "--quiet", "--hard", base)
	rewritten := f.repo.Commit("rewritten", map[string]string{"y.txt": "y\n"})
	f.repo.Push("--force", "main")
	got := f.mustPrepare(f.push(old, rewritten, "refs/heads/main"))
	if want := (Commits{Head: rewritten, Base: old, Revs: []string{rewritten, "^" + old}}); !equalCommits(got, want) {
		t.Fatalf("force push over a known head: %+v, want %+v", got, want)
	}

	// An old head the mirror never had: as a new branch, no Base.
	gone := "0123456789abcdef0123456789abcdef01234567"
	got = f.mustPrepare(f.push(gone, rewritten, "refs/heads/main"))
	if want := (Commits{Head: rewritten, Revs: []string{rewritten}}); !equalCommits(got, want) {
		t.Fatalf("force push over an unknown head: %+v, want %+v", got, want)
	}
}

func TestPrepareMergeRequests(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.repo.Checkout("-b", "topic")
	last := f.repo.Commit("topic", map[string]string{"t.txt": "t\n"})
	f.repo.Push("topic")
	main := testenv.Run(t, f.repo.Dir, "git", "rev-parse", "main")
	got := f.mustPrepare(f.mergeRequest(f.repo, "topic", last, false))
	if want := (Commits{Head: last, Base: main, Revs: []string{last, "^" + main}}); !equalCommits(got, want) {
		t.Fatalf("merge request: %+v, want %+v", got, want)
	}

	fork := f.srv.Fork(t, f.repo, "someone/app")
	fork.Checkout("-b", "contribution")
	forkLast := fork.Commit("contribution", map[string]string{"c.txt": "c\n"})
	fork.Push("contribution")
	mr, c := f.opened(t, f.mergeRequest(fork, "contribution", forkLast, true))
	if want := (Commits{Head: forkLast, Base: main, Revs: []string{forkLast, "^" + main}}); !equalCommits(c, want) {
		t.Fatalf("fork merge request: %+v, want %+v", c, want)
	}
	if got := testenv.Run(t, mr.Path(), "git", "rev-parse", "refs/secbot/mr/7"); got != forkLast {
		t.Fatalf("the fork's branch is at %s in the mirror, want %s", got, forkLast)
	}
}

func TestPrepareTag(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tagged := f.repo.Commit("release", map[string]string{"v.txt": "1\n"})
	testenv.Run(t, f.repo.Dir, "git", "tag", "-a", "-m", "v1", "v1.0")
	f.repo.Push("main", "v1.0")
	got := f.mustPrepare(f.tag(tagged, "refs/tags/v1.0"))
	if want := (Commits{Head: tagged, Tag: true}); !equalCommits(got, want) || got.Revs != nil {
		t.Fatalf("tag: %+v, want %+v", got, want)
	}
}

func TestPrepareRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	head := f.repo.Head()
	missing := "0123456789abcdef0123456789abcdef01234567"
	_, err := f.prepare(f.push(head, missing, "refs/heads/main"))
	permanent(t, err, "commit "+missing+" is not in group/app")

	for name, url := range map[string]string{
		"other host":  "http://gitlab.attacker.example/group/app.git",
		"other port":  strings.Replace(f.repo.URL, "127.0.0.1:", "127.0.0.1:1", 1),
		"file scheme": "file://" + f.repo.Bare,
		"credentials": strings.Replace(f.repo.URL, "http://", "http://user:pw@", 1),
	} {
		req := f.push(head, head, "refs/heads/main")
		req.Event.Project.GitHTTPURL = url
		if _, err := f.prepare(req); err == nil || !strings.Contains(err.Error(), "refused") {
			t.Errorf("%s: err = %v, want a refusal", name, err)
		} else {
			permanent(t, err)
		}
	}
	// A fork's URL is held to the same rule.
	req := f.mergeRequest(f.repo, "main", head, true)
	req.Event.MergeRequest.SourceHTTPURL = "http://gitlab.attacker.example/someone/app.git"
	_, err = f.prepare(req)
	permanent(t, err, `clone URL host "gitlab.attacker.example" refused`)
}

func equalCommits(a, b Commits) bool {
	return a.Head == b.Head && a.Base == b.Base && a.Tag == b.Tag && slices.Equal(a.Revs, b.Revs)
}
