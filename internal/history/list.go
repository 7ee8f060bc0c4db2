package history

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/secbot/secbot/internal/store"
)

// perPage is the page size asked of GitLab (its maximum).
const perPage = 100

// target is one thing a run lists: the whole instance, a group (with its
// subgroups) or one project.
type target struct {
	kind string // "instance", "group" or "project"
	ref  string // the group's or project's id or full path
}

// targets are what a run lists, in order: its groups, then its projects;
// the whole instance when it names neither.
func targets(run store.HistoryRun) []target {
	var out []target
	for _, g := range run.Groups {
		out = append(out, target{kind: "group", ref: g})
	}
	for _, p := range run.Projects {
		out = append(out, target{kind: "project", ref: p})
	}
	if len(out) == 0 {
		out = append(out, target{kind: "instance"})
	}
	return out
}

// permanentError is a listing error that trying again cannot fix (a
// group that does not exist, a token GitLab refuses): it fails the run.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// page lists one page of a target; next is the page after it, 0 after
// the last (GitLab's X-Next-Page).
func page(ctx context.Context, c *gl.Client, t target, n int) (projects []*gl.Project, next int, err error) {
	opts := gl.ListOptions{Page: int64(n), PerPage: perPage}
	var resp *gl.Response
	switch t.kind {
	case "instance":
		projects, resp, err = c.Projects.ListProjects(&gl.ListProjectsOptions{ListOptions: opts,
			OrderBy: gl.Ptr("id"), Sort: gl.Ptr("asc")}, gl.WithContext(ctx))
	case "group":
		projects, resp, err = c.Groups.ListGroupProjects(t.ref, &gl.ListGroupProjectsOptions{ListOptions: opts,
			IncludeSubGroups: gl.Ptr(true), OrderBy: gl.Ptr("id"), Sort: gl.Ptr("asc")}, gl.WithContext(ctx))
	default:
		var p *gl.Project
		p, resp, err = c.Projects.GetProject(t.ref, nil, gl.WithContext(ctx))
		if err == nil {
			projects = []*gl.Project{p}
		}
		return projects, 0, classify(fmt.Sprintf("project %q", t.ref), resp, err)
	}
	if err != nil {
		what := "the instance's projects"
		if t.kind == "group" {
			what = fmt.Sprintf("the projects of group %q", t.ref)
		}
		return nil, 0, classify(what, resp, err)
	}
	return projects, int(resp.NextPage), nil
}

// classify words a GitLab API error, permanent when GitLab says the
// thing is not there or the token may not see it.
func classify(what string, resp *gl.Response, err error) error {
	if err == nil {
		return nil
	}
	if resp != nil {
		switch resp.StatusCode {
		case http.StatusNotFound:
			return permanentError{fmt.Errorf("listing %s: GitLab answered 404: it does not exist, or the instance's auth_token may not see it", what)}
		case http.StatusUnauthorized, http.StatusForbidden:
			return permanentError{fmt.Errorf("listing %s: GitLab refused the instance's auth_token (%d): it needs the read_api scope", what, resp.StatusCode)}
		}
	}
	return fmt.Errorf("listing %s: %w", what, err)
}

// listed is a project as the run records it: skipped at once, with the
// reason, when archived or empty and the run does not ask for those.
func listed(run store.HistoryRun, p *gl.Project) store.HistoryProject {
	hp := store.HistoryProject{ProjectID: p.ID, Path: p.PathWithNamespace, DefaultBranch: p.DefaultBranch,
		HTTPURL: p.HTTPURLToRepo, SSHURL: p.SSHURLToRepo, WebURL: p.WebURL, State: store.ProjectPending}
	switch {
	case p.Archived && !run.IncludeArchived:
		hp.State, hp.Reason = store.ProjectSkipped, "archived (include_archived scans it)"
	case (p.EmptyRepo || p.DefaultBranch == "") && !run.IncludeEmpty:
		hp.State, hp.Reason = store.ProjectSkipped, "empty repository"
	}
	return hp
}

// errNoHead means a project's default branch has no commit to scan.
var errNoHead = errors.New("no default branch head")

// head is the commit at the tip of a project's default branch.
func head(ctx context.Context, c *gl.Client, p store.HistoryProject) (string, error) {
	if p.DefaultBranch == "" {
		return "", errNoHead
	}
	b, resp, err := c.Branches.GetBranch(p.ProjectID, p.DefaultBranch, gl.WithContext(ctx))
	if resp != nil && resp.StatusCode == http.StatusNotFound {
		return "", errNoHead
	}
	if err != nil {
		return "", classify(fmt.Sprintf("branch %q of %s", p.DefaultBranch, p.Path), resp, err)
	}
	if b.Commit == nil || strings.TrimSpace(b.Commit.ID) == "" {
		return "", errNoHead
	}
	return b.Commit.ID, nil
}
