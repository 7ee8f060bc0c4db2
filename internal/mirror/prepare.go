package mirror

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/gitlab"
	"github.com/secbot/secbot/internal/handler"
)

const zeroSHA = "0000000000000000000000000000000000000000"

var headsAndTags = []string{"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"}

// Commits is what an event brings, as Prepare found it in the mirror.
type Commits struct {
	// Head is the commit the event is about (checked to be in the mirror).
	Head string
	// Base is, for a push, its before when the mirror has it; for a merge
	// request, the target branch's tip; else "".
	Base string
	// Revs selects the event's commits for git log: SHAs, "^" before
	// those left out (see gitrev.Input); nil for a tag push.
	Revs []string
	// Tag is a tag push: its whole tree is what it brings.
	Tag bool
}

// Prepare fetches what the event needs into the mirror (every branch and
// tag; a fork merge request's source branch from the fork) and says what
// the event brings: a push its new commits (before..after; for a new
// branch or a force push whose old head is gone, the commits no other
// branch has), a merge request its commits since the target branch, a tag
// the tree it points at, a history scan every commit of its head's history.
// The event's values are checked by git's rules
// before any reaches git, and a selection that cannot be resolved (a
// branch not in the repository) is an error rather than no commits.
func (mr *Mirror) Prepare(ctx context.Context, inst config.Instance, ev *gitlab.Event, remote *url.URL) (Commits, error) {
	if err := ev.CheckGitValues(); err != nil {
		return Commits{}, handler.Permanent(err)
	}
	if err := mr.fetch(ctx, remote, headsAndTags...); err != nil {
		return Commits{}, err
	}
	if ev.Type == gitlab.MergeRequest && ev.MergeRequest.SourceProjectID != 0 &&
		ev.MergeRequest.SourceProjectID != ev.MergeRequest.TargetProjectID {
		fork, err := RemoteURL(inst, ev.MergeRequest.SourceHTTPURL)
		if err != nil {
			return Commits{}, err
		}
		refspec, err := forkRefspec(ev.MergeRequest)
		if err != nil {
			return Commits{}, err
		}
		if err := mr.fetch(ctx, fork, refspec); err != nil {
			return Commits{}, err
		}
	}
	c := Commits{Head: ev.CommitSHA}
	has, err := mr.hasCommit(ctx, c.Head)
	switch {
	case err != nil:
		return Commits{}, err
	case !has:
		return Commits{}, handler.Permanent(fmt.Errorf("commit %s is not in %s", c.Head, ev.Project.PathWithNamespace))
	}
	switch ev.Type {
	case gitlab.TagPush:
		c.Tag = true
		return c, nil
	case gitlab.History:
		// A history scan: every commit the head reaches.
		c.Revs = []string{c.Head}
		return c, nil
	}
	heads, err := mr.branches(ctx)
	if err != nil {
		return Commits{}, fmt.Errorf("listing the branches of %s: %w", ev.Project.PathWithNamespace, err)
	}
	beforeKnown := false
	if ev.Type == gitlab.Push && ev.Before != zeroSHA {
		if beforeKnown, err = mr.hasCommit(ctx, ev.Before); err != nil {
			return Commits{}, err
		}
	}
	if c.Revs, err = revisions(ev, heads, beforeKnown); err != nil {
		return Commits{}, err
	}
	switch {
	case ev.Type == gitlab.MergeRequest:
		c.Base = heads["refs/heads/"+ev.MergeRequest.TargetBranch]
	case beforeKnown:
		c.Base = ev.Before
	}
	return c, nil
}

// revisions selects the commits of a push or a merge request, given the
// mirror's branches (refs/heads/<name> → commit) and whether the mirror
// holds the push's before. Refs are looked up in heads, never resolved by
// git; what is not there is a permanent error.
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
