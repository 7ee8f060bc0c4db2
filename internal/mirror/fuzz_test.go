package mirror

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/gitlab"
	"github.com/secbot/secbot/internal/gitrev"
)

const (
	fuzzSHA   = "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"
	fuzzOther = "95790bf891e76fee5e1747ab589903a6a1f80f22"
)

// FuzzHookToGitArgs feeds ref and branch names through the receiver's hook
// parser and, where it accepts them, through the mirror's building of git's
// arguments and input: no value from the hook may be an argument git could take as
// an option, and every accepted ref keeps git's ref-name rules.
func FuzzHookToGitArgs(f *testing.F) {
	for _, seed := range [][3]string{
		{"refs/heads/main", "topic", "main"},
		{"refs/heads/main --output=/tmp/x/pwned", "--upload-pack=touch /tmp/x", "main..other"},
		{"refs/heads/--help", "-x", "--all"},
		{"refs/heads/feature/x.y", "feature/x", "release/1.0"},
		{"refs/heads/a@{1}", "x:refs/heads/main", "*"},
		{"refs/heads/a.lock", "a/.b", "HEAD"},
		{"refs/heads/é", "@", "a\tb"},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	f.Fuzz(func(t *testing.T, ref, source, target string) {
		fuzzPush(t, ref)
		fuzzMergeRequest(t, source, target)
	})
}

var fuzzProject = map[string]any{"path_with_namespace": "group/app", "git_ssh_url": "git@gitlab.example:group/app.git",
	"git_http_url": "https://gitlab.example/group/app.git", "web_url": "https://gitlab.example/group/app"}

func parse(t *testing.T, header string, hook map[string]any) *gitlab.Event {
	body, err := json.Marshal(hook)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := gitlab.ParseHook(header, body)
	if err != nil {
		return nil
	}
	// The worker checks again, and must agree.
	if err := ev.CheckGitValues(); err != nil {
		t.Fatalf("the parser accepted what the worker refuses: %v", err)
	}
	return ev
}

func fuzzPush(t *testing.T, ref string) {
	ev := parse(t, "Push Hook", map[string]any{"object_kind": "push", "ref": ref, "before": zeroSHA, "after": fuzzSHA, "project": fuzzProject})
	if ev == nil {
		return
	}
	branch, ok := strings.CutPrefix(ev.Ref, "refs/heads/")
	if !ok || strings.HasPrefix(branch, "-") {
		t.Fatalf("accepted the push ref %q: not a branch, or one that reads as an option", ev.Ref)
	}
	if err := obeysRefRules(ev.Ref); err != nil {
		t.Fatalf("accepted the push ref %q, which %v", ev.Ref, err)
	}
	// A new branch: the commits no other branch has.
	revs, err := revisions(ev, map[string]string{ev.Ref: fuzzSHA, "refs/heads/other-" + branch: fuzzOther}, false)
	if err != nil {
		t.Fatalf("new branch %q: %v", ev.Ref, err)
	}
	checkLog(t, revs)
	ev.Before = fuzzOther
	revs, err = revisions(ev, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	checkLog(t, revs)
}

func fuzzMergeRequest(t *testing.T, source, target string) {
	ev := parse(t, "Merge Request Hook", map[string]any{"object_kind": "merge_request", "project": fuzzProject,
		"object_attributes": map[string]any{"iid": 3, "source_branch": source, "target_branch": target,
			"source_project_id": 2, "target_project_id": 1, "source": map[string]any{"git_http_url": "https://gitlab.example/fork/app.git"},
			"last_commit": map[string]any{"id": fuzzSHA}}})
	if ev == nil {
		return
	}
	mr := ev.MergeRequest
	for _, b := range []string{mr.SourceBranch, mr.TargetBranch} {
		if strings.HasPrefix(b, "-") {
			t.Fatalf("accepted the branch %q, which reads as an option", b)
		}
		if err := obeysRefRules("refs/heads/" + b); err != nil {
			t.Fatalf("accepted the branch %q, which %v", b, err)
		}
	}
	refspec, err := forkRefspec(mr)
	if err != nil {
		t.Fatalf("fork refspec of %q: %v", mr.SourceBranch, err)
	}
	// One ref fetched into one ref: no ":" or glob of the branch's own.
	if src, dst, _ := strings.Cut(refspec, ":"); src != "+refs/heads/"+mr.SourceBranch || dst != fmt.Sprintf("refs/secbot/mr/%d", mr.IID) ||
		strings.Contains(refspec, "*") {
		t.Fatalf("refspec %q of branch %q", refspec, mr.SourceBranch)
	}
	fork, _ := url.Parse(mr.SourceHTTPURL)
	args := fetchArgs(fork, []string{refspec})
	end := slices.Index(args, "--end-of-options")
	if end < 0 || !slices.Equal(args[:end], []string{"fetch", "--quiet", "--prune", "--no-tags", "--force"}) {
		t.Fatalf("git fetch arguments %q: the options are not SecBot's alone", args)
	}
	for _, a := range args[end+1:] {
		if strings.HasPrefix(a, "-") {
			t.Fatalf("git fetch argument %q after --end-of-options starts with -", a)
		}
	}
	revs, err := revisions(ev, map[string]string{"refs/heads/" + mr.TargetBranch: fuzzOther}, false)
	if err != nil {
		t.Fatalf("merge request into %q: %v", mr.TargetBranch, err)
	}
	checkLog(t, revs)
}

// revLine is the oracle's revision for git log --stdin: a full SHA, "^"
// before one left out.
var revLine = regexp.MustCompile(`^\^?[0-9a-f]{40}$`)

// checkLog checks what git log reads on its standard input for revs (the
// revisions reach git in no other way): each line a SHA.
func checkLog(t *testing.T, revs []string) {
	stdin, err := gitrev.Input(revs)
	if err != nil {
		t.Fatalf("revisions %q: %v", revs, err)
	}
	for _, line := range strings.Split(strings.TrimSuffix(stdin, "\n"), "\n") {
		if !revLine.MatchString(line) {
			t.Fatalf("git log reads the revision %q", line)
		}
	}
}

// obeysRefRules restates git's ref-name rules (git check-ref-format) on
// their own, as the fuzz target's oracle.
func obeysRefRules(ref string) error {
	for _, bad := range []string{"..", "@{", "//", " ", "~", "^", ":", "?", "*", "[", `\`} {
		if strings.Contains(ref, bad) {
			return fmt.Errorf("contains %q", bad)
		}
	}
	if strings.ContainsFunc(ref, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("contains a control character")
	}
	if ref == "@" || strings.HasPrefix(ref, "/") || strings.HasSuffix(ref, "/") || strings.HasSuffix(ref, ".") || !strings.Contains(ref, "/") {
		return fmt.Errorf("has a bad start or end, or one level only")
	}
	for _, c := range strings.Split(ref, "/") {
		if strings.HasPrefix(c, ".") || strings.HasSuffix(c, ".lock") {
			return fmt.Errorf("has the component %q", c)
		}
	}
	return nil
}
