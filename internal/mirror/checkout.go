package mirror

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/secbot/secbot/internal/handler"
)

// Checkout's limits: files up to smallFile are read whole and written by
// one of writers goroutines (creating files is what takes the time), larger
// ones are streamed to their file; a symlink target longer than maxLink
// cannot be made on Linux.
const (
	smallFile = 256 << 10
	writers   = 4
	maxLink   = 4095
)

// entry is one blob of a tree, as git ls-tree -r lists it.
type entry struct {
	mode, oid, path string
}

// Checkout writes the files of commit sha's tree into dir, an existing
// empty directory, reading them from the mirror and leaving nothing in it
// (no index, no worktree). The files hold their blobs' bytes exactly: no
// .gitattributes conversion (eol, ident, working-tree-encoding) and no
// export-ignore, so what a scanner reads is what the commit holds.
// Executable files are 0755, others 0644 (less the umask); submodules are
// left out, as are empty directories, which git does not record; .git is
// never written: a tree with a ".", ".." or .git path is refused.
//
// Symlinks are written as symlinks, as git writes them, when following
// them stays inside dir: a target that is absolute, or that climbs above
// dir through "..", directly or through other symlinks of the tree (or a
// chain of more than 40), is written instead as a regular file holding the
// target, which is what git writes when core.symlinks is false. So a later
// write or read of a path inside dir (with no ".." of its own) cannot reach
// outside it through a link, and a scanner that follows links reads only
// the commit's files. Links are made last, so no file of the checkout is
// written through one.
//
// On failure dir may hold part of the tree; the caller removes it.
func (mr *Mirror) Checkout(ctx context.Context, sha, dir string) error {
	if !shaPattern.MatchString(sha) {
		return handler.Permanent(fmt.Errorf("checking out %q: not a commit SHA", clip(sha)))
	}
	if err := checkEmpty(dir); err != nil {
		return fmt.Errorf("checking out %s: %w", sha, err)
	}
	has, err := mr.hasCommit(ctx, sha)
	switch {
	case err != nil:
		return fmt.Errorf("checking out %s: %w", sha, err)
	case !has:
		return handler.Permanent(fmt.Errorf("checking out %s: the mirror has no such commit (Prepare fetches an event's commits)", sha))
	}
	entries, err := mr.blobs(ctx, sha)
	if err != nil {
		return fmt.Errorf("checking out %s: %w", sha, err)
	}
	links, err := mr.writeFiles(ctx, entries, dir)
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err() // git was stopped, which is all it says
		}
		return fmt.Errorf("checking out %s: %w", sha, err)
	}
	if err := writeLinks(links, dir); err != nil {
		return fmt.Errorf("checking out %s: %w", sha, err)
	}
	return nil
}

// checkEmpty makes sure dir is an existing, empty directory.
func checkEmpty(dir string) error {
	names, err := os.ReadDir(dir)
	switch {
	case err != nil:
		return fmt.Errorf("reading the checkout directory: %w (it must exist and be empty)", err)
	case len(names) > 0:
		return fmt.Errorf("the checkout directory %s is not empty (it holds %s): give an empty one", dir, names[0].Name())
	}
	return nil
}

// blobs lists the files and symlinks of a commit's tree (not submodules),
// refusing paths git would not check out.
func (mr *Mirror) blobs(ctx context.Context, sha string) ([]entry, error) {
	list, err := mr.git(ctx, nil, "ls-tree", "-r", "-z", "--full-tree", sha)
	if err != nil {
		return nil, err
	}
	var entries []entry
	for _, line := range bytes.Split(list, []byte{0}) {
		meta, path, ok := strings.Cut(string(line), "\t")
		fields := strings.Fields(meta)
		if !ok || len(fields) != 3 || fields[1] != "blob" {
			continue // a submodule (commit), or the list's end
		}
		if err := checkTreePath(path); err != nil {
			return nil, handler.Permanent(err)
		}
		entries = append(entries, entry{mode: fields[0], oid: fields[2], path: path})
	}
	return entries, nil
}

// checkTreePath refuses a path with an empty, ".", ".." or .git component,
// as git's own checkout does (a tree can hold one only if it was made
// without git's checks).
func checkTreePath(path string) error {
	for _, c := range strings.Split(path, "/") {
		if c == "" || c == "." || c == ".." || strings.EqualFold(c, ".git") {
			return fmt.Errorf("the tree holds the path %q, which git refuses to check out", clip(path))
		}
	}
	return nil
}

// file is a small file read whole, for a writer to create.
type file struct {
	path string
	perm os.FileMode
	data []byte
}

