package gitleaks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/gitlab"
	"github.com/secbot/secbot/internal/handler"
)

// mirrors keeps one bare mirror per project on the worker's disk.
type mirrors struct {
	dir string
}

// mirror is an open, locked mirror.
type mirror struct {
	path string
	// root is the cache directory the mirror is in.
	root string
	// token is the instance's auth_token; instance its host, for messages.
	token    string
	instance string
	lock     *os.File
}

// remoteURL checks that raw is an http(s) URL on the instance's own host
// (scheme, host and port alike) without credentials in it. SecBot fetches
// from nowhere else: not another host, not file://.
func remoteURL(inst config.Instance, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, handler.Permanent(fmt.Errorf("clone URL %q is not a URL", raw))
	}
	base := inst.Host
	if !strings.Contains(base, "://") {
		base = "https://" + base
	}
	want, err := url.Parse(base)
	if err != nil {
		return nil, handler.Permanent(fmt.Errorf("instance host %q is not a URL", inst.Host))
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, handler.Permanent(fmt.Errorf("clone URL scheme %q refused: only http and https are fetched", u.Scheme))
	case u.User != nil:
		return nil, handler.Permanent(errors.New("clone URL with credentials in it refused"))
	case !strings.EqualFold(hostPort(u), hostPort(want)):
		return nil, handler.Permanent(fmt.Errorf("clone URL host %q refused: only the instance's host %q is fetched", u.Host, want.Host))
	}
	return u, nil
}

// clip cuts a long value for a message.
func clip(s string) string {
	if len(s) > 100 {
		return s[:100] + "…"
	}
	return s
}

func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return strings.ToLower(u.Hostname()) + ":" + port
}

var unsafePath = regexp.MustCompile(`[^A-Za-z0-9._/-]`)

// open locks the project's mirror (creating it when new) for the caller's
// exclusive use: concurrent tasks of one project, in this process or
// another worker on the same disk, take turns. The clone URL's path names
// the mirror, so it is bounded first: a hook cannot make deep or long
// directories.
func (m *mirrors) open(ctx context.Context, remote *url.URL, inst config.Instance) (*mirror, error) {
	if err := gitlab.CheckRepoURLPath(remote.Path); err != nil {
		return nil, handler.Permanent(fmt.Errorf("clone URL %s refused: its path %w", clip(remote.Redacted()), err))
	}
	rel := unsafePath.ReplaceAllString(strings.ToLower(remote.Host)+"/"+strings.TrimSuffix(strings.Trim(remote.Path, "/"), ".git"), "_")
	rel = strings.ReplaceAll(rel, "..", "_")
	path := filepath.Join(m.dir, filepath.FromSlash(rel)+".git")
	lock, err := lockMirror(ctx, path+".lock")
	if err != nil {
		return nil, err
	}
	mr := &mirror{path: path, root: m.dir, token: inst.AuthToken, instance: inst.Host, lock: lock}
	if _, err := os.Stat(filepath.Join(path, "HEAD")); err != nil {
		err := os.MkdirAll(path, 0o700)
		if err == nil {
			_, err = mr.git(ctx, nil, "init", "--quiet", "--bare")
		}
		if err != nil {
			mr.close()
			return nil, err
		}
	}
	return mr, nil
}

// lockMirror takes the lock file of a mirror, making its directory. A
// mirror removed by close loses its lock file while others may wait on
// it; a waiter that then gets the lock of a file no longer there tries
// again with the new one.
func lockMirror(ctx context.Context, lockPath string) (*os.File, error) {
	const attempts = 5
	for attempt := 1; ; attempt++ {
		if err := os.MkdirAll(filepath.Dir(lockPath), 0o700); err != nil {
			return nil, fmt.Errorf("creating mirror directory: %w", err)
		}
		f, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR, 0o600)
		if errors.Is(err, fs.ErrNotExist) && attempt < attempts {
			continue // the directory was removed by a cleanup meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("opening mirror lock: %w", err)
		}
		if err := flock(ctx, f); err != nil {
			return nil, err
		}
		held, err := f.Stat()
		if now, nerr := os.Stat(lockPath); err == nil && nerr == nil && os.SameFile(held, now) {
			return f, nil
		}
		f.Close() // releases the lock of the removed file
		if attempt >= attempts {
			return nil, errors.New("opening mirror lock: the mirror keeps being removed")
		}
	}
}

