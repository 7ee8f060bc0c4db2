package mirror

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/secbot/secbot/internal/handler"
	"github.com/secbot/secbot/internal/testenv"
)

// writeTree writes files (path → content; a "-> " prefix makes a symlink,
// a "x " prefix an executable) into the working repository, stages them and
// commits, returning the commit.
func writeTree(t *testing.T, r *testenv.Repo, files map[string]string) string {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(r.Dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case strings.HasPrefix(content, "-> "):
			err = os.Symlink(strings.TrimPrefix(content, "-> "), p)
		case strings.HasPrefix(content, "x "):
			err = os.WriteFile(p, []byte(strings.TrimPrefix(content, "x ")), 0o755)
		default:
			err = os.WriteFile(p, []byte(content), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	testenv.Run(t, r.Dir, "git", "add", "--all")
	testenv.Run(t, r.Dir, "git", "commit", "--quiet", "-m", "tree")
	return r.Head()
}

// listing describes every entry under dir: "dir", "file <perm> <content>"
// or "link <target>".
func listing(t *testing.T, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			got[filepath.ToSlash(rel)] = "link " + target
			return err
		case info.IsDir():
			got[filepath.ToSlash(rel)] = "dir"
		default:
			content, err := os.ReadFile(p)
			got[filepath.ToSlash(rel)] = fmt.Sprintf("file %o %s", info.Mode().Perm(), content)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestCheckoutWritesExactlyTheTree(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	head := writeTree(t, f.repo, map[string]string{
		"a/b/c.txt":      "deep\n",
		"bin/run.sh":     "x #!/bin/sh\necho run\n",
		"link":           "-> a/b/c.txt",
		"dirlink":        "-> a",
		"d/e/top":        "-> ../..",    // the checkout's top: inside
		"d/e/up":         "-> ../../..", // its parent: outside
		"d/e/trick":      "-> top/../x", // "top/.." is the parent, though the text says d/e
		"abs":            "-> /etc/passwd",
		".gitattributes": "* ident\nsecret.c export-ignore\n*.txt eol=crlf\n",
		"id.c":           "$Id$\n",
		"secret.c":       "hidden from git archive\n",
	})
	testenv.Run(t, f.repo.Dir, "git", "update-index", "--add", "--cacheinfo", "160000,"+head+",vendor/lib")
	head = f.repo.Commit("a submodule", nil)
	f.repo.Push("main")
	mr, c := f.opened(t, f.push(zeroSHA, head, "refs/heads/main"))
	before := snapshot(t, mr.Path())

	dir := t.TempDir()
	if err := mr.Checkout(context.Background(), c.Head, dir); err != nil {
		t.Fatal(err)
	}
	file, exe := perm(0o644), perm(0o755)
	want := map[string]string{
		"a": "dir", "a/b": "dir", "a/b/c.txt": file + "deep\n",
		"bin": "dir", "bin/run.sh": exe + "#!/bin/sh\necho run\n",
		"link": "link a/b/c.txt", "dirlink": "link a",
		"d": "dir", "d/e": "dir", "d/e/top": "link ../..",
		// Links that lead outside: files holding their target, as git
		// writes links when core.symlinks is false.
		"d/e/up": file + "../../..", "d/e/trick": file + "top/../x", "abs": file + "/etc/passwd",
		// The blobs' bytes: no ident, eol or export-ignore.
		".gitattributes": file + "* ident\nsecret.c export-ignore\n*.txt eol=crlf\n",
		"id.c":           file + "$Id$\n", "secret.c": file + "hidden from git archive\n",
		"README.md": file + "# app\n",
		// No vendor/: a submodule's directory is not made.
	}
	if got := listing(t, dir); !maps.Equal(got, want) {
		t.Fatalf("checkout:\n%s\nwant:\n%s", describe(got), describe(want))
	}

	// Nothing in the mirror changed, and it is still bare: no index, no
	// worktree, no work tree for git status.
	if after := snapshot(t, mr.Path()); !maps.Equal(before, after) {
		t.Fatalf("the mirror changed:\nbefore %v\nafter  %v", before, after)
	}
	if _, err := os.Stat(filepath.Join(mr.Path(), "index")); !os.IsNotExist(err) {
		t.Fatalf("the mirror has an index (stat: %v)", err)
	}
	if got := testenv.Run(t, mr.Path(), "git", "worktree", "list", "--porcelain"); got != "worktree "+mr.Path()+"\nbare" {
		t.Fatalf("git worktree list: %q", got)
	}
	if out, err := mr.Git(context.Background(), "status"); err == nil || !strings.Contains(err.Error(), "must be run in a work tree") {
		t.Fatalf("git status in the mirror: %s %v, want no work tree", out, err)
	}

	// Again, into another directory: the same.
	again := t.TempDir()
	if err := mr.Checkout(context.Background(), c.Head, again); err != nil {
		t.Fatal(err)
	}
	if got := listing(t, again); !maps.Equal(got, want) {
		t.Fatalf("second checkout:\n%s", describe(got))
	}
}

func TestCheckoutRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	mr, c := f.opened(t, f.push(zeroSHA, f.repo.Head(), "refs/heads/main"))
	ctx := context.Background()

	missing := "0123456789abcdef0123456789abcdef01234567"
	permanent(t, mr.Checkout(ctx, missing, t.TempDir()), "checking out "+missing, "the mirror has no commit "+missing)
	tree := testenv.Run(t, mr.Path(), "git", "rev-parse", c.Head+"^{tree}")
	permanent(t, mr.Checkout(ctx, tree, t.TempDir()), "the mirror has no commit "+tree)
	permanent(t, mr.Checkout(ctx, "main", t.TempDir()), `"main": not a commit SHA`)
	permanent(t, mr.Checkout(ctx, "--output=/tmp/x", t.TempDir()), "not a commit SHA")

	stopped, stop := context.WithCancel(ctx)
	stop()
	if err := mr.Checkout(stopped, c.Head, t.TempDir()); !errors.Is(err, context.Canceled) || errors.Is(err, handler.ErrPermanent) {
		t.Fatalf("stopped checkout: err = %v, want the context's, not permanent", err)
	}

	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := mr.Checkout(ctx, c.Head, full); err == nil || !strings.Contains(err.Error(), "is not empty (it holds x)") {
		t.Fatalf("non-empty directory: err = %v", err)
	}
	if err := mr.Checkout(ctx, c.Head, filepath.Join(full, "absent")); err == nil || !strings.Contains(err.Error(), "must exist and be empty") {
		t.Fatalf("missing directory: err = %v", err)
	}
}

// Trees git itself would not check out (made without its checks, as a
// server that does not fsck pushes may hold them) are refused, with
// nothing written outside the checkout.
func TestCheckoutRefusesHostileTrees(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	bare := f.repo.Bare
	blob := testenv.Run(t, bare, "sh", "-c", "echo pwned | git hash-object -w --stdin")
	inner := mktree(t, bare, "100644 blob "+blob+"\tx")
	for name, line := range map[string]string{
		"dot git":     "100644 blob " + blob + "\t.git",
		"dot GIT dir": "040000 tree " + inner + "\t.GiT",
		"dot dot":     "040000 tree " + inner + "\t..",
	} {
		t.Run(name, func(t *testing.T) {
			tree := mktree(t, bare, line)
			commit := testenv.Run(t, bare, "git", "commit-tree", "-m", name, tree)
			branch := strings.ReplaceAll(name, " ", "-")
			testenv.Run(t, bare, "git", "update-ref", "refs/heads/"+branch, commit)
			mr, c := f.opened(t, f.push(zeroSHA, commit, "refs/heads/"+branch))
			parent := t.TempDir()
			dir := filepath.Join(parent, "checkout")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			permanent(t, mr.Checkout(context.Background(), c.Head, dir), "which git refuses to check out")
			if got := listing(t, parent); !maps.Equal(got, map[string]string{"checkout": "dir"}) {
				t.Fatalf("the refused checkout wrote %v", got)
			}
		})
	}
}

// perm is how listing shows a file made with mode m under this process's
// umask.
func perm(m os.FileMode) string {
	umask := syscall.Umask(0)
	syscall.Umask(umask)
	return fmt.Sprintf("file %o ", m&^os.FileMode(umask))
}

func mktree(t *testing.T, bare, line string) string {
	t.Helper()
	return testenv.Run(t, bare, "sh", "-c", "printf '%s\\n' \"$0\" | git mktree", line)
}

// snapshot describes every file of dir with its size and modification
// time.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		got[p] = fmt.Sprintf("%v %d %d", info.Mode(), info.Size(), info.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func describe(m map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(&b, "  %s: %q\n", k, m[k])
	}
	return b.String()
}
