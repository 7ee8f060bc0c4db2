package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/secbot/secbot/internal/jobs"
)

// NotifyChannel is the PostgreSQL channel on which a check's id is sent
// whenever one of its tasks changes state.
const NotifyChannel = "secbot_check_changed"

// Check describes a check for AcceptEvent.
type Check struct {
	ID           string
	InstanceHost string
	Project      string
	ProjectKey   string
	CommitSHA    string
	EventType    string
	JobName      string
	// Event is the normalised event as JSON.
	Event []byte
}

// ReadyTask is a task that may be handed to the queue now.
type ReadyTask struct {
	ID   string
	Kind jobs.Kind
}

// Accepted is what AcceptEvent did.
type Accepted struct {
	// Duplicate is true when the delivery was seen before; nothing changed.
	Duplicate bool
	// NewCheck is true when this event created the check.
	NewCheck bool
	// Ready lists the newly planned tasks to enqueue now.
	Ready []ReadyTask
}

// AcceptEvent records a delivery, creates or reuses its check and adds the
// tasks of plan that the check does not have yet, all in one transaction.
// A delivery key seen before makes it a no-op reported as Duplicate. Tasks
// that are done stay done: work that succeeded does not run again; tasks
// that failed (and those skipped for it) run again for the new event.
func (s *Store) AcceptEvent(ctx context.Context, deliveryKey string, c Check, plan []jobs.Task) (Accepted, error) {
	var acc Accepted
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// The upsert takes the check's row lock, which serialises this
		// transaction with workers finishing tasks of the same check.
		err := tx.QueryRow(ctx, `
			INSERT INTO checks (id, instance_host, project, project_key, commit_sha, event_type, job_name, event)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (id) DO UPDATE SET updated_at = now()
			RETURNING (xmax = 0)`,
			c.ID, c.InstanceHost, c.Project, c.ProjectKey, c.CommitSHA, c.EventType, c.JobName, c.Event,
		).Scan(&acc.NewCheck)
		if err != nil {
			return fmt.Errorf("upserting check: %w", err)
		}
		tag, err := tx.Exec(ctx, `
			INSERT INTO deliveries (key, check_id, event_type, job_name, event) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (key) DO NOTHING`,
			deliveryKey, c.ID, c.EventType, c.JobName, c.Event)
		if err != nil {
			return fmt.Errorf("recording delivery: %w", err)
		}
		if tag.RowsAffected() == 0 {
			acc = Accepted{Duplicate: true}
			return errDuplicate
		}
		acc.Ready, err = insertPlan(ctx, tx, plan, c.Event)
		return err
	})
	if errors.Is(err, errDuplicate) {
		return acc, nil
	}
	if err != nil {
		return Accepted{}, fmt.Errorf("store: accepting event for check %s: %w", c.ID, err)
	}
	return acc, nil
}

// errDuplicate rolls back AcceptEvent's transaction for a seen delivery.
var errDuplicate = errors.New("duplicate delivery")

