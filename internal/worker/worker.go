// Package worker runs the task plan: it takes tasks from the queue, runs
// the scan, output and notification handlers that config.yml names (the
// contract of internal/handler), records results in PostgreSQL and
// enqueues what becomes ready.
package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/handler"
	"github.com/secbot/secbot/internal/jobs"
	"github.com/secbot/secbot/internal/metrics"
	"github.com/secbot/secbot/internal/queue"
	"github.com/secbot/secbot/internal/store"
)

// Worker runs tasks.
type Worker struct {
	store     *store.Store
	queue     queue.Dispatcher
	handlers  *handler.Handlers
	instances []config.Instance
	metrics   *metrics.Metrics
	log       *slog.Logger
	// reports seals the scans' reports in the store.
	reports *store.ReportKey
}

// New returns a worker; reports is the key its scans' reports are sealed
// with in the store (the same on every worker).
func New(st *store.Store, q *queue.Client, h *handler.Handlers, instances []config.Instance, reports *store.ReportKey, m *metrics.Metrics, log *slog.Logger) *Worker {
	return &Worker{store: st, queue: queue.Dispatcher{Queue: q, Store: st}, handlers: h, instances: instances, reports: reports, metrics: m, log: log}
}

// ProcessTask is the asynq handler of every task kind. The task's state in
// PostgreSQL decides whether it runs: a repeated delivery of a finished task
// does nothing.
func (w *Worker) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p queue.Payload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.TaskID == "" {
		return fmt.Errorf("worker: malformed task payload: %w", asynq.SkipRetry)
	}
	log := w.log.With("task", p.TaskID)
	claimed, err := w.store.ClaimTask(ctx, p.TaskID)
	switch {
	case errors.Is(err, store.ErrTaskFinished), errors.Is(err, store.ErrTaskNotReady), errors.Is(err, store.ErrNotFound):
		log.Debug("task not runnable, dropped", "reason", err)
		return nil
	case err != nil:
		return err // PostgreSQL trouble: let the queue retry
	}
	log = log.With("security_check_id", claimed.Check.ID, "kind", claimed.Task.Kind)
	w.watchStart(ctx, log, &claimed)
	start := time.Now()
	result, runErr := w.run(ctx, &claimed)
	w.metrics.TaskDuration.WithLabelValues(string(claimed.Task.Kind)).Observe(time.Since(start).Seconds())
	if runErr == nil {
		return w.complete(ctx, log, claimed, result)
	}
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	if errors.Is(runErr, handler.ErrPermanent) || retried >= maxRetry {
		log.Error("task failed", "error", runErr, "attempt", claimed.Attempts)
		w.metrics.TasksTotal.WithLabelValues(string(claimed.Task.Kind), "failed").Inc()
		if err := w.store.FailTask(ctx, p.TaskID, runErr.Error()); err != nil {
			return err // not recorded: retry, the sweeper catches it if retries run out
		}
		w.watchVerdict(ctx, log, &claimed)
		return fmt.Errorf("%w: %w", runErr, asynq.SkipRetry)
	}
	log.Warn("task will be retried", "error", runErr, "attempt", claimed.Attempts)
	w.metrics.TasksTotal.WithLabelValues(string(claimed.Task.Kind), "retry").Inc()
	if err := w.store.RetryLater(ctx, p.TaskID, "retrying: "+runErr.Error()); err != nil {
		log.Error("recording retry", "error", err)
	}
	return runErr
}

func (w *Worker) complete(ctx context.Context, log *slog.Logger, claimed store.Claimed, result handler.Result) error {
	ready, err := w.store.CompleteTask(ctx, claimed.Task.ID, result)
	if err != nil {
		return err // the result is lost; the retry runs the handler again
	}
	w.metrics.TasksTotal.WithLabelValues(string(claimed.Task.Kind), "done").Inc()
	log.Info("task done", "findings", result.Findings, "active_findings", result.ActiveFindings, "released", len(ready))
	// Watchers hear the verdict before the released notifications run,
	// so those find the verdict already told.
	w.watchVerdict(ctx, log, &claimed)
	w.enqueue(ctx, ready)
	return nil
}

// enqueue hands released tasks to the queue; what fails is left to the
// sweeper.
func (w *Worker) enqueue(ctx context.Context, ready []store.ReadyTask) {
	if err := w.queue.Dispatch(ctx, ready); err != nil {
		w.log.Warn("enqueueing released tasks failed; the sweeper will retry", "error", err)
	}
}

// request builds what a handler of the claimed task's check needs, for
// the named component.
func (w *Worker) request(claimed *store.Claimed, component string) (*handler.Request, error) {
	req := &handler.Request{Task: claimed.Task, Attempt: claimed.Attempts, Check: checkOf(claimed.Check), Inputs: claimed.Inputs,
		Component: w.handlers.Components[component], Marks: NewCheckMarks(w.store, claimed.Check.ID, component),
		Reports: storeReports{w.store, w.reports}, Gate: w.handlers.Jobs[claimed.Check.JobName].Gate}
	if err := json.Unmarshal(claimed.Event, &req.Event); err != nil {
		return nil, handler.Permanent(fmt.Errorf("decoding the stored event: %w", err))
	}
	inst, ok := w.instance(claimed.Check.InstanceHost)
	if !ok {
		return nil, handler.Permanent(fmt.Errorf("GitLab instance %q is no longer in GITLAB_CONFIGS", claimed.Check.InstanceHost))
	}
	req.Instance = inst
	return req, nil
}

// checkOf is the check as handlers see it.
func checkOf(c store.CheckInfo) handler.Check {
	return handler.Check{ID: c.ID, Instance: c.InstanceHost, Project: c.Project, CommitSHA: c.CommitSHA,
		EventType: c.EventType, Job: c.JobName, Tasks: c.Tasks}
}

// run calls the task's handler.
func (w *Worker) run(ctx context.Context, claimed *store.Claimed) (handler.Result, error) {
	t := claimed.Task
	var name string
	switch t.Kind {
	case jobs.KindScan:
		name = t.Scan
	case jobs.KindOutput:
		name = t.Output
	default:
		name = t.Notifier
	}
	req, err := w.request(claimed, name)
	if err != nil {
		return handler.Result{}, err
	}
	var result handler.Result
	switch t.Kind {
	case jobs.KindScan:
		h, ok := w.handlers.Scanners[name]
		if !ok {
			return result, handler.Permanent(fmt.Errorf("scan component %q is not in this worker's config.yml", name))
		}
		result, err = h.Scan(ctx, req)
	case jobs.KindOutput:
		h, ok := w.handlers.Outputs[name]
		if !ok {
			return result, handler.Permanent(fmt.Errorf("output component %q is not in this worker's config.yml", name))
		}
		result, err = h.Export(ctx, req)
	case jobs.KindNotification:
		h, ok := w.handlers.Notifiers[name]
		if !ok {
			return result, handler.Permanent(fmt.Errorf("notification component %q is not in this worker's config.yml", name))
		}
		result, err = h.Notify(ctx, req)
	default:
		err = handler.Permanent(fmt.Errorf("unknown task kind %q", t.Kind))
	}
	return result, err
}

func (w *Worker) instance(host string) (config.Instance, bool) {
	for _, inst := range w.instances {
		if inst.Host == host {
			return inst, true
		}
	}
	return config.Instance{}, false
}
