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
		       (result->>'findings')::int, (result->>'active_findings')::int,
		       coalesce(result->>'scan_type', result->'data'->>'scan_type', ''), started_at, finished_at
		FROM tasks WHERE check_id = $1
		ORDER BY array_position(ARRAY['scan', 'output', 'notification'], kind), id`, id)
	if err != nil {
		return c, fmt.Errorf("store: loading tasks of check %s: %w", id, err)
	}
	c.Tasks, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (jobs.TaskStatus, error) {
		var t jobs.TaskStatus
		err := row.Scan(&t.ID, &t.Kind, &t.Scan, &t.Output, &t.Notifier, &t.State, &t.Attempts, &t.Error,
			&t.Findings, &t.Active, &t.ScanType, &t.StartedAt, &t.FinishedAt)
		return t, err
	})
	if err != nil {
		return c, fmt.Errorf("store: loading tasks of check %s: %w", id, err)
	}
	return c, nil
}

// BuiltinIDs are the findings one output task stored in the built-in
// findings service: all of them, and those its job's gate counts (not
// exempt).
type BuiltinIDs struct {
	Scan  string
	All   []int
	Gated []int
}

// BuiltinFindings lists the findings of each finished output task of a
// check that stored them in the built-in findings service, by task id.
func (s *Store) BuiltinFindings(ctx context.Context, checkID string) (map[string]BuiltinIDs, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT t.id, t.scan,
		       coalesce((SELECT array_agg((f->>'id')::int) FROM jsonb_array_elements(t.result->'data'->'findings') f), '{}'),
		       coalesce((SELECT array_agg((f->>'id')::int) FROM jsonb_array_elements(t.result->'data'->'findings') f
		                 WHERE NOT coalesce((f->>'exempt')::boolean, false)), '{}')
		FROM tasks t
		WHERE t.check_id = $1 AND t.kind = 'output' AND t.state = 'done'
		  AND coalesce((t.result->'data'->>'builtin')::boolean, false)`, checkID)
	if err != nil {
		return nil, fmt.Errorf("store: loading output findings of %s: %w", checkID, err)
	}
	out := map[string]BuiltinIDs{}
	var id string
	var b BuiltinIDs
	_, err = pgx.ForEachRow(rows, []any{&id, &b.Scan, &b.All, &b.Gated}, func() error {
		out[id] = b
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: loading output findings of %s: %w", checkID, err)
	}
	return out, nil
}

// CheckVersions returns, for each of ids that names a check, a fingerprint
// of its tasks' states. It changes whenever a task of the check is added,
// starts, finishes or is reset, so the reporter's poll learns with one
// query which of the checks it waits on to read again.
func (s *Store) CheckVersions(ctx context.Context, ids []string) (map[string]string, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT c.id, md5(coalesce(string_agg(t.id || '=' || t.state || '/' || t.attempts, ',' ORDER BY t.id), ''))
		FROM checks c LEFT JOIN tasks t ON t.check_id = c.id
		WHERE c.id = ANY($1)
		GROUP BY c.id`, ids)
	if err != nil {
		return nil, fmt.Errorf("store: loading versions of %d checks: %w", len(ids), err)
	}
	out := make(map[string]string, len(ids))
	var id, version string
	_, err = pgx.ForEachRow(rows, []any{&id, &version}, func() error {
		out[id] = version
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: loading versions of %d checks: %w", len(ids), err)
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

// RecentChecks lists the checks of hooks that changed last, newest first;
// a history scan's checks, which may be thousands at once, are left to
// its own page.
func (s *Store) RecentChecks(ctx context.Context, limit int) ([]CheckSummary, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT id, project, commit_sha, event_type, updated_at FROM checks
		WHERE event_type <> 'history' ORDER BY updated_at DESC, id LIMIT $1`, limit)
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
