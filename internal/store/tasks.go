package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/secbot/secbot/internal/handler"
	"github.com/secbot/secbot/internal/jobs"
)

// ErrTaskFinished means a task is already done, failed or skipped: a
// repeated delivery of it from the queue has nothing to do.
var ErrTaskFinished = errors.New("store: task already finished")

// ErrTaskNotReady means a task's dependencies are not done yet.
var ErrTaskNotReady = errors.New("store: task is waiting for other tasks")

// Claimed is a task a worker is about to run, with what it needs.
type Claimed struct {
	Task     jobs.Task
	Attempts int
	Check    CheckInfo
	// Event is the event the task runs for: the check's first event, or
	// for a notification task the event that planned it.
	Event  json.RawMessage
	Inputs []handler.Input
}

// ClaimTask marks a queued (or interrupted running) task as running and
// loads its check and its dependencies' results. It returns ErrNotFound,
// ErrTaskFinished or ErrTaskNotReady when the task must not run.
func (s *Store) ClaimTask(ctx context.Context, id string) (Claimed, error) {
	var c Claimed
	var state string
	err := s.pool.QueryRow(ctx, `
		UPDATE tasks SET state = 'running', attempts = attempts + 1,
			started_at = coalesce(started_at, now()), updated_at = now()
		WHERE id = $1 AND state IN ('queued', 'running')
		RETURNING check_id, kind, scan, output, notifier, attempts, state, event`, id,
	).Scan(&c.Task.CheckID, &c.Task.Kind, &c.Task.Scan, &c.Task.Output, &c.Task.Notifier, &c.Attempts, &state, &c.Event)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, s.whyNotClaimable(ctx, id)
	}
	if err != nil {
		return c, fmt.Errorf("store: claiming task %s: %w", id, err)
	}
	c.Task.ID = id
	s.notify(ctx, c.Task.CheckID)
	if c.Check, err = s.GetCheck(ctx, c.Task.CheckID); err != nil {
		return c, err
	}
	if len(c.Event) == 0 {
		c.Event = c.Check.Event
	}
	rows, err := s.pool.Query(ctx, `
		SELECT x.id, x.scan, x.output, coalesce(x.result, 'null'::jsonb)
		FROM tasks n JOIN tasks x ON x.check_id = n.check_id AND x.id = ANY(n.depends_on)
		WHERE n.id = $1 ORDER BY x.id`, id)
	if err != nil {
		return c, fmt.Errorf("store: loading inputs of task %s: %w", id, err)
	}
	c.Inputs, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (handler.Input, error) {
		var in handler.Input
		var result []byte
		err := row.Scan(&in.TaskID, &in.Scan, &in.Output, &result)
		if err == nil && len(result) > 0 {
			err = json.Unmarshal(result, &in.Result)
		}
		return in, err
	})
	if err != nil {
		return c, fmt.Errorf("store: loading inputs of task %s: %w", id, err)
	}
	return c, nil
}

func (s *Store) whyNotClaimable(ctx context.Context, id string) error {
	var state string
	err := s.pool.QueryRow(ctx, `SELECT state FROM tasks WHERE id = $1`, id).Scan(&state)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("task %s: %w", id, ErrNotFound)
	case err != nil:
		return fmt.Errorf("store: loading task %s: %w", id, err)
	case jobs.State(state).Final():
		return ErrTaskFinished
	}
	return ErrTaskNotReady
}

