package gitlab

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

func TestCheckRefName(t *testing.T) {
	tests := []struct {
		name string
		want string // "" for valid, else a part of the error
	}{
		{name: "refs/heads/main"},
		{name: "refs/heads/feature/x-1"},
		{name: "refs/tags/v1.0.0"},
		{name: "refs/heads/--help"}, // a valid ref; the branch rule refuses it
		{name: "refs/heads/@"},
		{name: "refs/heads/a@b{c}"},
		{name: "refs/heads/a./b"},
		{name: "refs/heads/a.lockx"},
		{name: "refs/heads/é"},
		{name: "", want: "is empty"},
		{name: "@", want: `"@"`},
		{name: "main", want: "one component"},
		{name: "refs/heads/main --output=/tmp/x/pwned", want: `' '`},
		{name: "refs/heads/a\tb", want: "control character"},
		{name: "refs/heads/a\x7fb", want: "control character"},
		{name: "refs/heads/a~1", want: `'~'`},
		{name: "refs/heads/a^", want: `'^'`},
		{name: "refs/heads/a:b", want: `':'`},
		{name: "refs/heads/a?", want: `'?'`},
		{name: "refs/heads/*", want: `'*'`},
		{name: "refs/heads/a[b", want: `'['`},
		{name: `refs/heads/a\b`, want: `'\\'`},
		{name: "refs/heads/a..b", want: `".."`},
		{name: "refs/heads/a@{1}", want: `"@{"`},
		{name: "refs/heads/.hidden", want: `starting with '.'`},
		{name: "refs/heads/a/.b", want: `starting with '.'`},
		{name: "refs/heads/a.lock", want: ".lock"},
		{name: "refs/heads/a.lock/b", want: ".lock"},
		{name: "refs/heads/a.", want: `ends with "."`},
		{name: "refs/heads/", want: "empty component"},
		{name: "/refs/heads/a", want: "empty component"},
		{name: "refs//heads/a", want: "empty component"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckRefName(tt.name)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused a valid ref: %v", err)
			case tt.want != "" && err == nil:
				t.Fatalf("accepted; want an error with %s", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Fatalf("error %q does not say %s", err, tt.want)
			}
		})
	}
	for name, want := range map[string]string{"-x": `starts with "-"`, "HEAD": "HEAD", "a..b": `".."`} {
		if err := CheckBranchName(name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("branch %q: err = %v, want one saying %s", name, err, want)
		}
	}
	if err := CheckBranchName("feature/login"); err != nil {
		t.Errorf("branch feature/login refused: %v", err)
	}
}

