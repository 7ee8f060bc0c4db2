// Package history runs history scans (onboarding): it lists a GitLab
// instance's projects (all, some groups' with their subgroups, or a list)
// through the GitLab API and scans each project's default branch history
// through the task plan of a configured job, on the queue's
// lower-priority history queue. Every run's state is in PostgreSQL, so a
// run survives any restart; the routes of the reporter start, follow and
// cancel runs.
package history

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/gitlab"
	"github.com/secbot/secbot/internal/jobs"
	"github.com/secbot/secbot/internal/store"
)

// Dispatcher hands ready tasks to the queue (queue.Dispatcher).
type Dispatcher interface {
	Dispatch(ctx context.Context, tasks []store.ReadyTask) error
}

// pagesPerStep bounds the listing one step of a run does, so that its
// scans start and settle while a large instance is being listed.
const pagesPerStep = 5

// leaseTTL is how long a pump holds a run without renewing it (every
// step, and before each wait for GitLab's rate limit): after a worker
// dies, another pump resumes its runs this much later at most.
const leaseTTL = 5 * time.Minute

// Pump advances the active history scans: one runs in each worker. Runs
// are leased, so two workers never advance the same run at once.
type Pump struct {
	store       *store.Store
	queue       Dispatcher
	jobs        map[string]config.Job
	matcher     *jobs.Matcher
	instances   []config.Instance
	concurrency int
	interval    time.Duration
	log         *slog.Logger
	owner       string

	// current is the run being advanced, on which rate limit waits are
	// noted.
	current atomic.Int64
	mu      sync.Mutex
	clients map[string]*gl.Client // by instance host
	// sleep is the rate limits' wait (tests count it).
	sleep func(ctx context.Context, d time.Duration) error
}

// Options configure a Pump.
type Options struct {
	Store     *store.Store
	Queue     Dispatcher
	Jobs      []config.Job
	Instances []config.Instance
	// Concurrency bounds the projects scanned at once, over every run.
	Concurrency int
	// Interval is how often the pump looks for work besides being woken
	// by the tasks of history checks changing.
	Interval time.Duration
	Log      *slog.Logger
}

// NewPump returns a pump; Run runs it.
func NewPump(o Options) (*Pump, error) {
	m, err := jobs.NewMatcher(o.Jobs)
	if err != nil {
		return nil, err
	}
	byName := map[string]config.Job{}
	for _, j := range o.Jobs {
		byName[j.Name] = j
	}
	return &Pump{store: o.Store, queue: o.Queue, jobs: byName, matcher: m, instances: o.Instances,
		concurrency: max(1, o.Concurrency), interval: max(o.Interval, 10*time.Millisecond), log: o.Log,
		owner: "pump-" + rand.Text(), clients: map[string]*gl.Client{}, sleep: sleep}, nil
}

// Run advances the runs until ctx ends: at every interval and, while it
// holds runs, whenever a history check's tasks change (PostgreSQL's
// notifications), so a project's end starts the next at once. An idle
// pump keeps no connection listening. It gives up its leases when it
// stops.
func (p *Pump) Run(ctx context.Context) {
	wake := make(chan struct{}, 1)
	var l listener
	defer l.stop()
	tick := time.NewTicker(p.interval)
	defer tick.Stop()
	for {
		busy, err := p.step(ctx)
		if err != nil && ctx.Err() == nil {
			p.log.Warn("history pump: step incomplete", "error", err)
		}
		if busy {
			l.start(ctx, p, wake)
		} else {
			l.stop()
		}
		select {
		case <-ctx.Done():
			release, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if err := p.store.ReleaseHistoryLeases(release, p.owner); err != nil {
				p.log.Warn("history pump: releasing leases", "error", err)
			}
			cancel()
			return
		case <-tick.C:
		case <-wake:
		}
	}
}

// listener runs Pump.listen while a pump holds runs.
type listener struct{ cancel context.CancelFunc }

func (l *listener) start(ctx context.Context, p *Pump, wake chan<- struct{}) {
	if l.cancel != nil {
		return
	}
	ctx, l.cancel = context.WithCancel(ctx)
	go p.listen(ctx, wake)
}

func (l *listener) stop() {
	if l.cancel != nil {
		l.cancel()
		l.cancel = nil
	}
}

// listen sends on wake whenever a history check's tasks change, until
// ctx ends.
func (p *Pump) listen(ctx context.Context, wake chan<- struct{}) {
	for ctx.Err() == nil {
		err := p.store.Listen(ctx, func(id string) {
			if gitlab.IsHistoryCheck(id) {
				select {
				case wake <- struct{}{}:
				default:
				}
			}
		})
		if ctx.Err() == nil {
			p.log.Warn("history pump: listening for check changes failed; polling meanwhile", "error", err)
			_ = sleep(ctx, p.interval)
		}
	}
}

