// Package gitlab is the gitlab notification: it keeps a commit status on
// each checked commit in GitLab (pending → running → success or failed,
// linking to the check page) and, for merge requests, one note that
// summarises the new findings and is updated, not repeated, on later pushes.
package gitlab

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/handler"
	"github.com/secbot/secbot/internal/jobs"
)

// HandlerName is this notification's handler_name in config.yml.
const HandlerName = "gitlab"

// Settings is the component's config.
type Settings struct {
	// StatusName is the commit status's name in GitLab (default secbot).
	StatusName string `yaml:"status_name"`
	// ReporterURL is the reporter's address as people reach it; links to
	// the check page start with it. Without it statuses and notes carry
	// no link.
	ReporterURL string `yaml:"reporter_url"`
	// RenderLimit is how many findings a note lists (default 20).
	RenderLimit int `yaml:"render_limit"`
	// MergeRequestNotes turns the merge request note off when false
	// (default true).
	MergeRequestNotes *bool `yaml:"merge_request_notes"`
	// Timeout bounds each request to GitLab's API (default 30s).
	Timeout time.Duration `yaml:"timeout"`
}

// Notifier is the gitlab notification handler. It is also a
// handler.Watcher, so the commit status follows the check while it runs.
type Notifier struct {
	settings Settings
	mu       sync.Mutex
	clients  map[string]*gl.Client // by instance host
}

// New builds the notifier from its component (handler constructor).
func New(c config.Component) (handler.Notifier, error) {
	var s Settings
	if err := c.Decode(&s); err != nil {
		return nil, err
	}
	return NewNotifier(s)
}

// NewNotifier builds a notifier from settings.
func NewNotifier(s Settings) (*Notifier, error) {
	if s.StatusName == "" {
		s.StatusName = "secbot"
	}
	if s.RenderLimit <= 0 {
		s.RenderLimit = 20
	}
	if s.Timeout <= 0 {
		s.Timeout = 30 * time.Second
	}
	s.ReporterURL = strings.TrimSuffix(s.ReporterURL, "/")
	if s.ReporterURL != "" && !strings.HasPrefix(s.ReporterURL, "http://") && !strings.HasPrefix(s.ReporterURL, "https://") {
		return nil, fmt.Errorf("reporter_url: %q is not an http(s) URL", s.ReporterURL)
	}
	return &Notifier{settings: s, clients: map[string]*gl.Client{}}, nil
}

