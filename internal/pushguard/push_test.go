package pushguard_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/pushreport"
	"github.com/secbot/secbot/internal/redact"
)

// A push with a planted token is refused, and the pusher is told the
// commit, file, line and rule, with the secret redacted, and how to remove
// it or push anyway; SecBot gets the refusal without the secret.
func TestPlantedSecretIsRefused(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	s := newServer(t, rec.settings())
	before := s.ref("main")
	leak := s.commit("add config", map[string]string{"config/app.env": "NAME=app\nGITLAB_TOKEN=\"" + secret + "\"\n"})
	out := s.mustRefuse("main")
	for _, want := range []string{
		"PUSH BLOCKED", "commit " + leak, "config/app.env:2", "gitlab-pat", redact.Marker,
		".gitleaksignore: " + leak + ":config/app.env:gitlab-pat:2",
		"git push -o secret_push_protection.skip_all", "[skip secret push protection]", "git rebase -i",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the pusher's message lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, secret) || strings.Contains(out, secret[6:]) {
		t.Fatalf("the message shows the secret:\n%s", out)
	}
	if got := s.ref("main"); got != before {
		t.Fatalf("main moved to %s", got)
	}
	rep := rec.only(t)
	want := pushreport.Finding{Commit: leak, File: "config/app.env", Line: 2, Rule: "gitlab-pat", SecretHash: redact.Hash("gitlab-pat", secret)}
	if rep.Kind != pushreport.Refused || rep.Reason != pushreport.ReasonSecrets || rep.Commits != 1 ||
		len(rep.Findings) != 1 || rep.Findings[0] != want || len(rep.Refs) != 1 || rep.Refs[0] != "refs/heads/main" {
		t.Fatalf("report %+v, want the refusal of %+v", rep, want)
	}
}

// A clean push passes, silently and unreported.
func TestCleanPushPasses(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	s := newServer(t, rec.settings())
	sha := s.commit("docs", map[string]string{"docs/a.md": "nothing secret here\n"})
	out := s.mustPush("main")
	if strings.Contains(out, "SecBot") || s.ref("main") != sha {
		t.Fatalf("main at %s, want %s; git said:\n%s", s.ref("main"), sha, out)
	}
	rec.none(t)
}

// GitLab's two bypasses let a push with a secret through, and each is
// reported with its reason.
func TestBypassesPassAndAreReported(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, message, reason string
		args                  []string
	}{
		{"push option", "add key", pushreport.ReasonPushOption, []string{"-o", "secret_push_protection.skip_all", "main"}},
		{"commit message", "test fixture [skip secret push protection]", pushreport.ReasonCommitMessage, []string{"main"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := newRecorder(t)
			s := newServer(t, rec.settings())
			sha := s.commit(tc.message, map[string]string{"key.txt": "TOKEN=\"" + secret + "\"\n"})
			out := s.mustPush(tc.args...)
			if s.ref("main") != sha || !strings.Contains(out, "skipped") {
				t.Fatalf("main at %s, want %s; git said:\n%s", s.ref("main"), sha, out)
			}
			rep := rec.only(t)
			if rep.Kind != pushreport.Bypassed || rep.Reason != tc.reason || len(rep.Findings) != 0 {
				t.Fatalf("report %+v, want a bypass by %s", rep, tc.reason)
			}
		})
	}
}

// A new branch is scanned only for the commits the repository did not
// have: a secret already on main (pushed with the bypass) does not refuse
// a clean branch made from it, while the branch's own secret does.
func TestNewBranchScansOnlyNewCommits(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	s := newServer(t, nil)
	old := s.commit("old leak [skip secret push protection]", map[string]string{"old.env": "TOKEN=\"" + secret + "\"\n"})
	s.mustPush("main")
	s.install(rec.settings())

	git(t, s.clone, "checkout", "--quiet", "-b", "clean")
	s.commit("clean work", map[string]string{"work.txt": "fine\n"})
	s.mustPush("clean")
	rec.none(t)

	git(t, s.clone, "checkout", "--quiet", "-b", "leaky", old)
	s.commit("fine one", map[string]string{"b.txt": "fine\n"})
	leak := s.commit("new leak", map[string]string{"new.py": "gh = \"" + secret2 + "\"\n"})
	out := s.mustRefuse("leaky")
	if strings.Contains(out, old) || !strings.Contains(out, "commit "+leak) || !strings.Contains(out, "new.py:1") {
		t.Fatalf("the refusal should name the new commit only:\n%s", out)
	}
	rep := rec.only(t)
	if rep.Commits != 2 || len(rep.Findings) != 1 || rep.Findings[0].Commit != leak {
		t.Fatalf("report %+v, want 2 commits scanned and the new leak", rep)
	}
}