// Step advances every run this pump may lease once: a few pages of
// listing, the projects whose scans ended, and new scans up to the
// concurrency.
func (p *Pump) Step(ctx context.Context) error {
	_, err := p.step(ctx)
	return err
}

// step is Step, and reports whether the pump holds runs.
func (p *Pump) step(ctx context.Context) (bool, error) {
	runs, err := p.store.LeaseHistoryRuns(ctx, p.owner, leaseTTL)
	if err != nil {
		return false, err
	}
	var errs []error
	for _, run := range runs {
		if err := p.advance(ctx, run); err != nil {
			errs = append(errs, fmt.Errorf("history scan %d: %w", run.ID, err))
		}
	}
	return len(runs) > 0, errors.Join(errs...)
}

func (p *Pump) advance(ctx context.Context, run store.HistoryRun) error {
	log := p.log.With("history_scan", run.ID)
	inst, ok := p.instance(run.InstanceHost)
	if !ok {
		return p.store.FailHistoryRun(ctx, run.ID, fmt.Sprintf("GitLab instance %q is not in this worker's GITLAB_CONFIGS", run.InstanceHost))
	}
	if _, ok := p.jobs[run.Job]; run.Job != "" && !ok {
		return p.store.FailHistoryRun(ctx, run.ID, fmt.Sprintf("job %q is not in this worker's config.yml", run.Job))
	}
	p.current.Store(run.ID)
	client, err := p.client(inst)
	if err != nil {
		return p.store.FailHistoryRun(ctx, run.ID, err.Error())
	}
	if run.State == store.HistoryListing {
		if err := p.list(ctx, client, run); err != nil {
			var perm permanentError
			if errors.As(err, &perm) {
				log.Warn("history scan failed", "error", err)
				return p.store.FailHistoryRun(ctx, run.ID, err.Error())
			}
			_ = p.store.NoteHistoryRun(ctx, run.ID, "listing paused: "+err.Error(), p.owner, leaseTTL)
			return err
		}
	}
	if _, err := p.store.SettleHistoryProjects(ctx, run.ID); err != nil {
		return err
	}
	if err := p.start(ctx, client, inst, run); err != nil {
		return err
	}
	done, err := p.store.FinishHistoryRun(ctx, run.ID)
	if done {
		log.Info("history scan done")
	}
	return err
}

// list records up to pagesPerStep pages of the run's listing, each with
// where the listing goes on.
func (p *Pump) list(ctx context.Context, client *gl.Client, run store.HistoryRun) error {
	all := targets(run)
	at, n := run.Target, run.NextPage
	for range pagesPerStep {
		if at >= len(all) {
			return nil
		}
		found, next, err := page(ctx, client, all[at], n)
		if err != nil {
			return err
		}
		rows := make([]store.HistoryProject, 0, len(found))
		for _, gp := range found {
			rows = append(rows, listed(run, gp))
		}
		if next == 0 {
			at, n = at+1, 1
		} else {
			n = next
		}
		if err := p.store.AddHistoryPage(ctx, run.ID, rows, at, n, at < len(all)); err != nil {
			return err
		}
	}
	return nil
}

// start begins the scans of pending projects while fewer than the
// concurrency are being scanned.
func (p *Pump) start(ctx context.Context, client *gl.Client, inst config.Instance, run store.HistoryRun) error {
	busy, err := p.store.ScanningHistoryProjects(ctx)
	if err != nil || busy >= p.concurrency {
		return err
	}
	pending, err := p.store.PendingHistoryProjects(ctx, run.ID, p.concurrency-busy)
	if err != nil {
		return err
	}
	for _, hp := range pending {
		if err := p.startOne(ctx, client, inst, run, hp); err != nil {
			return err
		}
	}
	return nil
}

