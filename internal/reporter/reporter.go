// Package reporter answers CI pipelines that ask whether a commit may pass.
package reporter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secbot/secbot/internal/httpapi"
	"github.com/secbot/secbot/internal/jobs"
	"github.com/secbot/secbot/internal/metrics"
	"github.com/secbot/secbot/internal/store"
)

// MaxWait bounds ?wait=.
const MaxWait = 10 * time.Minute

// pollInterval is how often the waited-on checks are polled for changes
// whose notification was missed.
const pollInterval = 2 * time.Second

// CheckStore loads checks.
type CheckStore interface {
	GetCheck(ctx context.Context, id string) (store.CheckInfo, error)
	CheckVersions(ctx context.Context, ids []string) (map[string]string, error)
	BuiltinFindings(ctx context.Context, checkID string) (map[string]store.BuiltinIDs, error)
	Retry(ctx context.Context, read func() error) error
}

// FindingsCounter recounts blocking findings in the built-in findings
// service, so triage there changes the verdict without re-running anything.
type FindingsCounter interface {
	Blocking(ctx context.Context, ids []int) (int, error)
}

// Reporter serves the pipeline gate.
type Reporter struct {
	store    CheckStore
	findings FindingsCounter
	hub      *hub
	metrics  *metrics.Metrics
	log      *slog.Logger
}

// New returns a reporter whose ?wait= requests are bounded by limits (a
// zero field takes its default); Run must be running for them to wake
// before their time is up.
func New(st CheckStore, fc FindingsCounter, m *metrics.Metrics, log *slog.Logger, limits Limits) *Reporter {
	if limits.Waits <= 0 {
		limits.Waits = DefaultWaits
	}
	if limits.WaitsPerClient <= 0 {
		limits.WaitsPerClient = DefaultWaitsPerClient
	}
	r := &Reporter{store: st, findings: fc, metrics: m, log: log}
	r.hub = &hub{read: r.Status, versions: r.versions, limits: limits, poll: pollInterval,
		gauge: m.GateWaits, log: log, watches: map[string]*watch{}, clients: map[string]int{}}
	return r
}

// versions are the fingerprints of the checks' tasks, read again on new
// connections after a database restart, as Status is.
func (r *Reporter) versions(ctx context.Context, ids []string) (map[string]string, error) {
	var out map[string]string
	err := r.store.Retry(ctx, func() (err error) {
		out, err = r.store.CheckVersions(ctx, ids)
		return err
	})
	return out, err
}

// Run listens for check changes and polls the waited-on checks until ctx
// ends: one listener and one poll for all of the process's waits.
func (r *Reporter) Run(ctx context.Context, l Listener) { r.hub.run(ctx, l) }

// Register adds the reporter's routes to app.
func (r *Reporter) Register(app *fiber.App) {
	app.Get("/v1/security/gitlab/check/:id", r.handleCheck)
}

// CheckResponse is the gate's answer: the compat status plus detail.
type CheckResponse struct {
	Status          jobs.Status       `json:"status"`
	SecurityCheckID string            `json:"security_check_id"`
	Project         string            `json:"project,omitempty"`
	Commit          string            `json:"commit,omitempty"`
	EventType       string            `json:"event_type,omitempty"`
	Job             string            `json:"job,omitempty"`
	CreatedAt       *time.Time        `json:"created_at,omitempty"`
	UpdatedAt       *time.Time        `json:"updated_at,omitempty"`
	Findings        *FindingCounts    `json:"findings,omitempty"`
	Tasks           []jobs.TaskStatus `json:"tasks,omitempty"`
}

// FindingCounts sums the findings the deciding tasks reported.
type FindingCounts struct {
	Total  int `json:"total"`
	Active int `json:"active"`
}

func (r *Reporter) handleCheck(c *fiber.Ctx) error {
	// Copies: fiber's strings point into the request's buffer, and a wait
	// keeps the id (and counts the address) beyond this request's end.
	id := strings.Clone(c.Params("id"))
	wait, err := parseWait(c.Query("wait"))
	if err != nil {
		return httpapi.Error(c, fiber.StatusBadRequest, "VALIDATION_FAILED", err.Error(),
			[]map[string]string{{"code": "invalid", "field": "wait", "message": err.Error()}})
	}
	ctx := c.UserContext()
	if wait == 0 {
		return r.answer(c, id)
	}
	release, err := r.hub.admit(strings.Clone(httpapi.ClientIP(c)))
	if err != nil {
		return r.refuse(c, id, err)
	}
	defer release()
	// Watch before reading, so that a change after the read wakes it.
	w, stop := r.hub.subscribe(id)
	defer stop()
	since := time.Now()
	resp, err := r.Status(ctx, id)
	if err != nil {
		return r.unavailable(c, id, err)
	}
	if !final(resp.Status) {
		resp = r.hub.wait(ctx, w, wait, since, resp)
	}
	r.metrics.CheckRequests.WithLabelValues(string(resp.Status)).Inc()
	return c.JSON(resp)
}

