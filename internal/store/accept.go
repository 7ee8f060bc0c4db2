package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/secbot/secbot/internal/jobs"
)

// ReadyTask is a task that may be handed to the queue now.
type ReadyTask struct {
	ID   string
	Kind jobs.Kind
}

// Event is one delivery for AcceptEvents: the check it belongs to and the
// task plan of the job it matched.
type Event struct {
	DeliveryKey string
	Check       Check
	Plan        []jobs.Task
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
	acc, err := s.AcceptEvents(ctx, []Event{{DeliveryKey: deliveryKey, Check: c, Plan: plan}})
	if err != nil {
		return Accepted{}, err
	}
	return acc[0], nil
}

// AcceptEvents records many deliveries in one transaction, each as
// AcceptEvent would alone, and returns what happened to each, in order.
// One statement records the whole batch, so a batch costs the round trips
// and the commit of a single event. Events of one batch meet only where
// they share a delivery key (the first is recorded, the others are
// Duplicates) or a check (its tasks are planned once, and are Ready for
// the first event that plans them). If any event fails, none is recorded.
func (s *Store) AcceptEvents(ctx context.Context, events []Event) ([]Accepted, error) {
	out := make([]Accepted, len(events))
	if len(events) == 0 {
		return out, nil
	}
	b, err := newBatch(events, out)
	if err == nil {
		err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{BeginQuery: beginRecord}, func(tx pgx.Tx) error { return b.record(ctx, tx) })
	}
	switch {
	case err != nil && len(events) == 1:
		return nil, fmt.Errorf("store: accepting event for check %s: %w", events[0].Check.ID, err)
	case err != nil:
		return nil, fmt.Errorf("store: accepting %d events: %w", len(events), err)
	}
	return out, nil
}

// batch is a batch of events as the columns of its statement.
type batch struct {
	events []Event
	out    []Accepted

	// checks: one row per check, for its first event.
	firstOf                                                               map[string]int
	ids, hosts, projects, projectKeys, commits, types, jobNames, checkEvs []string

	// deliveries: one row per delivery key, for its first event.
	keys, keyChecks, keyTypes, keyJobs, keyEvs []string

	// tasks: one row per task of each event (a task planned by two events
	// has two rows); the statement keeps the first event's that is new.
	// Only notification tasks carry their event.
	taskOf                                                []int // the row's event
	taskIDs, taskChecks, kinds, scans, outputs, notifiers []string
	taskEvs, deps, taskKeys                               []string
	pending                                               []int32
}

func newBatch(events []Event, out []Accepted) (*batch, error) {
	b := &batch{events: events, out: out, firstOf: map[string]int{}}
	seen := map[string]bool{}
	for i, e := range events {
		c := e.Check
		if _, ok := b.firstOf[c.ID]; !ok {
			b.firstOf[c.ID] = i
			b.ids, b.hosts, b.projects = append(b.ids, c.ID), append(b.hosts, c.InstanceHost), append(b.projects, c.Project)
			b.projectKeys, b.commits = append(b.projectKeys, c.ProjectKey), append(b.commits, c.CommitSHA)
			b.types, b.jobNames, b.checkEvs = append(b.types, c.EventType), append(b.jobNames, c.JobName), append(b.checkEvs, string(c.Event))
		}
		if seen[e.DeliveryKey] {
			out[i].Duplicate = true
			continue
		}
		seen[e.DeliveryKey] = true
		b.keys, b.keyChecks, b.keyTypes = append(b.keys, e.DeliveryKey), append(b.keyChecks, c.ID), append(b.keyTypes, c.EventType)
		b.keyJobs, b.keyEvs = append(b.keyJobs, c.JobName), append(b.keyEvs, string(c.Event))
		for _, t := range e.Plan {
			list, err := json.Marshal(append([]string{}, t.DependsOn...)) // [] for none, not null
			if err != nil {
				return nil, fmt.Errorf("encoding the dependencies of task %s: %w", t.ID, err)
			}
			b.taskOf = append(b.taskOf, i)
			b.taskIDs, b.taskChecks, b.kinds = append(b.taskIDs, t.ID), append(b.taskChecks, t.CheckID), append(b.kinds, string(t.Kind))
			b.scans, b.outputs, b.notifiers = append(b.scans, t.Scan), append(b.outputs, t.Output), append(b.notifiers, t.Notifier)
			event := ""
			if t.Kind == jobs.KindNotification {
				event = string(c.Event)
			}
			b.taskEvs, b.deps, b.taskKeys = append(b.taskEvs, event), append(b.deps, string(list)), append(b.taskKeys, e.DeliveryKey)
			b.pending = append(b.pending, int32(len(t.DependsOn))) //nolint:gosec // G115: a task depends on a handful of others
		}
	}
	return b, nil
}

