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
// Every statement works on the whole batch, so a batch costs the round
// trips and the commit of a single event. Events of one batch meet only
// where they share a delivery key (the first is recorded, the others are
// Duplicates) or a check (its tasks are planned once, and are Ready for
// the first event that plans them). If any event fails, none is recorded.
func (s *Store) AcceptEvents(ctx context.Context, events []Event) ([]Accepted, error) {
	out := make([]Accepted, len(events))
	if len(events) == 0 {
		return out, nil
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		created, err := upsertChecks(ctx, tx, events, out)
		if err != nil {
			return err
		}
		if err := recordDeliveries(ctx, tx, events, out); err != nil {
			return err
		}
		return insertPlan(ctx, tx, events, created, out)
	})
	switch {
	case err != nil && len(events) == 1:
		return nil, fmt.Errorf("store: accepting event for check %s: %w", events[0].Check.ID, err)
	case err != nil:
		return nil, fmt.Errorf("store: accepting %d events: %w", len(events), err)
	}
	return out, nil
}

// upsertChecks creates the checks that do not exist yet, marks the first
// event of each new one and returns the new ones' ids. The upsert takes every check's row lock,
// which serialises the transaction with workers finishing tasks of the
// same checks; taking them in id order keeps two batches from deadlocking.
func upsertChecks(ctx context.Context, tx pgx.Tx, events []Event, out []Accepted) (map[string]bool, error) {
	first := map[string]int{} // check id → its first event
	var ids, hosts, projects, keys, commits, types, jobNames, evs []string
	for i, e := range events {
		c := e.Check
		if _, ok := first[c.ID]; ok {
			continue
		}
		first[c.ID] = i
		ids, hosts, projects = append(ids, c.ID), append(hosts, c.InstanceHost), append(projects, c.Project)
		keys, commits, types = append(keys, c.ProjectKey), append(commits, c.CommitSHA), append(types, c.EventType)
		jobNames, evs = append(jobNames, c.JobName), append(evs, string(c.Event))
	}
	rows, err := tx.Query(ctx, `
		INSERT INTO checks (id, instance_host, project, project_key, commit_sha, event_type, job_name, event)
		SELECT id, instance_host, project, project_key, commit_sha, event_type, job_name, event::jsonb
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
		     AS c(id, instance_host, project, project_key, commit_sha, event_type, job_name, event)
		ORDER BY id
		ON CONFLICT (id) DO UPDATE SET updated_at = now()
		RETURNING id, (xmax = 0)`, ids, hosts, projects, keys, commits, types, jobNames, evs)
	if err != nil {
		return nil, fmt.Errorf("upserting checks: %w", err)
	}
	fresh := map[string]bool{}
	var id string
	var created bool
	_, err = pgx.ForEachRow(rows, []any{&id, &created}, func() error {
		out[first[id]].NewCheck = created
		if created {
			fresh[id] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("upserting checks: %w", err)
	}
	return fresh, nil
}

// recordDeliveries stores each delivery key once and marks the events whose
// key was seen before (in the database or earlier in the batch) Duplicate.
func recordDeliveries(ctx context.Context, tx pgx.Tx, events []Event, out []Accepted) error {
	seen := map[string]bool{}
	var keys, checks, types, jobNames, evs []string
	for i, e := range events {
		if seen[e.DeliveryKey] {
			out[i].Duplicate = true
			continue
		}
		seen[e.DeliveryKey] = true
		keys, checks, types = append(keys, e.DeliveryKey), append(checks, e.Check.ID), append(types, e.Check.EventType)
		jobNames, evs = append(jobNames, e.Check.JobName), append(evs, string(e.Check.Event))
	}
	rows, err := tx.Query(ctx, `
		INSERT INTO deliveries (key, check_id, event_type, job_name, event)
		SELECT key, check_id, event_type, job_name, event::jsonb
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS d(key, check_id, event_type, job_name, event)
		ON CONFLICT (key) DO NOTHING
		RETURNING key`, keys, checks, types, jobNames, evs)
	if err != nil {
		return fmt.Errorf("recording deliveries: %w", err)
	}
	recorded, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("recording deliveries: %w", err)
	}
	fresh := map[string]bool{}
	for _, k := range recorded {
		fresh[k] = true
	}
	for i, e := range events {
		if !out[i].Duplicate && !fresh[e.DeliveryKey] {
			out[i].Duplicate = true
		}
	}
	return nil
}

// insertPlan adds the tasks that the events' plans name and the checks lack
// (events that are Duplicates plan nothing), resets the plans' failed
// tasks, and reports the tasks that are ready to run. Notification tasks
// keep the event that planned them, which may differ from the check's
// first: a merge request's note needs the merge request.
//
// The tasks of a new check depend only on each other, all new, so they
// are written in their final state at once; tasks added to an existing
// check may depend on tasks that already ran, and are released after.
func insertPlan(ctx context.Context, tx pgx.Tx, events []Event, newChecks map[string]bool, out []Accepted) error {
	owner := map[string]int{} // task id → the first event that plans it
	var ids, checks, kinds, scans, outputs, notifiers, evs, states, deps []string
	var old []string // planned tasks of checks that existed before
	var pending []int32
	for i, e := range events {
		if out[i].Duplicate {
			continue
		}
		for _, t := range e.Plan {
			if _, ok := owner[t.ID]; ok {
				continue
			}
			owner[t.ID] = i
			ids, checks, kinds = append(ids, t.ID), append(checks, t.CheckID), append(kinds, string(t.Kind))
			scans, outputs, notifiers = append(scans, t.Scan), append(outputs, t.Output), append(notifiers, t.Notifier)
			evs = append(evs, string(e.Check.Event))
			if !newChecks[t.CheckID] {
				old = append(old, t.ID)
			}
			state := jobs.StateWaiting
			if newChecks[t.CheckID] && len(t.DependsOn) == 0 {
				state = jobs.StateQueued
			}
			states, pending = append(states, string(state)), append(pending, int32(len(t.DependsOn)))
			list, err := json.Marshal(append([]string{}, t.DependsOn...)) // [] for none, not null
			if err != nil {
				return fmt.Errorf("encoding the dependencies of task %s: %w", t.ID, err)
			}
			deps = append(deps, string(list))
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `
		INSERT INTO tasks (id, check_id, kind, scan, output, notifier, state, deps_pending, depends_on, enqueued_at, event)
		SELECT id, check_id, kind, scan, output, notifier, state, pending,
		       ARRAY(SELECT jsonb_array_elements_text(deps::jsonb)),
		       CASE WHEN state = 'queued' THEN now() END,
		       CASE WHEN kind = 'notification' THEN event::jsonb END
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::int[], $10::text[])
		     AS p(id, check_id, kind, scan, output, notifier, event, state, pending, deps)
		ON CONFLICT (id) DO NOTHING
		RETURNING id, check_id, kind, state`, ids, checks, kinds, scans, outputs, notifiers, evs, states, pending, deps)
	if err != nil {
		return fmt.Errorf("inserting tasks: %w", err)
	}
	var created, release []string
	var ready []ReadyTask
	var id, checkID, kind, state string
	_, err = pgx.ForEachRow(rows, []any{&id, &checkID, &kind, &state}, func() error {
		created = append(created, id)
		switch {
		case !newChecks[checkID]:
			release = append(release, id)
		case jobs.State(state) == jobs.StateQueued:
			ready = append(ready, ReadyTask{ID: id, Kind: jobs.Kind(kind)})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("inserting tasks: %w", err)
	}
	// Tasks of existing checks that failed (or were skipped for it) before
	// run again for a new event: a later event is the user's way to retry.
	if len(old) > 0 {
		reset, err := resetFailed(ctx, tx, old)
		if err != nil {
			return err
		}
		release = append(release, reset...)
	}
	if len(release) > 0 {
		released, err := releaseTasks(ctx, tx, release)
		if err != nil {
			return err
		}
		ready = append(ready, released...)
	}
	for _, r := range ready {
		i := owner[r.ID]
		out[i].Ready = append(out[i].Ready, r)
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
