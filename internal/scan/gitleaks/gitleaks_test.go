package gitleaks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/gitlab"
	"github.com/secbot/secbot/internal/handler"
	"github.com/secbot/secbot/internal/mirror"
	"github.com/secbot/secbot/internal/scan/gitleaks/engine"
	"github.com/secbot/secbot/internal/testenv"
	"github.com/secbot/secbot/internal/verify/verifytest"
)

const (
	zeroSHA  = "0000000000000000000000000000000000000000"
	apiToken = "glpat-InstanceToken0000001"
	secret   = "glpat-Xk9vQ2mT7pLr4sWz8YbN"
	secret2  = "ghp_R8x2Lk9QmT4vW7zN1bY5cP3sJ6hF0aD2gE8u"
)

type fixture struct {
	t       *testing.T
	srv     *testenv.GitServer
	repo    *testenv.Repo
	scanner *Scanner
	// providers stand in for the secrets' providers (GitHub, Slack, …):
	// the scan's checks go there, never to the network.
	providers *verifytest.Providers
}

func newFixture(t *testing.T, s Settings) *fixture {
	t.Helper()
	srv := testenv.NewGitServer(t, apiToken)
	if s.CacheDir == "" {
		s.CacheDir = t.TempDir()
	}
	providers := verifytest.New(t)
	if s.VerifyClient == nil {
		s.VerifyClient = providers.Client()
	}
	scanner, err := NewScanner(s)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, srv: srv, repo: srv.NewRepo(t, "group/app"), scanner: scanner, providers: providers}
	f.repo.Commit("initial", map[string]string{"README.md": "# app\n"})
	f.repo.Push("main")
	return f
}

func (f *fixture) push(before, after, ref string) *handler.Request {
	return &handler.Request{Instance: f.srv.Instance(), Event: gitlab.Event{
		Type: gitlab.Push, Project: f.repo.Project(), CommitSHA: after, Before: before, After: after, Ref: ref}}
}

// openMirror is the scanner's mirror of the fixture's project with its
// branches fetched, held open until the test ends.
func (f *fixture) openMirror() *mirror.Mirror {
	f.t.Helper()
	return openMirror(f.t, f.scanner.mirrors, f.srv.Instance(), f.repo.URL, f.repo.Head())
}

// openMirror opens the mirror of the repository served at url and fetches
// its branches, as a scan of a push of head to main does.
func openMirror(tb testing.TB, mirrors *mirror.Mirrors, inst config.Instance, url, head string) *mirror.Mirror {
	tb.Helper()
	ev := gitlab.Event{Type: gitlab.Push, Project: gitlab.Project{PathWithNamespace: "group/app", GitHTTPURL: url},
		CommitSHA: head, Before: zeroSHA, After: head, Ref: "refs/heads/main"}
	remote, err := mirror.RemoteURL(inst, url)
	if err != nil {
		tb.Fatal(err)
	}
	mr, err := mirrors.Open(context.Background(), remote, inst)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(mr.Close)
	if _, err := mr.Prepare(context.Background(), inst, &ev, remote); err != nil {
		tb.Fatal(err)
	}
	return mr
}

func (f *fixture) scan(req *handler.Request) ([]Finding, error) {
	f.t.Helper()
	res, err := f.scanner.Scan(context.Background(), req)
	if err != nil {
		return nil, err
	}
	var findings []Finding
	if err := json.Unmarshal(res.Data, &findings); err != nil {
		f.t.Fatal(err)
	}
	if res.Findings != len(findings) || res.ActiveFindings != len(findings) {
		f.t.Fatalf("result counts %d/%d for %d findings", res.Findings, res.ActiveFindings, len(findings))
	}
	if strings.Contains(string(res.Data), secret) || strings.Contains(string(res.Data), secret2) {
		f.t.Fatalf("the stored report holds a raw secret: %s", res.Data)
	}
	return findings, nil
}

func (f *fixture) mustScan(req *handler.Request) []Finding {
	f.t.Helper()
	findings, err := f.scan(req)
	if err != nil {
		f.t.Fatal(err)
	}
	return findings
}

func files(findings []Finding) []string {
	var out []string
	for _, x := range findings {
		out = append(out, fmt.Sprintf("%s:%d", x.File, x.StartLine))
	}
	return out
}

