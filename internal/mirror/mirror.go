// Package mirror keeps the worker's bare mirror of each project: it
// fetches what an event needs with the instance's token, says which
// commits the event brings, and writes clean checkouts of a commit for the
// scanners that read files. Every value of an event is checked by git's
// rules before it reaches git.
package mirror

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/gitlab"
	"github.com/secbot/secbot/internal/handler"
)

// Mirrors keeps one bare mirror per project under Dir.
type Mirrors struct {
	Dir string
}

// Mirror is an open, locked mirror: one task of its project uses it at a
// time, until Close.
type Mirror struct {
	path string
	// root is the cache directory the mirror is in.
	root string
	// token is the instance's auth_token; instance its host, for messages.
	token    string
	instance string
	lock     *os.File
}

// RemoteURL checks that raw is an http(s) URL on the instance's own host
// (scheme, host and port alike) without credentials in it. SecBot fetches
// from nowhere else: not another host, not file://.
func RemoteURL(inst config.Instance, raw string) (*url.URL, error) {
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

// Open locks the project's mirror (creating it when new) for the caller's
// exclusive use: concurrent tasks of one project, in this process or
// another worker on the same disk, take turns. The clone URL's path names
// the mirror, so it is bounded first: a hook cannot make deep or long
// directories.
func (m *Mirrors) Open(ctx context.Context, remote *url.URL, inst config.Instance) (*Mirror, error) {
	if err := gitlab.CheckRepoURLPath(remote.Path); err != nil {
		return nil, handler.Permanent(fmt.Errorf("clone URL %s refused: its path %w", clip(remote.Redacted()), err))
	}
	rel := unsafePath.ReplaceAllString(strings.ToLower(remote.Host)+"/"+strings.TrimSuffix(strings.Trim(remote.Path, "/"), ".git"), "_")
	rel = strings.ReplaceAll(rel, "..", "_")
	path := filepath.Join(m.Dir, filepath.FromSlash(rel)+".git")
	lock, err := lockMirror(ctx, path+".lock")
	if err != nil {
		return nil, err
	}
	mr := &Mirror{path: path, root: m.Dir, token: inst.AuthToken, instance: inst.Host, lock: lock}
	if _, err := os.Stat(filepath.Join(path, "HEAD")); err != nil { //nolint:gosec // G703/G304: the mirror path is built by Mirrors.Open from a checked clone URL path, every unsafe character replaced
		err := os.MkdirAll(path, 0o700) //nolint:gosec // G703: the mirror path is built above from a checked clone URL path, every unsafe character replaced
		if err == nil {
			_, err = mr.git(ctx, nil, "init", "--quiet", "--bare")
		}
		if err != nil {
			mr.Close()
			return nil, fmt.Errorf("creating mirror %s: %w", clip(remote.Redacted()), err)
		}
	}
	return mr, nil
}

// Path is the mirror's directory (a bare repository).
func (mr *Mirror) Path() string { return mr.path }

// Close releases the mirror. A mirror that holds no refs (it was just
// made and its first fetch failed: no such project, a refused token) is
// removed with the directories made for it, so a failed hook leaves
// nothing on the disk.
func (mr *Mirror) Close() {
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
func (mr *Mirror) holdsRefs() bool {
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