// refSamples are tricky names and random ones made of the characters git's
// rules are about.
func refSamples() []string {
	samples := []string{"main", "a/b", "-x", "--help", "HEAD", "@", "@{-1}", "a@{b", "a.lock", "a/.b", ".a", "a.", "a..b",
		"a//b", "/a", "a/", "a b", "a~b", "a^b", "a:b", "a?b", "a*b", "a[b", `a\b`, "a\x01b", "a\x7fb", "é", "a{b}", "x.lock/y", "a./b"}
	alphabet := []string{"a", "b", "/", ".", "-", "@", "{", "}", "l", "o", "c", "k", ".lock", " ", "~", "^", ":", "?", "*", "[", `\`, "\x01", "\x7f", "é", "HEAD"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100 {
		var b strings.Builder
		for range 1 + rng.IntN(7) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		samples = append(samples, b.String())
	}
	return samples
}

// The Go rules agree with git's own `git check-ref-format`, with and
// without --branch, on every sample.
func TestRefRulesMatchGit(t *testing.T) {
	dir := t.TempDir() // outside any repository: --branch expands nothing
	gitAccepts := func(args ...string) bool {
		cmd := exec.Command("git", append([]string{"check-ref-format"}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(cmd.Environ(), "GIT_CEILING_DIRECTORIES="+dir)
		err := cmd.Run()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Error(err)
		}
		return err == nil
	}
	samples := refSamples()
	mismatches := make(chan string, 3*len(samples))
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(samples); i += 4 {
				s := samples[i]
				// git reads a leading "-" as an option, so those get a prefix only.
				for _, ref := range []string{"refs/heads/" + s, s} {
					if !strings.HasPrefix(ref, "-") && (CheckRefName(ref) == nil) != gitAccepts(ref) {
						mismatches <- fmt.Sprintf("CheckRefName(%q) = %v; git check-ref-format disagrees", ref, CheckRefName(ref))
					}
				}
				if (CheckBranchName(s) == nil) != gitAccepts("--branch", s) {
					mismatches <- fmt.Sprintf("CheckBranchName(%q) = %v; git check-ref-format --branch disagrees", s, CheckBranchName(s))
				}
			}
		}()
	}
	wg.Wait()
	close(mismatches)
	for m := range mismatches {
		t.Error(m)
	}
}

// pushBody is a push hook for ref, with a project whose path and clone URL
// path are path.
func pushBody(t *testing.T, kind, ref, path string) []byte {
	t.Helper()
	body, err := json.Marshal(map[string]any{
		"object_kind": kind, "ref": ref, "checkout_sha": "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
		"before": zeroSHA, "after": "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
		"project": map[string]any{"path_with_namespace": path, "git_ssh_url": "git@h:" + path + ".git",
			"git_http_url": "https://h/" + path + ".git", "web_url": "https://h/" + path},
	})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func mergeRequestBody(t *testing.T, source, target string) []byte {
	t.Helper()
	body, err := json.Marshal(map[string]any{
		"object_kind": "merge_request",
		"project":     map[string]any{"path_with_namespace": "a/b", "git_ssh_url": "git@h:a/b.git", "git_http_url": "https://h/a/b.git", "web_url": "https://h/a/b"},
		"object_attributes": map[string]any{"iid": 1, "source_branch": source, "target_branch": target,
			"last_commit": map[string]any{"id": "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func TestParseHookRefusesBadRefsAndPaths(t *testing.T) {
	deep := strings.Repeat("g/", 2000) + "app" // the audit's: 2,000 folders
	tests := []struct {
		name, header string
		body         []byte
		field, says  string
	}{
		{name: "an option after the ref", header: "Push Hook", body: pushBody(t, "push", "refs/heads/main --output=/tmp/x/pwned", "a/b"), field: "ref", says: "' '"},
		{name: "a branch that reads as an option", header: "Push Hook", body: pushBody(t, "push", "refs/heads/--help", "a/b"), field: "ref", says: `starts with "-"`},
		{name: "a push of no branch", header: "Push Hook", body: pushBody(t, "push", "refs/tags/v1", "a/b"), field: "ref", says: "refs/heads/"},
		{name: "a bare branch name", header: "Push Hook", body: pushBody(t, "push", "main", "a/b"), field: "ref", says: "refs/heads/"},
		{name: "a tag push of a branch", header: "Tag Push Hook", body: pushBody(t, "tag_push", "refs/heads/main", "a/b"), field: "ref", says: "refs/tags/"},
		{name: "a tag that reads as an option", header: "Tag Push Hook", body: pushBody(t, "tag_push", "refs/tags/-v1", "a/b"), field: "ref", says: `starts with "-"`},
		{name: "a huge ref", header: "Push Hook", body: pushBody(t, "push", "refs/heads/"+strings.Repeat("a/", 3000), "a/b"), field: "ref", says: "bytes long"},
		{name: "a source branch that is an option", header: "Merge Request Hook", body: mergeRequestBody(t, "--upload-pack=touch /tmp/x", "main"), field: "object_attributes.source_branch"},
		{name: "a source branch with a refspec in it", header: "Merge Request Hook", body: mergeRequestBody(t, "x:refs/heads/main", "main"), field: "object_attributes.source_branch", says: "':'"},
		{name: "a target branch with a range", header: "Merge Request Hook", body: mergeRequestBody(t, "topic", "main..other"), field: "object_attributes.target_branch", says: `".."`},
		{name: "a deep project path", header: "Push Hook", body: pushBody(t, "push", "refs/heads/main", deep), field: "project.path_with_namespace", says: "levels deep"},
		{name: "a deep clone URL", header: "Push Hook", body: pushBody(t, "push", "refs/heads/main", deep), field: "project.git_http_url", says: "levels deep"},
		{name: "a long project path", header: "Push Hook", body: pushBody(t, "push", "refs/heads/main", strings.Repeat(strings.Repeat("p", 200)+"/", 15)+"app"), field: "project.path_with_namespace", says: "bytes long"},
		{name: "a long project name", header: "Push Hook", body: pushBody(t, "push", "refs/heads/main", "g/"+strings.Repeat("p", 256)), field: "project.path_with_namespace", says: "256 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseHook(tt.header, tt.body)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want *ValidationError", err)
			}
			for _, d := range ve.Details {
				if d.Field == tt.field && d.Code == "invalid" && strings.Contains(d.Message, tt.says) {
					return
				}
			}
			t.Fatalf("details %+v do not name field %q saying %s", ve.Details, tt.field, tt.says)
		})
	}
}

func TestParseHookAcceptsGoodRefs(t *testing.T) {
	deepest := strings.Repeat("g/", MaxNamespaceDepth) + "app"
	for _, tt := range []struct{ header, kind, ref, path string }{
		{"Push Hook", "push", "refs/heads/feature/login", "a/b"},
		{"Push Hook", "push", "refs/heads/main", deepest},
		{"Tag Push Hook", "tag_push", "refs/tags/v1.2.3", "a/b"},
	} {
		ev, err := ParseHook(tt.header, pushBody(t, tt.kind, tt.ref, tt.path))
		if err != nil {
			t.Fatalf("%s %s: %v", tt.ref, tt.path, err)
		}
		if err := ev.CheckGitValues(); err != nil {
			t.Fatalf("the worker refuses what the parser accepted: %v", err)
		}
	}
	ev, err := ParseHook("Merge Request Hook", mergeRequestBody(t, "feature/x", "main"))
	if err != nil {
		t.Fatal(err)
	}
	if err := ev.CheckGitValues(); err != nil {
		t.Fatalf("the worker refuses what the parser accepted: %v", err)
	}
}

func TestCheckGitValues(t *testing.T) {
	sha := "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"
	for name, ev := range map[string]Event{
		"option in ref":    {Type: Push, CommitSHA: sha, Before: zeroSHA, After: sha, Ref: "refs/heads/main --output=/tmp/x"},
		"bad before":       {Type: Push, CommitSHA: sha, Before: "--all", After: sha, Ref: "refs/heads/main"},
		"bad commit":       {Type: TagPush, CommitSHA: "HEAD", Before: zeroSHA, After: sha, Ref: "refs/tags/v1"},
		"option as branch": {Type: MergeRequest, CommitSHA: sha, MergeRequest: &MergeRequestInfo{IID: 1, SourceBranch: "--upload-pack=x", TargetBranch: "main"}},
		"no number":        {Type: MergeRequest, CommitSHA: sha, MergeRequest: &MergeRequestInfo{SourceBranch: "a", TargetBranch: "main"}},
		"no merge request": {Type: MergeRequest, CommitSHA: sha},
	} {
		var ve *ValidationError
		if err := ev.CheckGitValues(); !errors.As(err, &ve) {
			t.Errorf("%s: err = %v, want a *ValidationError", name, err)
		}
	}
}