// answer reads the check once and answers with it.
func (r *Reporter) answer(c *fiber.Ctx, id string) error {
	resp, err := r.Status(c.UserContext(), id)
	if err != nil {
		return r.unavailable(c, id, err)
	}
	r.metrics.CheckRequests.WithLabelValues(string(resp.Status)).Inc()
	return c.JSON(resp)
}

// refuse answers a wait over the limits: a final verdict needs no wait and
// is answered; otherwise 429, saying when to ask again.
func (r *Reporter) refuse(c *fiber.Ctx, id string, why error) error {
	resp, err := r.Status(c.UserContext(), id)
	if err != nil {
		return r.unavailable(c, id, err)
	}
	if final(resp.Status) {
		r.metrics.CheckRequests.WithLabelValues(string(resp.Status)).Inc()
		return c.JSON(resp)
	}
	r.metrics.CheckRequests.WithLabelValues("too_many_waits").Inc()
	r.log.Debug("wait refused", "security_check_id", id, "error", why)
	secs := int(retryAfter / time.Second)
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
	return httpapi.Error(c, fiber.StatusTooManyRequests, "TOO_MANY_WAITS",
		fmt.Sprintf("%v: ask again in %d seconds, or without ?wait=", why, secs),
		map[string]any{"status": resp.Status, "retry_after_seconds": secs})
}

func (r *Reporter) unavailable(c *fiber.Ctx, id string, err error) error {
	r.log.Error("loading check failed", "security_check_id", id, "error", err)
	return httpapi.Error(c, fiber.StatusServiceUnavailable, "UNAVAILABLE", "the check cannot be read right now", nil)
}

func final(s jobs.Status) bool {
	return s == jobs.StatusSuccess || s == jobs.StatusFail || s == jobs.StatusError
}

// Status is a check's verdict and detail now, with the blocking findings
// of the built-in findings service recounted live (triage counts at once).
// An unknown id is not_started. After a database restart it reads again
// on new connections rather than fail a pipeline's gate.
func (r *Reporter) Status(ctx context.Context, id string) (CheckResponse, error) {
	var resp CheckResponse
	err := r.store.Retry(ctx, func() (err error) {
		resp, err = r.status(ctx, id)
		return err
	})
	return resp, err
}

func (r *Reporter) status(ctx context.Context, id string) (CheckResponse, error) {
	info, err := r.store.GetCheck(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return CheckResponse{Status: jobs.StatusNotStarted, SecurityCheckID: id}, nil
	}
	if err != nil {
		return CheckResponse{}, err
	}
	if err := r.recount(ctx, info); err != nil {
		return CheckResponse{}, err
	}
	resp := CheckResponse{
		Status: jobs.Verdict(info.Tasks), SecurityCheckID: info.ID, Project: info.Project,
		Commit: info.CommitSHA, EventType: info.EventType, Job: info.JobName,
		CreatedAt: &info.CreatedAt, UpdatedAt: &info.UpdatedAt, Tasks: info.Tasks,
	}
	resp.Findings = counts(info.Tasks)
	return resp, nil
}

// recount replaces the blocking counts of outputs into the built-in
// findings service with the findings' current state.
func (r *Reporter) recount(ctx context.Context, info store.CheckInfo) error {
	live, err := r.store.BuiltinFindings(ctx, info.ID)
	if err != nil || len(live) == 0 {
		return err
	}
	for i, t := range info.Tasks {
		ids, ok := live[t.ID]
		if !ok {
			continue
		}
		n, err := r.findings.Blocking(ctx, ids.Gated)
		if err != nil {
			return err
		}
		info.Tasks[i].Active = &n
	}
	return nil
}

// counts sums findings over the outputs, or over the scans when the job
// has no outputs (as the verdict does).
func counts(tasks []jobs.TaskStatus) *FindingCounts {
	decider := jobs.DecidingKind(tasks)
	fc := &FindingCounts{}
	for _, t := range tasks {
		if t.Kind != decider {
			continue
		}
		if t.Findings != nil {
			fc.Total += *t.Findings
		}
		if t.Active != nil {
			fc.Active += *t.Active
		}
	}
	return fc
}

// parseWait reads ?wait= as a Go duration ("30s", "2m") or whole seconds.
func parseWait(raw string) (time.Duration, error) {
	if raw == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(raw)
	if err != nil {
		secs, convErr := strconv.Atoi(raw)
		if convErr != nil {
			return 0, errors.New("wait must be a duration such as 30s or 2m, or whole seconds")
		}
		d = time.Duration(secs) * time.Second
	}
	if d < 0 {
		return 0, errors.New("wait must not be negative")
	}
	return min(d, MaxWait), nil
}