// recordSQL creates the checks that do not exist yet, records the
// deliveries not seen before and adds the tasks their events plan that
// the checks lack. The upsert takes every check's row lock, which
// serialises the transaction with workers finishing tasks of the same
// checks; taking them in id order keeps two batches from deadlocking.
//
// The tasks of a new check depend only on each other, all new, so they
// are written in their final state at once. Tasks added to an existing
// check may depend on tasks that already ran: they are released by a
// later statement, which sees those tasks as they are once the lock is
// held (this statement's snapshot is older than the lock).
//
// Notification tasks keep the event that planned them, which may differ
// from the check's first: a merge request's note needs the merge request.
const recordSQL = `
WITH c AS (
	INSERT INTO checks (id, instance_host, project, project_key, commit_sha, event_type, job_name, event)
	SELECT id, instance_host, project, project_key, commit_sha, event_type, job_name, event::jsonb
	FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
	     AS c(id, instance_host, project, project_key, commit_sha, event_type, job_name, event)
	ORDER BY id
	ON CONFLICT (id) DO UPDATE SET updated_at = now()
	RETURNING id, (xmax = 0) AS created
), d AS (
	INSERT INTO deliveries (key, check_id, event_type, job_name, event)
	SELECT key, check_id, event_type, job_name, event::jsonb
	FROM unnest($9::text[], $10::text[], $11::text[], $12::text[], $13::text[]) AS d(key, check_id, event_type, job_name, event)
	ON CONFLICT (key) DO NOTHING
	RETURNING key
), t AS (
	INSERT INTO tasks (id, check_id, kind, scan, output, notifier, state, deps_pending, depends_on, enqueued_at, event)
	SELECT DISTINCT ON (p.id) p.id, p.check_id, p.kind, p.scan, p.output, p.notifier,
	       CASE WHEN c.created AND p.pending = 0 THEN 'queued' ELSE 'waiting' END,
	       p.pending,
	       ARRAY(SELECT jsonb_array_elements_text(p.deps::jsonb)),
	       CASE WHEN c.created AND p.pending = 0 THEN now() END,
	       CASE WHEN p.kind = 'notification' THEN p.event::jsonb END
	FROM unnest($14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[], $20::text[], $21::text[], $22::text[], $23::int[])
	     WITH ORDINALITY AS p(id, check_id, kind, scan, output, notifier, event, deps, key, pending, ord)
	JOIN d ON d.key = p.key
	JOIN c ON c.id = p.check_id
	ORDER BY p.id, p.ord
	ON CONFLICT (id) DO NOTHING
	RETURNING id, check_id, kind, state
)
SELECT 'check', id, created, '', '' FROM c
UNION ALL SELECT 'delivery', key, false, '', '' FROM d
UNION ALL SELECT 'task', id, false, kind, state FROM t`

// beginRecord starts the transaction of a batch. The pool plans every
// statement with its parameters (see Open), but planning recordSQL took
// about 0.3 ms a batch, a fifth of the database's time, and its plan
// cannot depend on them: it reads no table but through the unique indexes
// its inserts check. So it runs with the plan made once per connection;
// releaseTasks and resetFailed, which do read tables, are planned anew.
const beginRecord = "BEGIN; SET LOCAL plan_cache_mode = force_generic_plan"