// Several refs in one push: a secret on one refuses the whole push (git's
// pre-receive is all or nothing), and a commit two refs share is scanned
// and shown once.
func TestSeveralRefsInOnePush(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	s := newServer(t, rec.settings())
	git(t, s.clone, "checkout", "--quiet", "-b", "a")
	s.commit("a", map[string]string{"a.txt": "fine\n"})
	git(t, s.clone, "checkout", "--quiet", "-b", "b")
	leak := s.commit("b", map[string]string{"b.env": "KEY=\"" + secret + "\"\n"})
	git(t, s.clone, "branch", "c")
	git(t, s.clone, "checkout", "--quiet", "main")
	clean := s.commit("main", map[string]string{"m.txt": "fine\n"})

	out := s.mustRefuse("main", "a", "b", "c")
	if strings.Count(out, "commit "+leak) != 1 || strings.Count(out, "b.env:1") != 1 {
		t.Fatalf("want the shared leak once:\n%s", out)
	}
	if s.ref("a") != "" || s.ref("main") == clean {
		t.Fatal("a ref of the refused push was updated")
	}
	rep := rec.only(t)
	if len(rep.Refs) != 4 || rep.Commits != 3 || len(rep.Findings) != 1 {
		t.Fatalf("report %+v, want 4 refs, 3 commits, 1 finding", rep)
	}
	// Without the leaking refs the same push passes.
	s.mustPush("main", "a")
	if s.ref("main") != clean {
		t.Fatal("main was not updated")
	}
}

// A force push is scanned like any other: the rewritten commit with a
// secret is refused; once amended without it, the force push passes.
func TestForcePush(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	s.commit("first", map[string]string{"a.txt": "one\n"})
	s.mustPush("main")
	git(t, s.clone, "reset", "--quiet", "--hard", "HEAD~1")
	s.commit("rewritten", map[string]string{"a.txt": "TOKEN=\"" + secret + "\"\n"})
	s.mustRefuse("--force", "main")
	git(t, s.clone, "reset", "--quiet", "--hard", "HEAD~1")
	fixed := s.commit("rewritten", map[string]string{"a.txt": "TOKEN=from-the-vault\n"})
	s.mustPush("--force", "main")
	if s.ref("main") != fixed {
		t.Fatal("the force push did not land")
	}
}

// A file over the size limit is not scanned (nor diffed): its push
// passes, while the same secret in a small file is refused.
func TestHugeFileIsSkipped(t *testing.T) {
	t.Parallel()
	s := newServer(t, map[string]string{"SECBOT_PUSH_PROTECTION_MAX_FILE_MEGABYTES": "1"})
	huge := strings.Repeat("filler line of a generated file\n", 40_000) + "TOKEN=\"" + secret + "\"\n"
	sha := s.commit("vendor dump", map[string]string{"dump.txt": huge})
	s.mustPush("main")
	if s.ref("main") != sha {
		t.Fatal("the push of the huge file did not land")
	}
	s.commit("small", map[string]string{"small.txt": "TOKEN=\"" + secret + "\"\n"})
	s.mustRefuse("main")
}