// startOne looks up the project's head and plans its scan, unless the
// head was scanned before or no job takes it.
func (p *Pump) startOne(ctx context.Context, client *gl.Client, inst config.Instance, run store.HistoryRun, hp store.HistoryProject) error {
	sha, err := head(ctx, client, hp)
	switch {
	case errors.Is(err, errNoHead):
		return p.store.EndHistoryProject(ctx, run.ID, hp.ProjectID, store.ProjectSkipped, "",
			fmt.Sprintf("empty repository: branch %q has no commit", hp.DefaultBranch))
	case err != nil:
		var perm permanentError
		if errors.As(err, &perm) {
			return p.store.EndHistoryProject(ctx, run.ID, hp.ProjectID, store.ProjectFailed, "", err.Error())
		}
		return err
	}
	if earlier, ok, err := p.store.HistoryHeadScanned(ctx, run.InstanceHost, hp.ProjectID, sha); err != nil || ok {
		if err != nil {
			return err
		}
		return p.store.EndHistoryProject(ctx, run.ID, hp.ProjectID, store.ProjectSkipped, sha,
			fmt.Sprintf("head %s already scanned by history scan %d", sha, earlier))
	}
	project := gitlab.Project{ID: hp.ProjectID, PathWithNamespace: hp.Path, WebURL: hp.WebURL, GitSSHURL: hp.SSHURL,
		GitHTTPURL: hp.HTTPURL, DefaultBranch: hp.DefaultBranch}
	ev := gitlab.HistoryEvent(project, sha)
	if err := ev.CheckGitValues(); err != nil {
		return p.store.EndHistoryProject(ctx, run.ID, hp.ProjectID, store.ProjectFailed, sha, err.Error())
	}
	job, reason := p.job(run, ev)
	if reason != "" {
		return p.store.EndHistoryProject(ctx, run.ID, hp.ProjectID, store.ProjectSkipped, sha, reason)
	}
	if !job.HistoryNotifications {
		job.Notifications = nil
	}
	checkID := gitlab.HistoryCheckID(inst.Prefix, project.GitSSHURL, sha)
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	check := store.Check{ID: checkID, InstanceHost: inst.Host, Project: hp.Path, ProjectKey: gitlab.ProjectKey(project.GitSSHURL),
		CommitSHA: sha, EventType: string(gitlab.History), JobName: job.Name, Event: body}
	// One delivery per run and check: a pump resuming after a crash
	// between here and StartHistoryProject records nothing twice, and a
	// later run retries what failed.
	acc, err := p.store.AcceptEvent(ctx, fmt.Sprintf("history:%d:%s", run.ID, checkID), check, jobs.Plan(checkID, job, ""))
	if err != nil {
		return err
	}
	started, state, err := p.store.StartHistoryProject(ctx, run.ID, hp.ProjectID, sha, checkID)
	switch {
	case err != nil:
		return err
	case !started && state == store.ProjectSkipped:
		return p.store.SkipUnstartedTasks(ctx, checkID, "not run: the history scan was cancelled")
	case !started:
		return nil // another pump started it, and dispatches its tasks
	}
	if err := p.queue.Dispatch(ctx, acc.Ready); err != nil {
		p.log.Warn("history pump: enqueueing failed; the sweeper will enqueue the tasks", "error", err, "security_check_id", checkID)
	}
	return nil
}

// job is the job that scans a project: the run's, else the one whose
// rules match the history event; reason says why none does.
func (p *Pump) job(run store.HistoryRun, ev *gitlab.Event) (config.Job, string) {
	if run.Job != "" {
		return p.jobs[run.Job], ""
	}
	job, err := p.matcher.Match(ev.Payload)
	var conflict *jobs.ConflictError
	switch {
	case errors.Is(err, jobs.ErrNoJob):
		return job, "no job of config.yml matches its history event (event_type history); name one in the request's job"
	case errors.As(err, &conflict):
		return job, err.Error() + "; name one in the request's job"
	}
	return job, ""
}

func (p *Pump) instance(host string) (config.Instance, bool) {
	for _, inst := range p.instances {
		if inst.Host == host {
			return inst, true
		}
	}
	return config.Instance{}, false
}

// client is the API client of an instance, whose waits for its rate
// limits are noted on the run being advanced.
func (p *Pump) client(inst config.Instance) (*gl.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[inst.Host]; ok {
		return c, nil
	}
	t := &throttle{next: baseTransport(), sleep: p.sleep, waited: func(d time.Duration, why string) {
		p.log.Info("history pump: waiting for GitLab's rate limit", "instance", inst.Host, "wait", d.String(), "reason", why)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		note := fmt.Sprintf("waiting %s for GitLab's rate limit (%s)", d.Round(time.Second), why)
		if err := p.store.NoteHistoryRun(ctx, p.current.Load(), note, p.owner, d+leaseTTL); err != nil {
			p.log.Warn("history pump: noting a wait", "error", err)
		}
	}}
	c, err := newClient(inst, t)
	if err != nil {
		return nil, err
	}
	p.clients[inst.Host] = c
	return c, nil
}

// baseTransport is the throttle's own transport: Go's default, with a
// bound on how long GitLab may take to answer.
func baseTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = 30 * time.Second
	return t
}