// flock waits for the exclusive lock, giving up when ctx ends. On failure
// it owns f and closes it (at once, or once a pending lock call returns).
func flock(ctx context.Context, f *os.File) error {
	fd := int(f.Fd())
	done := make(chan error, 1)
	go func() { done <- syscall.Flock(fd, syscall.LOCK_EX) }()
	select {
	case err := <-done:
		if err != nil {
			f.Close()
			return fmt.Errorf("locking mirror: %w", err)
		}
		return nil
	case <-ctx.Done():
		// Closing the file releases the lock if the call gets it later.
		go func() { <-done; f.Close() }()
		return fmt.Errorf("waiting for the mirror lock: %w", ctx.Err())
	}
}

// close releases the mirror. A mirror that holds no refs (it was just
// made and its first fetch failed: no such project, a refused token) is
// removed with the directories made for it, so a failed hook leaves
// nothing on the disk.
func (mr *mirror) close() {
	if !mr.holdsRefs() {
		_ = os.RemoveAll(mr.path)
		// Removed while locked: a waiter finds its lock file gone and
		// starts again.
		_ = os.Remove(mr.path + ".lock")
		removeEmptyDirs(filepath.Dir(mr.path), mr.root)
	}
	_ = syscall.Flock(int(mr.lock.Fd()), syscall.LOCK_UN)
	mr.lock.Close()
}

// holdsRefs reports whether the mirror has a ref, loose or packed. In
// doubt (an error reading it) it says yes, so that nothing is removed.
func (mr *mirror) holdsRefs() bool {
	packed, err := os.ReadFile(filepath.Join(mr.path, "packed-refs"))
	switch {
	case err == nil:
		for _, line := range strings.Split(string(packed), "\n") {
			if line != "" && line[0] != '#' {
				return true
			}
		}
	case !errors.Is(err, fs.ErrNotExist):
		return true
	}
	found := false
	err = filepath.WalkDir(filepath.Join(mr.path, "refs"), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			found = true
			return fs.SkipAll
		}
		return err
	})
	return found || (err != nil && !errors.Is(err, fs.ErrNotExist))
}

// removeEmptyDirs removes dir and its parents while they are empty, up to
// root, which stays.
func removeEmptyDirs(dir, root string) {
	root = filepath.Clean(root)
	for dir = filepath.Clean(dir); strings.HasPrefix(dir, root+string(filepath.Separator)); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil {
			return // not empty
		}
	}
}

// hasCommit reports whether the mirror holds the commit (a SHA).
func (mr *mirror) hasCommit(ctx context.Context, sha string) bool {
	_, err := mr.git(ctx, nil, "cat-file", "-e", sha+"^{commit}")
	return err == nil
}

// branches maps each branch of the mirror (refs/heads/<name>) to its
// commit. Refs named in events are looked up here, in Go: a name from a
// hook is never handed to git to resolve.
func (mr *mirror) branches(ctx context.Context) (map[string]string, error) {
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

// fileAt returns a file of a commit's tree, or nil when it has none.
func (mr *mirror) fileAt(ctx context.Context, sha, name string) ([]byte, error) {
	if _, err := mr.git(ctx, nil, "cat-file", "-e", sha+":"+name); err != nil {
		return nil, nil
	}
	return mr.git(ctx, nil, "cat-file", "blob", sha+":"+name)
}

// command is git run in the mirror, without the system's configuration
// and in the C locale (fetch reads git's messages).
func (mr *mirror) command(ctx context.Context, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", mr.path}, args...)...)
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

// git runs git in the mirror. A failure is a *gitError carrying git's
// message with the token (in any form) removed.
func (mr *mirror) git(ctx context.Context, env []string, args ...string) ([]byte, error) {
	cmd := mr.command(ctx, env, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
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
func (mr *mirror) redact(msg string) string {
	if mr.token == "" {
		return msg
	}
	msg = strings.ReplaceAll(msg, mr.authHeader(), "[REDACTED]")
	return strings.ReplaceAll(msg, mr.token, "[REDACTED]")
}
