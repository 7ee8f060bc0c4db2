package mirror

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Command is git run in the mirror, for a caller that streams its input
// or output; its arguments are the caller's own, never a value of an
// event. Git runs without the system's configuration and in the C locale.
func (mr *Mirror) Command(ctx context.Context, args ...string) *exec.Cmd {
	return mr.command(ctx, nil, args...)
}

func (mr *Mirror) command(ctx context.Context, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", mr.path}, args...)...) //nolint:gosec // G204: git, with arguments SecBot builds; event values are checked by git's rules first
	// The C locale: fetch reads git's messages.
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "LC_ALL=C")
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// gitError is a git command that failed, with git's message.
type gitError struct {
	command string
	message string
}

func (e *gitError) Error() string { return "git " + e.command + ": " + e.message }

// Git runs git in the mirror and returns its standard output. A failure
// carries git's message with the instance's token (in any form) removed.
func (mr *Mirror) Git(ctx context.Context, args ...string) ([]byte, error) {
	return mr.git(ctx, nil, args...)
}

func (mr *Mirror) git(ctx context.Context, env []string, args ...string) ([]byte, error) {
	return mr.gitInput(ctx, env, "", args...)
}

// gitInput is git with stdin as its standard input.
func (mr *Mirror) gitInput(ctx context.Context, env []string, stdin string, args ...string) ([]byte, error) {
	cmd := mr.command(ctx, env, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("git %s: %w", args[0], ctx.Err())
		}
		msg := mr.redact(strings.TrimSpace(stderr.String()))
		if msg == "" {
			msg = err.Error()
		}
		return nil, &gitError{command: args[0], message: msg}
	}
	return stdout.Bytes(), nil
}

// redact removes the token, and the header that carries it, from msg.
func (mr *Mirror) redact(msg string) string {
	if mr.token == "" {
		return msg
	}
	msg = strings.ReplaceAll(msg, mr.authHeader(), "[REDACTED]")
	return strings.ReplaceAll(msg, mr.token, "[REDACTED]")
}

// hasCommit reports whether the mirror holds the commit (a SHA). The
// error is ctx's: a git stopped says nothing about the commit.
func (mr *Mirror) hasCommit(ctx context.Context, sha string) (bool, error) {
	_, err := mr.git(ctx, nil, "cat-file", "-e", sha+"^{commit}")
	if ctx.Err() != nil {
		return false, fmt.Errorf("looking for commit %s: %w", sha, ctx.Err())
	}
	return err == nil, nil
}

// branches maps each branch of the mirror (refs/heads/<name>) to its
// commit. Refs named in events are looked up here, in Go: a name from a
// hook is never handed to git to resolve.
func (mr *Mirror) branches(ctx context.Context) (map[string]string, error) {
	out, err := mr.git(ctx, nil, "for-each-ref", "--format=%(objectname) %(refname)", "refs/heads/")
	if err != nil {
		return nil, err
	}
	heads := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		// Ref names cannot hold spaces: the first one ends the SHA.
		if sha, ref, ok := strings.Cut(line, " "); ok {
			heads[ref] = sha
		}
	}
	return heads, nil
}

// FileAt returns a file of a commit's tree, or nil when it has none.
func (mr *Mirror) FileAt(ctx context.Context, sha, name string) ([]byte, error) {
	if _, err := mr.git(ctx, nil, "cat-file", "-e", sha+":"+name); err != nil {
		return nil, nil
	}
	return mr.git(ctx, nil, "cat-file", "blob", sha+":"+name)
}
