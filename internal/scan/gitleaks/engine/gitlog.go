package engine

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/gitleaks/go-gitdiff/gitdiff"
	"github.com/zricethezav/gitleaks/v8/cmd/scm"
	"github.com/zricethezav/gitleaks/v8/sources"
	"golang.org/x/sync/errgroup"

	"github.com/secbot/secbot/internal/gitrev"
)

// Git runs git in one repository (the worker's mirror, the repository a
// push goes to) with arguments the caller builds.
type Git interface {
	Command(ctx context.Context, args ...string) *exec.Cmd
}

// GitLog is the gitleaks source of a scan's commits: the added lines of
// the patches `git log -p` prints. It takes the place of gitleaks'
// sources.Git, which SecBot cannot use safely: that one's command is built
// from a single string split on spaces, so a value in it can become an
// option of git's, and it logs git's errors and carries on, so a revision
// git cannot resolve scans nothing and passes. Here git's arguments are
// fixed, the revisions reach git on its standard input, and a git failure
// fails the scan.
type GitLog struct {
	Git Git
	// All scans every commit of every ref; else Revs selects the commits
	// (see gitrev.Input).
	All  bool
	Revs []string
}

// logFlags are the options gitleaks gives `git log` (sources/git.go):
// patches with no context lines, without deletions and the like.
var logFlags = []string{"log", "-p", "-U0", "--diff-filter=tuxdb"}

// logCommand returns git log's arguments and standard input for a scan.
// No value of an event is an argument; the revisions on standard input
// (--stdin) must be SHAs, at least one of them a commit to scan (with none
// git would scan HEAD).
func logCommand(all bool, revs []string) (args []string, stdin string, err error) {
	if all {
		return append(append([]string{}, logFlags...), "--full-history", "--all"), "", nil
	}
	stdin, err = gitrev.Input(revs)
	if err != nil {
		return nil, "", err
	}
	return append(append([]string{}, logFlags...), "--stdin"), stdin, nil
}

// Fragments runs git log and yields each added hunk of each text file, as
// gitleaks' own git source does. Binary files are skipped: gitleaks scans
// only archives among them, and only when archive scanning is on, which
// SecBot leaves off.
func (g *GitLog) Fragments(ctx context.Context, yield sources.FragmentsFunc) error {
	args, stdin, err := logCommand(g.All, g.Revs)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := g.Git.Command(ctx, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting git log: %w", err)
	}
	files, err := gitdiff.Parse(stdout)
	if err == nil {
		err = yieldFiles(ctx, files, yield)
	}
	if err != nil {
		cancel() // stops git: the scan ended early
	}
	for range files {
		// drained, so that the parser's goroutine ends
	}
	waitErr := cmd.Wait()
	switch {
	case err != nil:
		return err
	case waitErr != nil && stderr.Len() > 0:
		return fmt.Errorf("git log: %s", strings.TrimSpace(stderr.String()))
	case waitErr != nil:
		return fmt.Errorf("git log: %w", waitErr)
	}
	return nil
}

// yieldFiles yields the fragments of the files git log prints, scanning
// files on every core.
func yieldFiles(ctx context.Context, files <-chan *gitdiff.File, yield sources.FragmentsFunc) error {
	group, gctx := errgroup.WithContext(ctx)
	group.SetLimit(runtime.GOMAXPROCS(0))
	remote := &sources.RemoteInfo{Platform: scm.NoPlatform}
	for file := range files {
		if gctx.Err() != nil {
			break
		}
		if file.IsDelete || file.IsBinary {
			continue
		}
		var info *sources.CommitInfo
		if h := file.PatchHeader; h != nil {
			info = &sources.CommitInfo{SHA: h.SHA, Date: h.AuthorDate.UTC().Format(time.RFC3339), Message: h.Message(), Remote: remote}
			if h.Author != nil {
				info.AuthorName, info.AuthorEmail = h.Author.Name, h.Author.Email
			}
		}
		group.Go(func() error {
			for _, text := range file.TextFragments {
				if text == nil {
					return nil
				}
				frag := sources.Fragment{FilePath: file.NewName, Raw: text.Raw(gitdiff.OpAdd),
					StartLine: int(text.NewPosition), CommitInfo: info}
				if info != nil {
					frag.CommitSHA = info.SHA
				}
				if err := yield(frag, nil); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := group.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}
