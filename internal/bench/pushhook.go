package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"
)

// hookRepoCommits is the history of the repository the hook guards.
const hookRepoCommits = 10000

// pushHookResult is the pre-receive hook on one-commit pushes to a large
// repository, against the same pushes to a copy without the hook.
type pushHookResult struct {
	Pushes         int
	Guarded, Plain []time.Duration // sorted
}

// pushHooks builds secbot-pre-receive, generates a repository of
// hookRepoCommits commits (git fast-import), and pushes one new commit at a
// time to two bare copies of it, one with the hook: each push is timed
// whole, as the pusher waits for it.
func pushHooks(ctx context.Context, dir string, pushes int) (pushHookResult, error) {
	r := pushHookResult{Pushes: pushes}
	work := filepath.Join(dir, "pushhook")
	hook := filepath.Join(work, "secbot-pre-receive")
	build := exec.CommandContext(ctx, "go", "build", "-o", hook, "./cmd/secbot-pre-receive")
	if out, err := build.CombinedOutput(); err != nil {
		return r, fmt.Errorf("building secbot-pre-receive: %v\n%s", err, out)
	}
	guarded, plain, clone := filepath.Join(work, "guarded.git"), filepath.Join(work, "plain.git"), filepath.Join(work, "clone")
	if err := generateHistory(ctx, guarded, hookRepoCommits); err != nil {
		return r, err
	}
	steps := [][]string{
		{"clone", "--quiet", "--bare", guarded, plain},
		{"clone", "--quiet", guarded, clone},
		{"-C", clone, "remote", "add", "plain", plain},
	}
	for _, args := range steps {
		if out, err := exec.CommandContext(ctx, "git", args...).CombinedOutput(); err != nil {
			return r, fmt.Errorf("git %v: %v\n%s", args, err, out)
		}
	}
	data, err := os.ReadFile(hook)
	if err != nil {
		return r, err
	}
	if err := os.WriteFile(filepath.Join(guarded, "hooks", "pre-receive"), data, 0o755); err != nil { //nolint:gosec // G306: a hook must be executable
		return r, err
	}
	for i := range pushes {
		file := filepath.Join(clone, "changes", fmt.Sprintf("change-%d.txt", i))
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			return r, err
		}
		if err := os.WriteFile(file, []byte(fmt.Sprintf("change %d\nnothing secret in it\n", i)), 0o644); err != nil { //nolint:gosec // G306: a file of a test repository
			return r, err
		}
		for _, args := range [][]string{{"add", "-A"}, {"-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "--quiet", "-m", "change"}} {
			if out, err := exec.CommandContext(ctx, "git", append([]string{"-C", clone}, args...)...).CombinedOutput(); err != nil {
				return r, fmt.Errorf("git %v: %v\n%s", args, err, out)
			}
		}
		// Alternate which goes first, so neither gets the warmer cache.
		remotes := []string{"origin", "plain"}
		if i%2 == 1 {
			slices.Reverse(remotes)
		}
		for _, remote := range remotes {
			began := time.Now()
			if out, err := exec.CommandContext(ctx, "git", "-C", clone, "push", "--quiet", remote, "HEAD:main").CombinedOutput(); err != nil {
				return r, fmt.Errorf("push %d to %s: %v\n%s", i, remote, err, out)
			}
			if remote == "origin" {
				r.Guarded = append(r.Guarded, time.Since(began))
			} else {
				r.Plain = append(r.Plain, time.Since(began))
			}
		}
	}
	slices.Sort(r.Guarded)
	slices.Sort(r.Plain)
	return r, nil
}

// generateHistory makes a bare repository of n commits on main with git
// fast-import: each commit changes one of 500 files, a few lines of code.
func generateHistory(ctx context.Context, dir string, n int) error {
	if out, err := exec.CommandContext(ctx, "git", "init", "--quiet", "--bare", "--initial-branch=main", dir).CombinedOutput(); err != nil {
		return fmt.Errorf("git init: %v\n%s", err, out)
	}
	cmd := exec.CommandContext(ctx, "git", "-C", dir, "fast-import", "--quiet")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	w := bufio.NewWriter(stdin)
	when := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	for i := range n {
		content := fmt.Sprintf("package gen\n\n// F%d is generated.\nfunc F%d() int { return %d }\n", i, i, i*7)
		msg := fmt.Sprintf("change %d", i)
		fmt.Fprintf(w, "commit refs/heads/main\ncommitter Bench <bench@example.com> %d +0000\ndata %d\n%s\n", when+int64(i)*60, len(msg), msg)
		fmt.Fprintf(w, "M 100644 inline src/f%03d.go\ndata %d\n%s\n", i%500, len(content), content)
	}
	err = w.Flush()
	if cerr := stdin.Close(); err == nil {
		err = cerr
	}
	if werr := cmd.Wait(); err == nil && werr != nil {
		err = fmt.Errorf("git fast-import: %w", werr)
	}
	return err
}
