package pushguard

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/secbot/secbot/internal/gitrev"
)

// Update is one line of pre-receive's input: a ref going from Old to New.
type Update struct {
	Old, New, Ref string
}

// deletes reports whether the update deletes its ref.
func (u Update) deletes() bool { return strings.Trim(u.New, "0") == "" }

// ParseUpdates reads pre-receive's standard input: "<old> <new> <ref>"
// lines.
func ParseUpdates(r io.Reader) ([]Update, error) {
	var out []Update
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			continue
		}
		f := strings.SplitN(line, " ", 3)
		if len(f) != 3 || !gitrev.IsSHA(f[0]) || !gitrev.IsSHA(f[1]) || f[2] == "" {
			return nil, fmt.Errorf("input line %d is not \"<old> <new> <ref>\": %q", n, clip(line))
		}
		out = append(out, Update{Old: f[0], New: f[1], Ref: f[2]})
	}
	return out, sc.Err()
}

// Repo runs git in the repository a push goes to: the hook's working
// directory, with the environment git gave the hook, so the push's
// quarantine (GIT_OBJECT_DIRECTORY, GIT_ALTERNATE_OBJECT_DIRECTORIES,
// GIT_QUARANTINE_PATH) holds the objects git reads. It implements
// engine.Git.
type Repo struct {
	// MaxFileMB makes larger files binary to git's diff (so never
	// scanned nor even diffed).
	MaxFileMB int
}

// Command is git with args, in the C locale.
func (r Repo) Command(ctx context.Context, args ...string) *exec.Cmd {
	pre := []string{"-c", "core.bigFileThreshold=" + strconv.Itoa(r.MaxFileMB) + "m"}
	cmd := exec.CommandContext(ctx, "git", append(pre, args...)...) //nolint:gosec // G204: git, with arguments the hook builds; revisions go on standard input
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	return cmd
}

// run runs git with stdin and returns its output, or git's message.
func (r Repo) run(ctx context.Context, stdin string, args ...string) ([]byte, error) {
	cmd := r.Command(ctx, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("git %s: %s", args[0], strings.TrimSpace(stderr.String()+" "+err.Error()))
	}
	return stdout.Bytes(), nil
}

// existingTips are the objects every ref of the repository points at:
// what the push does not bring. In pre-receive the refs are still the old
// ones.
func (r Repo) existingTips(ctx context.Context) ([]string, error) {
	out, err := r.run(ctx, "", "for-each-ref", "--format=%(objectname)")
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var tips []string
	for _, sha := range strings.Fields(string(out)) {
		if gitrev.IsSHA(sha) && !seen[sha] {
			seen[sha] = true
			tips = append(tips, sha)
		}
	}
	return tips, nil
}

// commitsOf peels each object to the commit it names (an annotated
// tag's), through one cat-file; an object that is no commit (a tag of a
// tree or blob) maps to "".
func (r Repo) commitsOf(ctx context.Context, objects []string) (map[string]string, error) {
	var in strings.Builder
	for _, o := range objects {
		in.WriteString(o + "^{commit}\n")
	}
	out, err := r.run(ctx, in.String(), "cat-file", "--batch-check=%(objectname) %(objecttype)")
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	commits := map[string]string{}
	for i, o := range objects {
		if i < len(lines) {
			if f := strings.Fields(lines[i]); len(f) == 2 && f[1] == "commit" && gitrev.IsSHA(f[0]) {
				commits[o] = f[0]
				continue
			}
		}
		commits[o] = ""
	}
	return commits, nil
}

// pushedCommit is a commit the push adds, with its message.
type pushedCommit struct {
	SHA, Message string
}

// newCommits lists the commits revs select (see gitrev.Input), with their
// messages.
func (r Repo) newCommits(ctx context.Context, revs []string) ([]pushedCommit, error) {
	stdin, err := gitrev.Input(revs)
	if err != nil {
		return nil, err
	}
	out, err := r.run(ctx, stdin, "log", "--stdin", "--format=%H%x00%B%x00")
	if err != nil {
		return nil, err
	}
	var commits []pushedCommit
	parts := strings.Split(string(out), "\x00")
	for i := 0; i+1 < len(parts); i += 2 {
		sha := strings.TrimSpace(parts[i])
		if gitrev.IsSHA(sha) {
			commits = append(commits, pushedCommit{SHA: sha, Message: parts[i+1]})
		}
	}
	return commits, nil
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
