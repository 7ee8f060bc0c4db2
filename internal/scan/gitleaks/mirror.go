package gitleaks

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/worker"
)

// mirrors keeps one bare mirror per project on the worker's disk.
type mirrors struct {
	dir string
}

// mirror is an open, locked mirror.
type mirror struct {
	path  string
	token string
	lock  *os.File
}

// remoteURL checks that raw is an http(s) URL on the instance's own host
// (scheme, host and port alike) without credentials in it. SecBot fetches
// from nowhere else: not another host, not file://.
func remoteURL(inst config.Instance, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, worker.Permanent(fmt.Errorf("clone URL %q is not a URL", raw))
	}
	base := inst.Host
	if !strings.Contains(base, "://") {
		base = "https://" + base
	}
	want, err := url.Parse(base)
	if err != nil {
		return nil, worker.Permanent(fmt.Errorf("instance host %q is not a URL", inst.Host))
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, worker.Permanent(fmt.Errorf("clone URL scheme %q refused: only http and https are fetched", u.Scheme))
	case u.User != nil:
		return nil, worker.Permanent(errors.New("clone URL with credentials in it refused"))
	case !strings.EqualFold(hostPort(u), hostPort(want)):
		return nil, worker.Permanent(fmt.Errorf("clone URL host %q refused: only the instance's host %q is fetched", u.Host, want.Host))
	}
	return u, nil
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
// another worker on the same disk, take turns.
func (m *mirrors) open(ctx context.Context, remote *url.URL, token string) (*mirror, error) {
	rel := unsafePath.ReplaceAllString(strings.ToLower(remote.Host)+"/"+strings.TrimSuffix(strings.Trim(remote.Path, "/"), ".git"), "_")
	rel = strings.ReplaceAll(rel, "..", "_")
	path := filepath.Join(m.dir, filepath.FromSlash(rel)+".git")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating mirror directory: %w", err)
	}
	lock, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening mirror lock: %w", err)
	}
	if err := flock(ctx, lock); err != nil {
		return nil, err
	}
	mr := &mirror{path: path, token: token, lock: lock}
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

func (mr *mirror) close() {
	_ = syscall.Flock(int(mr.lock.Fd()), syscall.LOCK_UN)
	mr.lock.Close()
}

// fetch brings refspecs from remote into the mirror, authenticating with
// the instance's token as GitLab expects (HTTP Basic, user oauth2). The
// token travels in git's environment-provided config, never in arguments
// or URLs; redirects are not followed.
func (mr *mirror) fetch(ctx context.Context, remote *url.URL, refspecs ...string) error {
	env := []string{
		"GIT_TERMINAL_PROMPT=0",
		"GIT_ALLOW_PROTOCOL=http:https",
		"GIT_CONFIG_COUNT=3",
		"GIT_CONFIG_KEY_0=http.followRedirects", "GIT_CONFIG_VALUE_0=false",
		"GIT_CONFIG_KEY_1=credential.helper", "GIT_CONFIG_VALUE_1=",
		"GIT_CONFIG_KEY_2=http.extraHeader", "GIT_CONFIG_VALUE_2=" + mr.authHeader(),
	}
	args := append([]string{"fetch", "--quiet", "--prune", "--no-tags", "--force", remote.String()}, refspecs...)
	_, err := mr.git(ctx, env, args...)
	if err != nil {
		return fmt.Errorf("fetching %s: %w", remote.Redacted(), err)
	}
	return nil
}

func (mr *mirror) authHeader() string {
	if mr.token == "" {
		return ""
	}
	return "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("oauth2:"+mr.token))
}

// hasCommit reports whether the mirror holds the commit.
func (mr *mirror) hasCommit(ctx context.Context, sha string) bool {
	_, err := mr.git(ctx, nil, "cat-file", "-e", sha+"^{commit}")
	return err == nil
}

// fileAt returns a file of a commit's tree, or nil when it has none.
func (mr *mirror) fileAt(ctx context.Context, sha, name string) ([]byte, error) {
	if _, err := mr.git(ctx, nil, "cat-file", "-e", sha+":"+name); err != nil {
		return nil, nil
	}
	return mr.git(ctx, nil, "cat-file", "blob", sha+":"+name)
}

// git runs git in the mirror. Errors carry git's message with the token
// (in any form) removed.
func (mr *mirror) git(ctx context.Context, env []string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", mr.path}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "LC_ALL=C")
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if mr.token != "" {
			msg = strings.ReplaceAll(msg, mr.token, "[REDACTED]")
			msg = strings.ReplaceAll(msg, mr.authHeader(), "[REDACTED]")
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("git %s: %w", args[0], ctx.Err())
		}
		return nil, fmt.Errorf("git %s: %s", args[0], msg)
	}
	return stdout.Bytes(), nil
}