// record runs the batch in tx and fills out.
func (b *batch) record(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, recordSQL,
		b.ids, b.hosts, b.projects, b.projectKeys, b.commits, b.types, b.jobNames, b.checkEvs,
		b.keys, b.keyChecks, b.keyTypes, b.keyJobs, b.keyEvs,
		b.taskIDs, b.taskChecks, b.kinds, b.scans, b.outputs, b.notifiers, b.taskEvs, b.deps, b.taskKeys, b.pending)
	if err != nil {
		return fmt.Errorf("recording the events: %w", err)
	}
	newChecks, fresh := map[string]bool{}, map[string]bool{}
	created := map[string]bool{}     // the tasks added
	queued := map[string]ReadyTask{} // those of them queued at once
	var what, id, kind, state string
	var isNew bool
	_, err = pgx.ForEachRow(rows, []any{&what, &id, &isNew, &kind, &state}, func() error {
		switch what {
		case "check":
			newChecks[id] = isNew
			b.out[b.firstOf[id]].NewCheck = isNew
		case "delivery":
			fresh[id] = true
		case "task":
			created[id] = true
			if jobs.State(state) == jobs.StateQueued {
				queued[id] = ReadyTask{ID: id, Kind: jobs.Kind(kind)}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("recording the events: %w", err)
	}
	for i, e := range b.events {
		b.out[i].Duplicate = b.out[i].Duplicate || !fresh[e.DeliveryKey]
	}

	// Each task belongs to the first new event that plans it; the tasks of
	// existing checks are reset if they failed, and released.
	owner := map[string]int{}
	var ready []ReadyTask
	var old, release []string
	for j, id := range b.taskIDs {
		i := b.taskOf[j]
		if _, ok := owner[id]; ok || b.out[i].Duplicate {
			continue
		}
		owner[id] = i
		switch task, isQueued := queued[id]; {
		case !newChecks[b.taskChecks[j]]:
			old = append(old, id)
			if created[id] {
				release = append(release, id)
			}
		case isQueued:
			ready = append(ready, task)
		}
	}
	if len(old) > 0 {
		if _, err := tx.Exec(ctx, "SET LOCAL plan_cache_mode = force_custom_plan"); err != nil {
			return err
		}
		// Tasks that failed (or were skipped for it) before run again for
		// a new event: a later event is the user's way to retry.
		reset, err := resetFailed(ctx, tx, old)
		if err != nil {
			return err
		}
		if release = append(release, reset...); len(release) > 0 {
			released, err := releaseTasks(ctx, tx, release)
			if err != nil {
				return err
			}
			ready = append(ready, released...)
		}
	}
	for _, r := range ready {
		i := owner[r.ID]
		b.out[i].Ready = append(b.out[i].Ready, r)
	}
	return nil
}

// resetFailed makes the failed and skipped tasks among ids wait again.
func resetFailed(ctx context.Context, tx pgx.Tx, ids []string) ([]string, error) {
	rows, err := tx.Query(ctx, `
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
	return reset, nil
}

// releaseTasks sets the state of tasks added to (or reset in) an existing
// check, whose dependencies may have run for an earlier event of its
// commit: it counts only the dependencies still pending, and skips the
// task outright if one of them failed.
func releaseTasks(ctx context.Context, tx pgx.Tx, ids []string) ([]ReadyTask, error) {
	rows, err := tx.Query(ctx, `
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
			LEFT JOIN tasks x ON x.check_id = n.check_id AND x.id = ANY(n.depends_on)
			WHERE n.id = ANY($1)
			GROUP BY n.id
		) d
		WHERE t.id = d.id
		RETURNING t.id, t.kind, t.state`, ids)
	if err != nil {
		return nil, fmt.Errorf("releasing new tasks: %w", err)
	}
	ready, err := collectReady(rows)
	if err != nil {
		return nil, fmt.Errorf("releasing new tasks: %w", err)
	}
	return ready, nil
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