func TestPushWithSecret(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Settings{})
	before := f.repo.Head()
	after := f.repo.Commit("add config", map[string]string{"config/app.env": "DEBUG=true\nTOKEN=\"" + secret + "\"\n"})
	f.repo.Push("main")
	findings := f.mustScan(f.push(before, after, "refs/heads/main"))
	if len(findings) != 1 {
		t.Fatalf("findings = %v, want one", files(findings))
	}
	got := findings[0]
	if got.File != "config/app.env" || got.StartLine != 2 || got.Commit != after || got.RuleID != "gitlab-pat" {
		t.Fatalf("finding = %s:%d commit %s rule %s", got.File, got.StartLine, got.Commit, got.RuleID)
	}
	if got.Secret != "REDACTED" || strings.Contains(got.Match, "Xk9vQ2") || len(got.SecretHash) != 64 {
		t.Fatalf("not redacted: secret %q match %q hash %q", got.Secret, got.Match, got.SecretHash)
	}
	if got.Fingerprint != after+":config/app.env:gitlab-pat:2" {
		t.Fatalf("fingerprint = %s", got.Fingerprint)
	}
}

func TestCleanPushAndOnlyNewCommits(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Settings{})
	first := f.repo.Commit("leak", map[string]string{"a.txt": "key = \"" + secret + "\"\n"})
	f.repo.Push("main")
	if n := len(f.mustScan(f.push(f.repo.Head(), first, "refs/heads/main"))); n != 0 {
		// before == after: an empty range
		t.Fatalf("empty range found %d", n)
	}
	second := f.repo.Commit("docs", map[string]string{"docs.md": "nothing here\n"})
	f.repo.Push("main")
	if findings := f.mustScan(f.push(first, second, "refs/heads/main")); len(findings) != 0 {
		t.Fatalf("a clean push reported %v: the old secret is not new code", files(findings))
	}
	var h Settings
	h.Scope = "history"
	hist := newFixture(t, h)
	hist.repo.Commit("leak", map[string]string{"a.txt": "key = \"" + secret + "\"\n"})
	clean := hist.repo.Commit("docs", map[string]string{"docs.md": "x\n"})
	hist.repo.Push("main")
	before := testenv.Run(t, hist.repo.Dir, "git", "rev-parse", "HEAD~1")
	if n := len(hist.mustScan(hist.push(before, clean, "refs/heads/main"))); n != 1 {
		t.Fatalf("scope history found %d, want the old secret", n)
	}
	// History scans every ref, which a deleted branch's commits may no
	// longer be on: a push of a branch not in the repository fails, as
	// with scope new.
	_, err := hist.scan(hist.push(zeroSHA, clean, "refs/heads/gone"))
	if !errors.Is(err, handler.ErrPermanent) || !strings.Contains(err.Error(), `branch "gone" is not in group/app`) {
		t.Fatalf("scope history, a branch not in the repository: err = %v", err)
	}
}

func TestNewBranchScansOnlyItsOwnCommits(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Settings{})
	f.repo.Commit("old leak on main", map[string]string{"old.txt": "key = \"" + secret + "\"\n"})
	f.repo.Push("main")
	f.repo.Checkout("-b", "feature")
	plain := f.repo.Commit("feature work", map[string]string{"f.txt": "fine\n"})
	f.repo.Push("feature")
	if findings := f.mustScan(f.push(zeroSHA, plain, "refs/heads/feature")); len(findings) != 0 {
		t.Fatalf("new branch reported main's history: %v", files(findings))
	}
	leak := f.repo.Commit("feature leak", map[string]string{"g.txt": "gh = \"" + secret2 + "\"\n"})
	f.repo.Push("feature")
	f.repo.Checkout("-b", "feature-2")
	f.repo.Push("feature-2")
	findings := f.mustScan(f.push(zeroSHA, leak, "refs/heads/feature-2"))
	if len(findings) != 0 {
		t.Fatalf("a branch made from an existing one brings no new commits, got %v", files(findings))
	}
	f.repo.Checkout("-b", "feature-3", "main")
	leak3 := f.repo.Commit("own leak", map[string]string{"h.txt": "gh = \"" + secret2 + "\"\n"})
	f.repo.Push("feature-3")
	if findings := f.mustScan(f.push(zeroSHA, leak3, "refs/heads/feature-3")); len(findings) != 1 || findings[0].File != "h.txt" {
		t.Fatalf("new branch with its own leak: %v", files(findings))
	}
}