// writeFiles writes the regular files of entries into dir, reading them
// through one `git cat-file --batch`, and returns the symlinks (path →
// target) for writeLinks.
func (mr *Mirror) writeFiles(ctx context.Context, entries []entry, dir string) (map[string]string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := mr.command(ctx, nil, "cat-file", "--batch", "--buffer")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting git cat-file: %w", err)
	}
	go func() {
		w := bufio.NewWriter(stdin)
		for _, e := range entries {
			if _, err := w.WriteString(e.oid + "\n"); err != nil {
				break // git stopped: its reader says why
			}
		}
		_ = w.Flush()
		stdin.Close()
	}()
	links, err := writeBlobs(ctx, bufio.NewReaderSize(stdout, 64<<10), entries, dir)
	if err != nil {
		cancel()
	}
	waitErr := cmd.Wait()
	switch {
	case err != nil:
		return nil, err
	case waitErr != nil && stderr.Len() > 0:
		return nil, fmt.Errorf("git cat-file: %s", mr.redact(strings.TrimSpace(stderr.String())))
	case waitErr != nil:
		return nil, fmt.Errorf("git cat-file: %w", waitErr)
	}
	return links, nil
}

// writeBlobs reads each entry's blob from git cat-file's answers and
// writes it, small files through a pool of writers.
func writeBlobs(ctx context.Context, out *bufio.Reader, entries []entry, dir string) (map[string]string, error) {
	group, gctx := errgroup.WithContext(ctx)
	files := make(chan file, 2*writers)
	for range writers {
		group.Go(func() error {
			for f := range files {
				if err := writeFile(f.path, f.perm, bytes.NewReader(f.data)); err != nil {
					return err
				}
			}
			return nil
		})
	}
	r := &blobReader{out: out, dir: dir, made: map[string]bool{dir: true}, links: map[string]string{}}
	err := func() error {
		defer close(files)
		for _, e := range entries {
			small, err := r.next(e)
			if err != nil {
				return fmt.Errorf("reading %s: %w", e.path, err)
			}
			if small == nil {
				continue
			}
			select {
			case files <- *small:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	}()
	// A writer's failure stops the reading: it is the one to report.
	if werr := group.Wait(); werr != nil && (err == nil || errors.Is(err, context.Canceled)) {
		err = werr
	}
	return r.links, err
}

// blobReader reads cat-file's answers, one entry's blob after another.
type blobReader struct {
	out   *bufio.Reader
	dir   string
	made  map[string]bool // directories made
	links map[string]string
}

// next reads entry e's blob: a small file it returns for a writer; a
// symlink it keeps in links; a large file it writes itself.
func (r *blobReader) next(e entry) (*file, error) {
	size, err := blobHeader(r.out, e.oid)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(r.dir, filepath.FromSlash(e.path))
	if parent := filepath.Dir(path); !r.made[parent] {
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return nil, err
		}
		r.made[parent] = true
	}
	perm := os.FileMode(0o644)
	if e.mode == "100755" {
		perm = 0o755
	}
	var small *file
	switch {
	case e.mode == "120000" && size <= maxLink:
		target := make([]byte, size)
		if _, err := io.ReadFull(r.out, target); err != nil {
			return nil, err
		}
		r.links[e.path] = string(target)
	case size > smallFile || e.mode == "120000":
		if err := writeFile(path, perm, io.LimitReader(r.out, size)); err != nil {
			return nil, err
		}
	default:
		small = &file{path: path, perm: perm, data: make([]byte, size)}
		if _, err := io.ReadFull(r.out, small.data); err != nil {
			return nil, err
		}
	}
	// Each object ends with a newline.
	if _, err := r.out.Discard(1); err != nil {
		return nil, err
	}
	return small, nil
}

// blobHeader reads cat-file's header for the object oid and returns its
// size.
func blobHeader(out *bufio.Reader, oid string) (int64, error) {
	header, err := out.ReadString('\n')
	if err != nil {
		return 0, err
	}
	fields := strings.Fields(header)
	if len(fields) != 3 || fields[0] != oid || fields[1] != "blob" {
		return 0, fmt.Errorf("git cat-file answered %q for the blob %s", strings.TrimSpace(header), oid)
	}
	return strconv.ParseInt(fields[2], 10, 64)
}

// writeFile creates path (never through a symlink: O_EXCL refuses one)
// and copies r into it; a short copy is an error.
func writeFile(path string, perm os.FileMode, r io.Reader) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	want := int64(-1)
	if lr, ok := r.(*io.LimitedReader); ok {
		want = lr.N
	}
	n, err := io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && want >= 0 && n != want {
		err = fmt.Errorf("writing %s: %w", path, io.ErrUnexpectedEOF)
	}
	return err
}

// writeLinks makes the tree's symlinks (path → target), each one that
// could lead outside dir as a regular file holding its target.
func writeLinks(links map[string]string, dir string) error {
	for _, p := range slices.Sorted(maps.Keys(links)) {
		path := filepath.Join(dir, filepath.FromSlash(p))
		if escapes(links, p) {
			if err := writeFile(path, 0o644, strings.NewReader(links[p])); err != nil {
				return err
			}
			continue
		}
		if err := os.Symlink(links[p], path); err != nil {
			return err
		}
	}
	return nil
}
