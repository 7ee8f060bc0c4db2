package gitleaks

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/report"

	"github.com/secbot/secbot/internal/mirror"
	"github.com/secbot/secbot/internal/scan/gitleaks/engine"
)

// target is what one scan covers.
type target struct {
	// all scans every commit of every ref (scope history); else revs
	// selects the commits for `git log -p`: SHAs, "^" before those left out.
	all  bool
	revs []string
	// tree, when set, scans the files of this commit's tree instead.
	tree string
	// configCommit is where .gitleaks.toml and .gitleaksignore are read.
	configCommit string
}

// targetOf decides what to scan of what an event brings: scope history
// every commit, a tag the files of its tree, else the event's commits.
func targetOf(c mirror.Commits, scope string) target {
	t := target{configCommit: c.Head}
	switch {
	case scope == "history":
		t.all = true
	case c.Tag:
		t.tree = c.Head
	default:
		t.revs = c.Revs
	}
	return t
}

// scanLog scans the patches of the commits t selects.
func scanLog(ctx context.Context, d *detect.Detector, mr *mirror.Mirror, t target) ([]report.Finding, error) {
	return d.DetectSource(ctx, &engine.GitLog{Git: mr, All: t.all, Revs: t.revs})
}

// scanTree scans every text file of a commit's tree, read from the mirror
// through one `git cat-file --batch`.
func scanTree(ctx context.Context, d *detect.Detector, mr *mirror.Mirror, sha string, maxMB int) ([]report.Finding, error) {
	list, err := mr.Git(ctx, "ls-tree", "-r", "-z", "--full-tree", sha)
	if err != nil {
		return nil, err
	}
	cmd := mr.Command(ctx, "cat-file", "--batch")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting git cat-file: %w", err)
	}
	defer func() { stdin.Close(); _ = cmd.Wait() }()
	out := bufio.NewReader(stdout)
	for _, entry := range bytes.Split(list, []byte{0}) {
		meta, path, ok := strings.Cut(string(entry), "\t")
		fields := strings.Fields(meta)
		// Regular files only: not symlinks (120000) or submodules.
		if !ok || len(fields) != 3 || fields[1] != "blob" || fields[0] == "120000" {
			continue
		}
		content, err := readBlob(stdin, out, fields[2], maxMB<<20)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		if content == nil || bytes.IndexByte(content[:min(len(content), 8000)], 0) >= 0 {
			continue // too large, or binary
		}
		// Lines count from 1, as gitleaks' own file source does.
		frag := detect.Fragment{Raw: string(content), FilePath: path, CommitSHA: sha, StartLine: 1} //nolint:staticcheck // SA1019: sources.Fragment comes with gitleaks v9, not released
		for _, f := range d.DetectContext(ctx, frag) {
			d.AddFinding(f)
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	return d.Findings(), nil
}

// readBlob asks cat-file --batch for one object; it returns nil for one
// larger than limit (read and discarded).
func readBlob(in io.Writer, out *bufio.Reader, sha string, limit int) ([]byte, error) {
	if _, err := fmt.Fprintln(in, sha); err != nil {
		return nil, err
	}
	header, err := out.ReadString('\n')
	if err != nil {
		return nil, err
	}
	fields := strings.Fields(header)
	if len(fields) != 3 {
		return nil, fmt.Errorf("unexpected cat-file answer %q", strings.TrimSpace(header))
	}
	size, err := strconv.Atoi(fields[2])
	if err != nil {
		return nil, err
	}
	if size > limit {
		_, err := io.CopyN(io.Discard, out, int64(size)+1)
		return nil, err
	}
	buf := make([]byte, size+1) // content and its trailing newline
	if _, err := io.ReadFull(out, buf); err != nil {
		return nil, err
	}
	return buf[:size], nil
}
