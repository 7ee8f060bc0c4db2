package mirror

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/secbot/secbot/internal/gitrev"
	"github.com/secbot/secbot/internal/handler"
)

// ChangedFiles lists the files (repository-relative, slash-separated,
// sorted, unique) that the commits c.Revs select add or modify and that
// c.Head's tree still holds: a file the event deletes, or renames away
// from, is not listed; a renamed file is listed under its new name. A merge
// commit counts for what it changes against every parent (a conflict's
// resolution), not for what it brings from a branch already merged. For a
// tag push it returns nil: a tag brings its whole tree. A selection of no
// commits gives an empty, non-nil list.
func (mr *Mirror) ChangedFiles(ctx context.Context, c Commits) ([]string, error) {
	if c.Tag {
		return nil, nil
	}
	stdin, err := gitrev.Input(c.Revs)
	if err != nil {
		return nil, handler.Permanent(fmt.Errorf("listing changed files: %w", err))
	}
	if !gitrev.IsSHA(c.Head) {
		return nil, handler.Permanent(fmt.Errorf("listing changed files: head %q is not a commit SHA", clip(c.Head)))
	}
	out, err := mr.gitInput(ctx, nil, stdin, "log", "--stdin", "-z", "--format=", "--name-only", "--no-renames",
		"--diff-merges=combined", "--diff-filter=d")
	if err != nil {
		return nil, fmt.Errorf("listing changed files: %w", err)
	}
	inHead, err := mr.blobs(ctx, c.Head)
	if err != nil {
		return nil, fmt.Errorf("listing changed files: %w", err)
	}
	kept := make(map[string]bool, len(inHead))
	for _, e := range inHead {
		kept[e.path] = true
	}
	files := []string{}
	for _, name := range bytes.Split(out, []byte{0}) {
		if path := string(name); kept[path] {
			files = append(files, path)
		}
	}
	slices.Sort(files)
	return slices.Compact(files), nil
}