func TestForcePush(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Settings{})
	base := f.repo.Head()
	old := f.repo.Commit("to be rewritten", map[string]string{"x.txt": "x\n"})
	f.repo.Push("main")
	f.mustScan(f.push(base, old, "refs/heads/main")) // the mirror now has old
	testenv.Run(t, f.repo.Dir, "git", "reset", "--quiet", "--hard", base)
	rewritten := f.repo.Commit("rewritten with a leak", map[string]string{"y.txt": "key = \"" + secret + "\"\n"})
	f.repo.Push("--force", "main")
	if findings := f.mustScan(f.push(old, rewritten, "refs/heads/main")); len(findings) != 1 || findings[0].File != "y.txt" {
		t.Fatalf("force push: %v", files(findings))
	}
	// A force push whose old head the mirror never saw scans what no other branch has.
	fresh := newFixture(t, Settings{})
	freshBase := fresh.repo.Head()
	gone := fresh.repo.Commit("never fetched", map[string]string{"z.txt": "z\n"})
	testenv.Run(t, fresh.repo.Dir, "git", "reset", "--quiet", "--hard", freshBase)
	leak := fresh.repo.Commit("leak", map[string]string{"w.txt": "key = \"" + secret + "\"\n"})
	fresh.repo.Push("--force", "main")
	if findings := fresh.mustScan(fresh.push(gone, leak, "refs/heads/main")); len(findings) != 1 {
		t.Fatalf("force push over an unknown head: %v", files(findings))
	}
}

func (f *fixture) mergeRequest(source *testenv.Repo, sourcePath, branch, last string, fork bool) *handler.Request {
	mr := &gitlab.MergeRequestInfo{IID: 7, SourceBranch: branch, TargetBranch: "main", SourceProjectID: 1, TargetProjectID: 1,
		SourceHTTPURL: source.URL}
	if fork {
		mr.SourceProjectID = 2
	}
	return &handler.Request{Instance: f.srv.Instance(), Event: gitlab.Event{
		Type: gitlab.MergeRequest, Project: f.repo.Project(), CommitSHA: last, MergeRequest: mr}}
}

func TestMergeRequests(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Settings{})
	f.repo.Commit("main leak", map[string]string{"main.txt": "key = \"" + secret + "\"\n"})
	f.repo.Push("main")
	f.repo.Checkout("-b", "topic")
	f.repo.Commit("one", map[string]string{"one.txt": "gh = \"" + secret2 + "\"\n"})
	last := f.repo.Commit("two", map[string]string{"two.txt": "fine\n"})
	f.repo.Push("topic")
	findings := f.mustScan(f.mergeRequest(f.repo, "group/app", "topic", last, false))
	if len(findings) != 1 || findings[0].File != "one.txt" {
		t.Fatalf("merge request: %v, want only the topic branch's leak", files(findings))
	}

	fork := f.srv.Fork(t, f.repo, "someone/app")
	fork.Checkout("-b", "contribution")
	forkLast := fork.Commit("contribution", map[string]string{"c.txt": "key = \"" + secret + "\"\n"})
	fork.Push("contribution")
	findings = f.mustScan(f.mergeRequest(fork, "someone/app", "contribution", forkLast, true))
	if len(findings) != 1 || findings[0].File != "c.txt" || findings[0].Commit != forkLast {
		t.Fatalf("fork merge request: %v", files(findings))
	}
}

func TestTagScansTheTree(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Settings{})
	f.repo.Commit("leak", map[string]string{"deep/dir/creds.txt": "one\ntwo\nkey = \"" + secret + "\"\n"})
	tagged := f.repo.Commit("later", map[string]string{"later.txt": "fine\n"})
	testenv.Run(t, f.repo.Dir, "git", "tag", "v1.0")
	f.repo.Push("main", "v1.0")
	req := f.push(zeroSHA, tagged, "refs/tags/v1.0")
	req.Event.Type = gitlab.TagPush
	findings := f.mustScan(req)
	if len(findings) != 1 || findings[0].File != "deep/dir/creds.txt" || findings[0].StartLine != 3 || findings[0].Commit != tagged {
		t.Fatalf("tag: %v", files(findings))
	}
}