// insertPlan adds the plan's tasks that are missing. Notification tasks
// keep the event that planned them (event), which may differ from the
// check's first: a merge request's note needs the merge request.
func insertPlan(ctx context.Context, tx pgx.Tx, plan []jobs.Task, event []byte) ([]ReadyTask, error) {
	if len(plan) == 0 {
		return nil, nil
	}
	var ids, checks, kinds, scans, outputs, notifiers, depTasks, depIDs []string
	for _, t := range plan {
		ids = append(ids, t.ID)
		checks = append(checks, t.CheckID)
		kinds = append(kinds, string(t.Kind))
		scans = append(scans, t.Scan)
		outputs = append(outputs, t.Output)
		notifiers = append(notifiers, t.Notifier)
		for _, d := range t.DependsOn {
			depTasks = append(depTasks, t.ID)
			depIDs = append(depIDs, d)
		}
	}
	rows, err := tx.Query(ctx, `
		INSERT INTO tasks (id, check_id, kind, scan, output, notifier, state, event)
		SELECT id, check_id, kind, scan, output, notifier, 'waiting',
		       CASE WHEN kind = 'notification' THEN $7::jsonb END
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
		     AS p(id, check_id, kind, scan, output, notifier)
		ON CONFLICT (id) DO NOTHING
		RETURNING id`, ids, checks, kinds, scans, outputs, notifiers, event)
	if err != nil {
		return nil, fmt.Errorf("inserting tasks: %w", err)
	}
	created, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("inserting tasks: %w", err)
	}
	// Tasks of the plan that failed (or were skipped for it) before run
	// again for a new event: a later event is the user's way to retry.
	rows, err = tx.Query(ctx, `
		UPDATE tasks SET state = 'waiting', error = '', result = NULL, attempts = 0,
			started_at = NULL, finished_at = NULL, enqueued_at = NULL, updated_at = now()
		WHERE id = ANY($1) AND state IN ('failed', 'skipped')
		RETURNING id`, ids)
	if err != nil {
		return nil, fmt.Errorf("resetting failed tasks: %w", err)
	}
	reset, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("resetting failed tasks: %w", err)
	}
	release := append(created, reset...)
	if len(release) == 0 {
		return nil, nil
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO task_deps (task_id, dep_id)
		SELECT task_id, dep_id FROM unnest($1::text[], $2::text[]) AS d(task_id, dep_id)
		WHERE task_id = ANY($3)
		ON CONFLICT DO NOTHING`, depTasks, depIDs, created); err != nil {
		return nil, fmt.Errorf("inserting task dependencies: %w", err)
	}
	// A new (or reset) task may depend on tasks that already ran for an
	// earlier event of this commit: count only the dependencies still
	// pending, and skip the task outright if one of them failed.
	rows, err = tx.Query(ctx, `
		UPDATE tasks t SET
			deps_pending = d.pending,
			state = CASE WHEN d.blocked > 0 THEN 'skipped' WHEN d.pending = 0 THEN 'queued' ELSE 'waiting' END,
			error = CASE WHEN d.blocked > 0 THEN 'not run: a task it depends on failed' ELSE '' END,
			finished_at = CASE WHEN d.blocked > 0 THEN now() END,
			enqueued_at = CASE WHEN d.blocked = 0 AND d.pending = 0 THEN now() END
		FROM (
			SELECT n.id,
				count(x.id) FILTER (WHERE x.state <> 'done') AS pending,
				count(x.id) FILTER (WHERE x.state IN ('failed', 'skipped')) AS blocked
			FROM tasks n
			LEFT JOIN task_deps d ON d.task_id = n.id
			LEFT JOIN tasks x ON x.id = d.dep_id
			WHERE n.id = ANY($1)
			GROUP BY n.id
		) d
		WHERE t.id = d.id
		RETURNING t.id, t.kind, t.state`, release)
	if err != nil {
		return nil, fmt.Errorf("releasing new tasks: %w", err)
	}
	return collectReady(rows)
}

func collectReady(rows pgx.Rows) ([]ReadyTask, error) {
	var ready []ReadyTask
	var id, kind, state string
	_, err := pgx.ForEachRow(rows, []any{&id, &kind, &state}, func() error {
		if jobs.State(state) == jobs.StateQueued {
			ready = append(ready, ReadyTask{ID: id, Kind: jobs.Kind(kind)})
		}
		return nil
	})
	return ready, err
}

// CheckInfo is a check and its tasks, for the reporter and the handlers.
type CheckInfo struct {
	ID           string          `json:"security_check_id"`
	InstanceHost string          `json:"instance"`
	Project      string          `json:"project"`
	CommitSHA    string          `json:"commit"`
	EventType    string          `json:"event_type"`
	JobName      string          `json:"job"`
	Event        json.RawMessage `json:"-"`
	CreatedAt    time.Time       `json:"created_at"`
	UpdatedAt    time.Time       `json:"updated_at"`
	Tasks        []jobs.TaskStatus
}

// GetCheck loads a check with its tasks, or returns ErrNotFound.
func (s *Store) GetCheck(ctx context.Context, id string) (CheckInfo, error) {
	var c CheckInfo
	err := s.pool.QueryRow(ctx, `
		SELECT id, instance_host, project, commit_sha, event_type, job_name, event, created_at, updated_at
		FROM checks WHERE id = $1`, id,
	).Scan(&c.ID, &c.InstanceHost, &c.Project, &c.CommitSHA, &c.EventType, &c.JobName, &c.Event, &c.CreatedAt, &c.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("store: loading check %s: %w", id, err)
	}
	rows, err := s.pool.Query(ctx, `
		SELECT id, kind, scan, output, notifier, state, attempts, error,
		       (result->>'findings')::int, (result->>'active_findings')::int, started_at, finished_at
		FROM tasks WHERE check_id = $1
		ORDER BY array_position(ARRAY['scan', 'output', 'notification'], kind), id`, id)
	if err != nil {
		return c, fmt.Errorf("store: loading tasks of check %s: %w", id, err)
	}
	c.Tasks, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (jobs.TaskStatus, error) {
		var t jobs.TaskStatus
		err := row.Scan(&t.ID, &t.Kind, &t.Scan, &t.Output, &t.Notifier, &t.State, &t.Attempts, &t.Error,
			&t.Findings, &t.Active, &t.StartedAt, &t.FinishedAt)
		return t, err
	})
	if err != nil {
		return c, fmt.Errorf("store: loading tasks of check %s: %w", id, err)
	}
	return c, nil
}

// BuiltinFindings lists, for each finished output task of a check that
// stored its findings in the built-in findings service, those findings' ids.
func (s *Store) BuiltinFindings(ctx context.Context, checkID string) (map[string][]int, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT t.id, coalesce((SELECT array_agg((f->>'id')::int) FROM jsonb_array_elements(t.result->'data'->'findings') f), '{}')
		FROM tasks t
		WHERE t.check_id = $1 AND t.kind = 'output' AND t.state = 'done'
		  AND coalesce((t.result->'data'->>'builtin')::boolean, false)`, checkID)
	if err != nil {
		return nil, fmt.Errorf("store: loading output findings of %s: %w", checkID, err)
	}
	out := map[string][]int{}
	var id string
	var ids []int
	_, err = pgx.ForEachRow(rows, []any{&id, &ids}, func() error {
		out[id] = ids
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: loading output findings of %s: %w", checkID, err)
	}
	return out, nil
}

// CheckSummary is a check as a list shows it.
type CheckSummary struct {
	ID        string
	Project   string
	CommitSHA string
	EventType string
	UpdatedAt time.Time
}

// RecentChecks lists the checks that changed last, newest first.
func (s *Store) RecentChecks(ctx context.Context, limit int) ([]CheckSummary, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT id, project, commit_sha, event_type, updated_at FROM checks ORDER BY updated_at DESC, id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: listing recent checks: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (CheckSummary, error) {
		var c CheckSummary
		err := row.Scan(&c.ID, &c.Project, &c.CommitSHA, &c.EventType, &c.UpdatedAt)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: listing recent checks: %w", err)
	}
	return list, nil
}