// client is the API client of the request's GitLab instance, which
// authenticates with the instance's auth_token (it needs the api scope).
func (n *Notifier) client(inst config.Instance) (*gl.Client, error) {
	if inst.AuthToken == "" {
		return nil, handler.Permanent(fmt.Errorf("GITLAB_CONFIGS: instance %s has no auth_token; the gitlab notification needs one with the api scope", inst.Host))
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if c, ok := n.clients[inst.Host]; ok {
		return c, nil
	}
	// client-go retries 429 and 5xx a little on its own; the task's
	// retries with backoff do the rest.
	c, err := gl.NewClient(inst.AuthToken, gl.WithBaseURL(strings.TrimSuffix(inst.Host, "/")+"/api/v4"),
		gl.WithHTTPClient(&http.Client{Timeout: n.settings.Timeout}), gl.WithCustomRetryMax(2))
	if err != nil {
		return nil, handler.Permanent(fmt.Errorf("GitLab API client for %s: %w", inst.Host, err))
	}
	n.clients[inst.Host] = c
	return c, nil
}

// Watch implements handler.Watcher: the commit status follows the check.
func (n *Notifier) Watch(ctx context.Context, req *handler.Request, status jobs.Status) error {
	if status == jobs.StatusInProgress {
		return n.setStatus(ctx, req, gl.Running, "SecBot is scanning this commit")
	}
	return n.setFinal(ctx, req, status)
}

// Notify implements handler.Notifier: it makes sure the commit status shows
// the verdict, and for a merge request writes or updates its note.
func (n *Notifier) Notify(ctx context.Context, req *handler.Request) (handler.Result, error) {
	if status := jobs.Verdict(req.Check.Tasks); status != jobs.StatusInProgress && status != jobs.StatusNotStarted {
		if err := n.setFinal(ctx, req, status); err != nil {
			return handler.Result{}, err
		}
	}
	if req.Event.MergeRequest == nil || (n.settings.MergeRequestNotes != nil && !*n.settings.MergeRequestNotes) {
		return handler.Result{}, nil
	}
	fresh, err := n.writeNote(ctx, req)
	return handler.Result{Findings: fresh}, err
}

// setFinal sets the commit status for a finished check.
func (n *Notifier) setFinal(ctx context.Context, req *handler.Request, status jobs.Status) error {
	switch status {
	case jobs.StatusSuccess:
		return n.setStatus(ctx, req, gl.Success, "SecBot: no findings block this commit")
	case jobs.StatusFail:
		return n.setStatus(ctx, req, gl.Failed, fmt.Sprintf("SecBot: %d findings block this commit", blocking(req.Check.Tasks)))
	default:
		return n.setStatus(ctx, req, gl.Failed, "SecBot could not finish the check; its page says why")
	}
}

// blocking counts the check's blocking findings as its verdict does.
func blocking(tasks []jobs.TaskStatus) int {
	decider := jobs.DecidingKind(tasks)
	total := 0
	for _, t := range tasks {
		if t.Kind == decider && t.Active != nil {
			total += *t.Active
		}
	}
	return total
}

// setStatus moves the commit status to state once per check: the state is
// swapped into the check's marks first, so of the workers racing to set
// it one posts; a post that fails clears the mark for the retry. GitLab
// wants pending before running, so a check starting runs through both.
func (n *Notifier) setStatus(ctx context.Context, req *handler.Request, state gl.BuildStateValue, description string) error {
	changed, err := req.Marks.Swap(ctx, "status", string(state))
	if err != nil || !changed {
		return err
	}
	if state == gl.Running {
		err = n.postStatus(ctx, req, gl.Pending, "SecBot has the commit in its queue")
	}
	if err == nil {
		err = n.postStatus(ctx, req, state, description)
	}
	if err != nil {
		if clearErr := req.Marks.Mark(ctx, "status", ""); clearErr != nil {
			return errors.Join(err, clearErr)
		}
		return err
	}
	return nil
}

func (n *Notifier) postStatus(ctx context.Context, req *handler.Request, state gl.BuildStateValue, description string) error {
	client, err := n.client(req.Instance)
	if err != nil {
		return err
	}
	opt := &gl.SetCommitStatusOptions{State: state, Name: gl.Ptr(n.settings.StatusName), Description: gl.Ptr(description)}
	if ref := ref(req); ref != "" {
		opt.Ref = gl.Ptr(ref)
	}
	if n.settings.ReporterURL != "" {
		opt.TargetURL = gl.Ptr(n.checkURL(req.Check.ID))
	}
	_, _, err = client.Commits.SetCommitStatus(req.Event.Project.ID, req.Check.CommitSHA, opt, gl.WithContext(ctx))
	if transitionDone(err) {
		return nil
	}
	return classify(fmt.Sprintf("setting commit status %s on %s", state, req.Check.CommitSHA), err)
}

func (n *Notifier) checkURL(id string) string { return n.settings.ReporterURL + "/check/" + id }

// ref is the branch or tag the commit was pushed to, or the merge
// request's source branch.
func ref(req *handler.Request) string {
	ev := req.Event
	if ev.MergeRequest != nil {
		return ev.MergeRequest.SourceBranch
	}
	return strings.TrimPrefix(strings.TrimPrefix(ev.Ref, "refs/heads/"), "refs/tags/")
}

// transitionDone reports GitLab's answer to a status it already has
// ("Cannot transition status via :run from :running"): nothing to do.
func transitionDone(err error) bool {
	var er *gl.ErrorResponse
	return errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusBadRequest &&
		strings.Contains(er.Message, "Cannot transition status")
}

// classify names what failed and marks the errors that retrying cannot
// fix as permanent: a refused token, a project or commit GitLab does not
// have, a request GitLab rejects. Rate limits, 5xx and network errors are
// retried.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, gl.ErrNotFound) {
		return handler.Permanent(fmt.Errorf("%s: GitLab answered 404 (the project, commit or merge request does not exist, or the auth_token cannot see it)", op))
	}
	var er *gl.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		code := er.Response.StatusCode
		switch {
		case code == http.StatusUnauthorized || code == http.StatusForbidden:
			return handler.Permanent(fmt.Errorf("%s: GitLab refused the instance's auth_token (%d); it needs the api scope", op, code))
		case code == http.StatusTooManyRequests || code >= 500:
			return fmt.Errorf("%s: GitLab answered %d, will retry", op, code)
		case code >= 400:
			return handler.Permanent(fmt.Errorf("%s: GitLab answered %d: %s", op, code, er.Message))
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}
