package gitleaks

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/report"

	"github.com/secbot/secbot/internal/gitlab"
	"github.com/secbot/secbot/internal/handler"
)

const zeroSHA = "0000000000000000000000000000000000000000"

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

var headsAndTags = []string{"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"}

// plan fetches what the event needs into the mirror and decides what to
// scan: a push its new commits (before..after; for a new branch or a
// force push whose old head is gone, the commits no other branch has), a
// merge request its commits since the target branch, a tag the files of
// its tree, and scope history every commit. The event's values are
// checked by git's rules before any reaches git, and a range that cannot
// be resolved (a branch not in the repository) fails the scan rather
// than scanning nothing.
func plan(ctx context.Context, mr *mirror, req *handler.Request, scope string, remote *url.URL) (target, error) {
	ev := &req.Event
	if err := ev.CheckGitValues(); err != nil {
		return target{}, handler.Permanent(err)
	}
	if err := mr.fetch(ctx, remote, headsAndTags...); err != nil {
		return target{}, err
	}
	if ev.Type == gitlab.MergeRequest && ev.MergeRequest.SourceProjectID != 0 &&
		ev.MergeRequest.SourceProjectID != ev.MergeRequest.TargetProjectID {
		fork, err := remoteURL(req.Instance, ev.MergeRequest.SourceHTTPURL)
		if err != nil {
			return target{}, err
		}
		refspec, err := forkRefspec(ev.MergeRequest)
		if err != nil {
			return target{}, err
		}
		if err := mr.fetch(ctx, fork, refspec); err != nil {
			return target{}, err
		}
	}
	sha := ev.CommitSHA
	if !mr.hasCommit(ctx, sha) {
		return target{}, handler.Permanent(fmt.Errorf("commit %s is not in %s", sha, ev.Project.PathWithNamespace))
	}
	t := target{configCommit: sha}
	switch {
	case scope == "history":
		t.all = true
	case ev.Type == gitlab.TagPush:
		t.tree = sha
	default:
		heads, err := mr.branches(ctx)
		if err != nil {
			return target{}, err
		}
		beforeKnown := ev.Type == gitlab.Push && ev.Before != zeroSHA && mr.hasCommit(ctx, ev.Before)
		if t.revs, err = revisions(ev, heads, beforeKnown); err != nil {
			return target{}, err
		}
	}
	return t, nil
}

// revisions selects the commits of a push or a merge request, given the
// mirror's branches (refs/heads/<name> → commit) and whether the mirror
// holds the push's before. Refs are looked up in heads, never resolved by
// git; what is not there fails the scan.
func revisions(ev *gitlab.Event, heads map[string]string, beforeKnown bool) ([]string, error) {
	sha := ev.CommitSHA
	project := ev.Project.PathWithNamespace
	if ev.Type == gitlab.MergeRequest {
		base, ok := heads["refs/heads/"+ev.MergeRequest.TargetBranch]
		if !ok {
			return nil, handler.Permanent(fmt.Errorf("target branch %q is not in %s", ev.MergeRequest.TargetBranch, project))
		}
		return []string{sha, "^" + base}, nil
	}
	if beforeKnown {
		return []string{sha, "^" + ev.Before}, nil
	}
	// A new branch, or a force push over a head the mirror never had: the
	// commits that no other branch has.
	if _, ok := heads[ev.Ref]; !ok {
		return nil, handler.Permanent(fmt.Errorf("branch %q is not in %s: it was deleted since the push, or the hook names a branch "+
			"that does not exist; nothing was scanned", strings.TrimPrefix(ev.Ref, "refs/heads/"), project))
	}
	revs := []string{sha}
	seen := map[string]bool{}
	for _, ref := range slices.Sorted(maps.Keys(heads)) {
		if tip := heads[ref]; ref != ev.Ref && !seen[tip] {
			seen[tip] = true
			revs = append(revs, "^"+tip)
		}
	}
	return revs, nil
}

// scanLog scans the patches of the commits t selects.
func scanLog(ctx context.Context, d *detect.Detector, mr *mirror, t target) ([]report.Finding, error) {
	return d.DetectSource(ctx, &gitLog{mirror: mr, all: t.all, revs: t.revs})
}

// scanTree scans every text file of a commit's tree, read from the mirror
// through one `git cat-file --batch`.
func scanTree(ctx context.Context, d *detect.Detector, mr *mirror, sha string, maxMB int) ([]report.Finding, error) {
	list, err := mr.git(ctx, nil, "ls-tree", "-r", "-z", "--full-tree", sha)
	if err != nil {
		return nil, err
	}
	cmd := mr.command(ctx, nil, "cat-file", "--batch")
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
		frag := detect.Fragment{Raw: string(content), FilePath: path, CommitSHA: sha, StartLine: 1}
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
