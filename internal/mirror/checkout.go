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
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/secbot/secbot/internal/gitrev"
	"github.com/secbot/secbot/internal/handler"
)

// Checkout's limits: files up to smallFile are read whole and handed to a
// pool of writers goroutines (creating files is what takes the time);
// larger ones are streamed to their file; a symlink target longer than
// maxLink cannot be made on Linux.
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
	if !gitrev.IsSHA(sha) {
		return handler.Permanent(fmt.Errorf("checking out %q: not a commit SHA", clip(sha)))
	}
	if err := checkEmpty(dir); err != nil {
		return fmt.Errorf("checking out %s: %w", sha, err)
	}
	// cat-file starts first: its start overlaps the listing.
	cat, err := mr.startCatFile(ctx)
	if err != nil {
		return fmt.Errorf("checking out %s: %w", sha, err)
	}
	entries, err := mr.blobs(ctx, sha)
	if err != nil {
		cat.stop()
		return fmt.Errorf("checking out %s: %w", sha, err)
	}
	links, err := cat.write(entries, dir)
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

// notValid is what git says of a name that is no object of the mirror.
var notValid = regexp.MustCompile(`Not a valid object name`)

// blobs lists the files and symlinks of a commit's tree (not submodules),
// refusing paths git would not check out. A commit the mirror does not
// hold is a permanent error.
func (mr *Mirror) blobs(ctx context.Context, sha string) ([]entry, error) {
	list, err := mr.git(ctx, nil, "ls-tree", "-r", "-z", "--full-tree", sha+"^{commit}")
	var ge *gitError
	if errors.As(err, &ge) && notValid.MatchString(ge.message) {
		return nil, handler.Permanent(fmt.Errorf("the mirror has no commit %s (Prepare fetches an event's commits)", sha))
	}
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

// catFile is a running `git cat-file --batch` of the mirror.
type catFile struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout io.Reader
	stderr bytes.Buffer
	redact func(string) string
	cancel context.CancelFunc
}

// startCatFile starts git cat-file, which waits for the object names.
func (mr *Mirror) startCatFile(ctx context.Context) (*catFile, error) {
	ctx, cancel := context.WithCancel(ctx)
	c := &catFile{cmd: mr.command(ctx, nil, "cat-file", "--batch", "--buffer"), redact: mr.redact, cancel: cancel}
	c.cmd.Stderr = &c.stderr
	var err error
	if c.stdin, err = c.cmd.StdinPipe(); err == nil {
		c.stdout, err = c.cmd.StdoutPipe()
	}
	if err == nil {
		err = c.cmd.Start()
	}
	if err != nil {
		cancel()
		return nil, fmt.Errorf("starting git cat-file: %w", err)
	}
	return c, nil
}

// stop ends git unused.
func (c *catFile) stop() {
	c.cancel()
	c.stdin.Close()
	_ = c.cmd.Wait()
}

// write asks git for the blobs of entries and writes the regular files
// into dir; it returns the symlinks (path → target) for writeLinks. git
// has ended when it returns.
func (c *catFile) write(entries []entry, dir string) (map[string]string, error) {
	defer c.cancel()
	go func() {
		w := bufio.NewWriter(c.stdin)
		for _, e := range entries {
			if _, err := w.WriteString(e.oid + "\n"); err != nil {
				break // git stopped: its reader says why
			}
		}
		_ = w.Flush()
		c.stdin.Close()
	}()
	links, err := writeBlobs(bufio.NewReaderSize(c.stdout, 64<<10), entries, dir)
	if err != nil {
		c.cancel()
	}
	waitErr := c.cmd.Wait()
	switch {
	case err != nil:
		return nil, err
	case waitErr != nil && c.stderr.Len() > 0:
		return nil, fmt.Errorf("git cat-file: %s", c.redact(strings.TrimSpace(c.stderr.String())))
	case waitErr != nil:
		return nil, fmt.Errorf("git cat-file: %w", waitErr)
	}
	return links, nil
}

// writeBlobs reads each entry's blob from git cat-file's answers and
// writes it, small files through a pool of writers.
func writeBlobs(out *bufio.Reader, entries []entry, dir string) (map[string]string, error) {
	group, gctx := errgroup.WithContext(context.Background())
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
		if err := os.MkdirAll(parent, 0o755); err != nil { //nolint:gosec // G301: a checkout is read by scanners that may run as another user
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
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm) //nolint:gosec // G304: path is inside the checkout, checked by the tree walk (no .., no .git)
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
