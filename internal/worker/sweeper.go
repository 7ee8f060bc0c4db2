package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/secbot/secbot/internal/jobs"
	"github.com/secbot/secbot/internal/queue"
)

// Sweep enqueues again the tasks PostgreSQL says are unfinished but the
// queue may not hold: queued tasks whose enqueue failed, and tasks untouched
// for longer than stale (Redis restarted without its data, or a worker
// died). Task ids make this safe: a task the queue still holds is not
// duplicated, and one it archived while PostgreSQL missed the outcome is
// queued again (queue.Client.Enqueue). It returns how many tasks it handed
// to the queue.
func (w *Worker) Sweep(ctx context.Context, stale time.Duration) (int, error) {
	tasks, err := w.store.UnfinishedTasks(ctx, stale, 500)
	if err != nil || len(tasks) == 0 {
		return 0, err
	}
	done, err := w.queue.Queue.Enqueue(ctx, tasks)
	if len(done) > 0 {
		if markErr := w.store.MarkEnqueued(ctx, done); markErr != nil {
			return len(done), markErr
		}
	}
	return len(done), err
}

// Run processes tasks until ctx ends, sweeping every interval.
func (w *Worker) Run(ctx context.Context, redis asynq.RedisClientOpt, concurrency int, interval time.Duration) error {
	srv := asynq.NewServer(redis, asynq.Config{
		Concurrency: concurrency,
		Queues:      queue.Queues(),
		// History scans' tasks wait while any hook's task does.
		StrictPriority: true,
		RetryDelayFunc: queue.RetryDelay,
		// asynq sleeps this long when the queue is empty; a check is a chain
		// of tasks, so the default 1s would add up to seconds per check.
		TaskCheckInterval:        100 * time.Millisecond,
		DelayedTaskCheckInterval: time.Second,
		ShutdownTimeout:          20 * time.Second,
		Logger:                   asynqLogger{w.log.With("component", "asynq")},
		LogLevel:                 asynq.WarnLevel,
	})
	mux := asynq.NewServeMux()
	for _, kind := range []jobs.Kind{jobs.KindScan, jobs.KindOutput, jobs.KindNotification} {
		mux.HandleFunc(queue.TypeName(kind), w.ProcessTask)
	}
	if err := srv.Start(mux); err != nil {
		return fmt.Errorf("worker: starting the queue server: %w", err)
	}
	sweep := func() {
		n, err := w.Sweep(ctx, 2*interval)
		if n > 0 {
			w.metrics.TasksRequeued.Add(float64(n))
			w.log.Info("sweeper enqueued unfinished tasks", "tasks", n)
		}
		if err != nil {
			w.log.Warn("sweep incomplete", "error", err)
		}
		if _, err := w.store.DeleteReadReports(ctx); err != nil {
			w.log.Warn("deleting the reports outputs have read", "error", err)
		}
	}
	// Sweep at once: a worker starting after Redis lost its data (or after
	// every worker was down) resumes the work without waiting an interval.
	sweep()
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			srv.Shutdown()
			return nil
		case <-ticker.C:
			sweep()
		}
	}
}

// asynqLogger sends asynq's own logs to slog.
type asynqLogger struct{ log *slog.Logger }

func (l asynqLogger) Debug(args ...any) { l.log.Debug(fmt.Sprint(args...)) }
func (l asynqLogger) Info(args ...any)  { l.log.Info(fmt.Sprint(args...)) }
func (l asynqLogger) Warn(args ...any)  { l.log.Warn(fmt.Sprint(args...)) }
func (l asynqLogger) Error(args ...any) { l.log.Error(fmt.Sprint(args...)) }
func (l asynqLogger) Fatal(args ...any) { l.log.Error(fmt.Sprint(args...)) }
