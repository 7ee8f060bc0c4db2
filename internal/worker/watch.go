package worker

import (
	"context"
	"log/slog"
	"time"

	"github.com/secbot/secbot/internal/handler"
	"github.com/secbot/secbot/internal/jobs"
	"github.com/secbot/secbot/internal/store"
)

// watchTimeout bounds one call of a Watcher: following a check is worth a
// little time, never a stalled scan.
const watchTimeout = 10 * time.Second

// watchers lists the check's notifiers that follow its progress.
func (w *Worker) watchers(check store.CheckInfo) map[string]handler.Watcher {
	found := map[string]handler.Watcher{}
	for _, t := range check.Tasks {
		if t.Kind != jobs.KindNotification {
			continue
		}
		if wt, ok := w.handlers.Notifiers[t.Notifier].(handler.Watcher); ok {
			found[t.Notifier] = wt
		}
	}
	return found
}

// watchStart tells the watchers that a scan of the check has started.
// Only a scan's first attempt does: the others repeat nothing new.
func (w *Worker) watchStart(ctx context.Context, log *slog.Logger, claimed *store.Claimed) {
	if claimed.Task.Kind == jobs.KindScan && claimed.Attempts == 1 {
		w.watch(ctx, log, claimed, jobs.StatusInProgress)
	}
}

// watchVerdict tells the watchers the check's verdict once a scan or
// output task finished and nothing but notifications remains.
func (w *Worker) watchVerdict(ctx context.Context, log *slog.Logger, claimed *store.Claimed) {
	if claimed.Task.Kind == jobs.KindNotification || len(w.watchers(claimed.Check)) == 0 {
		return
	}
	check, err := w.store.GetCheck(ctx, claimed.Check.ID)
	if err != nil {
		log.Warn("loading the check for its watchers", "error", err)
		return
	}
	status := jobs.Verdict(check.Tasks)
	if status == jobs.StatusInProgress || status == jobs.StatusNotStarted {
		return
	}
	settled := *claimed
	settled.Check = check
	w.watch(ctx, log, &settled, status)
}

func (w *Worker) watch(ctx context.Context, log *slog.Logger, claimed *store.Claimed, status jobs.Status) {
	for name, watcher := range w.watchers(claimed.Check) {
		req, err := w.request(claimed, name)
		if err == nil {
			wctx, cancel := context.WithTimeout(ctx, watchTimeout)
			err = watcher.Watch(wctx, req, status)
			cancel()
		}
		if err != nil {
			log.Warn("telling a watcher the check's status failed", "notifier", name, "status", status, "error", err)
		}
	}
}