func TestRepositoryConfigAndIgnores(t *testing.T) {
	t.Parallel()
	leaks := map[string]string{
		"vendor/lib.txt":  "key = \"" + secret + "\"\n",
		"app/main.txt":    "key = \"" + secret + "\"\n",
		"app/inline.txt":  "key = \"" + secret + "\" # gitleaks:allow\n",
		"app/custom.txt":  "see ACME-1234567890ABCDEF\n", // only the custom rule below catches it
		"app/ignored.txt": "\n\ngh = \"" + secret2 + "\"\n",
	}
	tests := []struct {
		name  string
		extra map[string]string
		want  []string
	}{
		{name: "defaults; gitleaks:allow honoured", want: []string{"app/ignored.txt:3", "app/main.txt:1", "vendor/lib.txt:1"}},
		{name: "allowlist paths", extra: map[string]string{".gitleaks.toml": `
[extend]
useDefault = true
[[allowlists]]
paths = ['''^vendor/''']
`}, want: []string{"app/ignored.txt:3", "app/main.txt:1"}},
		{name: "custom rule with useDefault", extra: map[string]string{".gitleaks.toml": `
[extend]
useDefault = true
[[rules]]
id = "acme-key"
regex = '''ACME-[0-9A-F]{16}'''
`}, want: []string{"app/custom.txt:1", "app/ignored.txt:3", "app/main.txt:1", "vendor/lib.txt:1"}},
		{name: "own rules only", extra: map[string]string{".gitleaks.toml": `
[[rules]]
id = "acme-key"
regex = '''ACME-[0-9A-F]{16}'''
`}, want: []string{"app/custom.txt:1"}},
		{name: "gitleaksignore", extra: map[string]string{".gitleaksignore": "# reviewed\napp/ignored.txt:github-pat:3\n"}, want: []string{"app/main.txt:1", "vendor/lib.txt:1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Settings{})
			before := f.repo.Head()
			all := map[string]string{}
			for k, v := range leaks {
				all[k] = v
			}
			for k, v := range tt.extra {
				all[k] = v
			}
			after := f.repo.Commit("files", all)
			f.repo.Push("main")
			fs := f.mustScan(f.push(before, after, "refs/heads/main"))
			for _, x := range fs {
				t.Logf("%s %s %q", x.File, x.RuleID, x.Match)
			}
			got := files(fs)
			if strings.Join(sorted(got), ",") != strings.Join(tt.want, ",") {
				t.Fatalf("findings = %v, want %v", sorted(got), tt.want)
			}
		})
	}
}

// The gitleaks loader breaks [extend] after two loads in one process;
// SecBot's must not.
func TestExtendWorksOnEveryLoad(t *testing.T) {
	t.Parallel()
	r, err := engine.NewRules()
	if err != nil {
		t.Fatal(err)
	}
	toml := []byte("[extend]\nuseDefault = true\n[[rules]]\nid = \"acme-key\"\nregex = '''ACME-[0-9A-F]{16}'''\n")
	for i := range 4 {
		cfg, err := r.ForRepository(toml)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := cfg.Rules["gitlab-pat"]; !ok || len(cfg.Rules) != len(r.Default().Rules)+1 {
			t.Fatalf("load %d: %d rules, want the defaults plus acme-key", i+1, len(cfg.Rules))
		}
	}
	if _, err := r.ForRepository([]byte("[extend]\npath = \"/etc/passwd\"\n")); err == nil {
		t.Fatal("an extend path reading the worker's files was accepted")
	}
}

func TestBadInputs(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Settings{})
	head := f.repo.Head()
	missing := "0123456789abcdef0123456789abcdef01234567"
	_, err := f.scan(f.push(head, missing, "refs/heads/main"))
	if !errors.Is(err, handler.ErrPermanent) || !strings.Contains(err.Error(), missing) {
		t.Fatalf("missing commit: err = %v, want a permanent error naming it", err)
	}
	for name, url := range map[string]string{
		"other host":  "http://gitlab.attacker.example/group/app.git",
		"other port":  strings.Replace(f.repo.URL, "127.0.0.1:", "127.0.0.1:1", 1),
		"file scheme": "file://" + f.repo.Bare,
		"credentials": strings.Replace(f.repo.URL, "http://", "http://user:pw@", 1),
	} {
		req := f.push(head, head, "refs/heads/main")
		req.Event.Project.GitHTTPURL = url
		if _, err := f.scan(req); !errors.Is(err, handler.ErrPermanent) || !strings.Contains(err.Error(), "refused") {
			t.Errorf("%s: err = %v, want a permanent refusal", name, err)
		}
	}
	req := f.push(head, head, "refs/heads/main")
	req.Instance.AuthToken = "glpat-WrongToken00000000000"
	_, err = f.scan(req)
	if err == nil || strings.Contains(err.Error(), "WrongToken") {
		t.Fatalf("wrong token: err = %v; want an error that does not repeat the token", err)
	}
	for _, u := range f.srv.Seen() {
		if strings.Contains(u, apiToken) || strings.Contains(u, "WrongToken") {
			t.Fatalf("a token travelled in a URL: %s", u)
		}
	}
}

func TestScanTimeout(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Settings{Timeout: time.Nanosecond})
	_, err := f.scan(f.push(zeroSHA, f.repo.Head(), "refs/heads/main"))
	if !errors.Is(err, handler.ErrPermanent) || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("err = %v, want a permanent timeout", err)
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestConcurrentScansShareTheMirror(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Settings{})
	before := f.repo.Head()
	after := f.repo.Commit("leak", map[string]string{"k.txt": "key = \"" + secret + "\"\n"})
	f.repo.Push("main")
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := f.scanner.Scan(context.Background(), f.push(before, after, "refs/heads/main"))
			if err != nil || res.Findings != 1 {
				t.Errorf("concurrent scan: %d findings, %v", res.Findings, err)
			}
		}()
	}
	wg.Wait()
}