// CompleteTask records a task's result and releases the tasks that were
// waiting only for it, returning those to enqueue. Completing a task twice
// is a no-op.
func (s *Store) CompleteTask(ctx context.Context, id string, result handler.Result) ([]ReadyTask, error) {
	raw, err := json.Marshal(result)
	if err != nil {
		return nil, fmt.Errorf("store: encoding result of task %s: %w", id, err)
	}
	var ready []ReadyTask
	err = s.inCheckTx(ctx, id, func(tx pgx.Tx, checkID string) error {
		tag, err := tx.Exec(ctx, `
			UPDATE tasks SET state = 'done', result = $2, error = '', finished_at = now(), updated_at = now()
			WHERE id = $1 AND state = 'running'`, id, raw)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		rows, err := tx.Query(ctx, `
			UPDATE tasks SET deps_pending = deps_pending - 1, updated_at = now(),
				state = CASE WHEN deps_pending = 1 THEN 'queued' ELSE state END,
				enqueued_at = CASE WHEN deps_pending = 1 THEN now() END
			WHERE check_id = $2 AND state = 'waiting' AND $1 = ANY(depends_on)
			RETURNING id, kind, state`, id, checkID)
		if err != nil {
			return err
		}
		ready, err = collectReady(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: completing task %s: %w", id, err)
	}
	return ready, nil
}

// FailTask marks a task failed for good, with the reason, and skips every
// task that depends on it, directly or not.
func (s *Store) FailTask(ctx context.Context, id, reason string) error {
	err := s.inCheckTx(ctx, id, func(tx pgx.Tx, checkID string) error {
		tag, err := tx.Exec(ctx, `
			UPDATE tasks SET state = 'failed', error = $2, finished_at = now(), updated_at = now()
			WHERE id = $1 AND state IN ('queued', 'running')`, id, reason)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		_, err = tx.Exec(ctx, `
			WITH RECURSIVE dependents AS (
				SELECT id FROM tasks WHERE check_id = $2 AND $1 = ANY(depends_on)
				UNION
				SELECT t.id FROM tasks t JOIN dependents x ON x.id = ANY(t.depends_on) WHERE t.check_id = $2
			)
			UPDATE tasks SET state = 'skipped', error = 'not run: task ' || $1 || ' failed',
				finished_at = now(), updated_at = now()
			WHERE state = 'waiting' AND id IN (SELECT id FROM dependents)`, id, checkID)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: failing task %s: %w", id, err)
	}
	return nil
}

// RetryLater records a transient error of a running task that the queue
// will retry; the task stays running and the error is shown meanwhile.
func (s *Store) RetryLater(ctx context.Context, id, reason string) error {
	_, err := s.pool.Exec(ctx, `
		UPDATE tasks SET error = $2, updated_at = now() WHERE id = $1 AND state = 'running'`, id, reason)
	if err != nil {
		return fmt.Errorf("store: recording retry of task %s: %w", id, err)
	}
	return nil
}

// inCheckTx runs fn in a transaction that holds the row lock of the task's
// check, then announces the change on NotifyChannel.
func (s *Store) inCheckTx(ctx context.Context, taskID string, fn func(pgx.Tx, string) error) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var checkID string
		err := tx.QueryRow(ctx, `
			SELECT c.id FROM checks c JOIN tasks t ON t.check_id = c.id
			WHERE t.id = $1 FOR UPDATE OF c`, taskID).Scan(&checkID)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("task %s: %w", taskID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if err := fn(tx, checkID); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `SELECT pg_notify($1, $2)`, NotifyChannel, checkID)
		return err
	})
}

func (s *Store) notify(ctx context.Context, checkID string) {
	// Best effort: a missed notification only delays a waiting reader
	// until its next poll.
	_, _ = s.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, NotifyChannel, checkID)
}

// MarkEnqueued records that the queue has these tasks.
func (s *Store) MarkEnqueued(ctx context.Context, ids []string) error {
	_, err := s.pool.Exec(ctx, `
		UPDATE tasks SET enqueued_at = now(), updated_at = now() WHERE id = ANY($1)`, ids)
	if err != nil {
		return fmt.Errorf("store: marking tasks enqueued: %w", err)
	}
	return nil
}

// MarkNotEnqueued records that handing these tasks to the queue failed, so
// the sweeper picks them up at its next pass.
func (s *Store) MarkNotEnqueued(ctx context.Context, ids []string) error {
	_, err := s.pool.Exec(ctx, `UPDATE tasks SET enqueued_at = NULL WHERE id = ANY($1) AND state = 'queued'`, ids)
	if err != nil {
		return fmt.Errorf("store: marking tasks not enqueued: %w", err)
	}
	return nil
}

// UnfinishedTasks lists tasks the queue may have lost: queued tasks it
// never took, and queued or running tasks untouched for longer than stale.
func (s *Store) UnfinishedTasks(ctx context.Context, stale time.Duration, limit int) ([]ReadyTask, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT id, kind, 'queued' FROM tasks
		WHERE (state = 'queued' AND enqueued_at IS NULL)
		   OR (state IN ('queued', 'running') AND updated_at < now() - $1::interval)
		ORDER BY updated_at LIMIT $2`, stale, limit)
	if err != nil {
		return nil, fmt.Errorf("store: listing unfinished tasks: %w", err)
	}
	ready, err := collectReady(rows)
	if err != nil {
		return nil, fmt.Errorf("store: listing unfinished tasks: %w", err)
	}
	return ready, nil
}
