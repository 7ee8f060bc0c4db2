package gitleaks

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/zricethezav/gitleaks/v8/cmd/scm"
	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/report"
	"github.com/zricethezav/gitleaks/v8/sources"

	"github.com/secbot/secbot/internal/gitlab"
	"github.com/secbot/secbot/internal/worker"
)

const zeroSHA = "0000000000000000000000000000000000000000"

// target is what one scan covers.
type target struct {
	// logOpts selects commits for `git log -p` ("" is every commit).
	logOpts string
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
// its tree, and scope history every commit.
func plan(ctx context.Context, mr *mirror, req *worker.Request, scope string, remote *url.URL) (target, error) {
	ev := req.Event
	if err := mr.fetch(ctx, remote, headsAndTags...); err != nil {
		return target{}, err
	}
	if ev.Type == gitlab.MergeRequest && ev.MergeRequest.SourceProjectID != 0 &&
		ev.MergeRequest.SourceProjectID != ev.MergeRequest.TargetProjectID {
		fork, err := remoteURL(req.Instance, ev.MergeRequest.SourceHTTPURL)
		if err != nil {
			return target{}, err
		}
		refspec := fmt.Sprintf("+refs/heads/%s:refs/secbot/mr/%d", ev.MergeRequest.SourceBranch, ev.MergeRequest.IID)
		if err := mr.fetch(ctx, fork, refspec); err != nil {
			return target{}, err
		}
	}
	sha := ev.CommitSHA
	if !mr.hasCommit(ctx, sha) {
		return target{}, worker.Permanent(fmt.Errorf("commit %s is not in %s", sha, ev.Project.PathWithNamespace))
	}
	t := target{configCommit: sha}
	const filter = " --diff-filter=tuxdb"
	switch {
	case scope == "history":
		t.logOpts = ""
	case ev.Type == gitlab.TagPush:
		t.tree = sha
	case ev.Type == gitlab.MergeRequest:
		base := "refs/heads/" + ev.MergeRequest.TargetBranch
		if !mr.hasCommit(ctx, base) {
			return target{}, worker.Permanent(fmt.Errorf("target branch %q is not in %s", ev.MergeRequest.TargetBranch, ev.Project.PathWithNamespace))
		}
		t.logOpts = base + ".." + sha + filter
	case ev.Before == zeroSHA || !mr.hasCommit(ctx, ev.Before):
		branch := strings.TrimPrefix(ev.Ref, "refs/heads/")
		t.logOpts = sha + " --not --exclude=" + branch + " --branches" + filter
	default:
		t.logOpts = ev.Before + ".." + sha + filter
	}
	return t, nil
}

// scanLog scans the patches of the commits logOpts selects.
func scanLog(ctx context.Context, d *detect.Detector, mr *mirror, logOpts string) ([]report.Finding, error) {
	cmd, err := sources.NewGitLogCmdContext(ctx, mr.path, logOpts)
	if err != nil {
		return nil, fmt.Errorf("starting git log: %w", err)
	}
	// Remote must be set: sources.Git panics on a nil one.
	return d.DetectSource(ctx, &sources.Git{
		Cmd: cmd, Config: &d.Config, Remote: &sources.RemoteInfo{Platform: scm.NoPlatform},
		Sema: d.Sema, MaxArchiveDepth: d.MaxArchiveDepth,
	})
}

// scanTree scans every text file of a commit's tree, read from the mirror
// through one `git cat-file --batch`.
func scanTree(ctx context.Context, d *detect.Detector, mr *mirror, sha string, maxMB int) ([]report.Finding, error) {
	list, err := mr.git(ctx, nil, "ls-tree", "-r", "-z", "--full-tree", sha)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "git", "-C", mr.path, "cat-file", "--batch")
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1")
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