// Past the time budget the push is allowed, said so, and reported as not
// scanned. (A budget of one nanosecond has run out before the scan
// starts.)
func TestTimeBudgetAllows(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	settings := rec.settings()
	settings["SECBOT_PUSH_PROTECTION_TIME_BUDGET"] = "1ns"
	s := newServer(t, settings)
	sha := s.commit("leak", map[string]string{"k.env": "TOKEN=\"" + secret + "\"\n"})
	out := s.mustPush("main")
	if s.ref("main") != sha || !strings.Contains(out, "did not finish within 1ns") {
		t.Fatalf("main at %s, want %s; git said:\n%s", s.ref("main"), sha, out)
	}
	rep := rec.only(t)
	if rep.Kind != pushreport.NotScanned || rep.Reason != pushreport.ReasonTimeBudget {
		t.Fatalf("report %+v, want not scanned for the time budget", rep)
	}
}

// With SecBot down the hook still scans and decides locally: a bypass
// goes through (its report failing), a secret is still refused.
func TestSecBotDownNeverBlocks(t *testing.T) {
	t.Parallel()
	s := newServer(t, map[string]string{"SECBOT_PUSH_PROTECTION_URL": closedURL(t), "SECBOT_PUSH_PROTECTION_TOKEN": token})
	sha := s.commit("fixture [skip secret push protection]", map[string]string{"k.env": "TOKEN=\"" + secret + "\"\n"})
	out := s.mustPush("main")
	if s.ref("main") != sha || !strings.Contains(out, "could not be reported to SecBot") {
		t.Fatalf("main at %s, want %s; git said:\n%s", s.ref("main"), sha, out)
	}
	if strings.Contains(out, token) {
		t.Fatalf("the token is in the message:\n%s", out)
	}
	s.commit("leak", map[string]string{"j.env": "TOKEN=\"" + secret2 + "\"\n"})
	s.mustRefuse("main")
	// A new ref of a commit the repository has needs no scan, nor SecBot.
	s.mustPush("main~1:refs/heads/old")
}

// Deleted refs and tags of commits the repository has pass at once, even
// where those commits hold a secret; a tag bringing a new commit is
// scanned.
func TestDeletesAndTagsOfKnownCommits(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	s := newServer(t, nil)
	s.commit("leak [skip secret push protection]", map[string]string{"k.env": "TOKEN=\"" + secret + "\"\n"})
	s.mustPush("main", "main:refs/heads/doomed")
	s.install(rec.settings())
	git(t, s.clone, "tag", "-a", "-m", "release", "v1")
	git(t, s.clone, "tag", "light")
	s.mustPush("v1", "light", ":refs/heads/doomed")
	if s.ref("v1") == "" || s.ref("refs/heads/doomed") != "" {
		t.Fatal("the tags or the deletion did not land")
	}
	git(t, s.clone, "checkout", "--quiet", "--detach")
	s.commit("tagged leak", map[string]string{"t.env": "TOKEN=\"" + secret2 + "\"\n"})
	git(t, s.clone, "tag", "-a", "-m", "release", "v2")
	s.mustRefuse("v2")
	rep := rec.only(t)
	if rep.Refs[0] != "refs/tags/v2" || rep.Commits != 1 {
		t.Fatalf("report %+v", rep)
	}
}

// The repository's own allowlist at the pushed tip is honoured: a
// .gitleaksignore line for the finding lets it through.
func TestGitleaksIgnoreAtTheTip(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	leak := s.commit("fixture", map[string]string{"test/fixture.env": "TOKEN=\"" + secret + "\"\n"})
	s.mustRefuse("main")
	s.commit("allow the fixture", map[string]string{".gitleaksignore": leak + ":test/fixture.env:gitlab-pat:1\n"})
	s.mustPush("main")
}

// The first push to an empty repository (a new GitLab project) has no
// existing ref to leave out: all of its commits are scanned.
func TestFirstPushToAnEmptyRepository(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	empty := filepath.Join(t.TempDir(), "empty.git")
	git(t, s.clone, "init", "--quiet", "--bare", empty)
	s.bare = empty
	s.install(nil)
	git(t, s.clone, "remote", "set-url", "origin", empty)
	leak := s.commit("leak", map[string]string{"k.env": "TOKEN=\"" + secret + "\"\n"})
	s.commit("later", map[string]string{"l.txt": "fine\n"})
	if out := s.mustRefuse("main"); !strings.Contains(out, "commit "+leak) {
		t.Fatalf("want the leak of the first push:\n%s", out)
	}
}
