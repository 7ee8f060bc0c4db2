package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// History run states.
const (
	HistoryListing   = "listing"
	HistoryScanning  = "scanning"
	HistoryDone      = "done"
	HistoryCancelled = "cancelled"
	HistoryFailed    = "failed"
)

// History project states.
const (
	ProjectPending  = "pending"
	ProjectScanning = "scanning"
	ProjectDone     = "done"
	ProjectFailed   = "failed"
	ProjectSkipped  = "skipped"
)

// HistoryRequest is what an admin asks a history scan to cover.
type HistoryRequest struct {
	InstanceHost    string   `json:"instance"`
	Job             string   `json:"job,omitempty"`
	Groups          []string `json:"groups,omitempty"`
	Projects        []string `json:"projects,omitempty"`
	IncludeArchived bool     `json:"include_archived"`
	IncludeEmpty    bool     `json:"include_empty"`
	RequestedBy     string   `json:"requested_by,omitempty"`
}

// HistoryRun is a history scan: what it covers, where its listing is and
// how far it got.
type HistoryRun struct {
	ID int64 `json:"id"`
	HistoryRequest
	State      string          `json:"state"`
	Error      string          `json:"error,omitempty"`
	Target     int             `json:"-"`
	NextPage   int             `json:"-"`
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
	FinishedAt *time.Time      `json:"finished_at,omitempty"`
	Progress   HistoryProgress `json:"-"`
}

// Active reports a run that is still listing or scanning.
func (r HistoryRun) Active() bool { return r.State == HistoryListing || r.State == HistoryScanning }

// HistoryProgress counts a run's projects by state, and the findings of
// those scanned.
type HistoryProgress struct {
	Listed   int `json:"listed"`
	Pending  int `json:"pending"`
	Scanning int `json:"scanning"`
	Done     int `json:"done"`
	Failed   int `json:"failed"`
	Skipped  int `json:"skipped"`
	Findings int `json:"findings"`
	// FirstStarted is when the run's first project scan started.
	FirstStarted *time.Time `json:"-"`
}

// HistoryProject is one project of a run.
type HistoryProject struct {
	RunID         int64      `json:"-"`
	ProjectID     int64      `json:"id"`
	Path          string     `json:"path"`
	DefaultBranch string     `json:"default_branch"`
	HTTPURL       string     `json:"-"`
	SSHURL        string     `json:"-"`
	WebURL        string     `json:"web_url"`
	State         string     `json:"state"`
	HeadSHA       string     `json:"head,omitempty"`
	CheckID       string     `json:"security_check_id,omitempty"`
	Reason        string     `json:"reason,omitempty"`
	Findings      int        `json:"findings"`
	StartedAt     *time.Time `json:"started_at,omitempty"`
	FinishedAt    *time.Time `json:"finished_at,omitempty"`
}

const historyRunColumns = `id, instance_host, job_name, groups, projects, include_archived, include_empty,
	requested_by, state, error, target, next_page, created_at, updated_at, finished_at`

func scanHistoryRun(row pgx.Row) (HistoryRun, error) {
	var r HistoryRun
	err := row.Scan(&r.ID, &r.InstanceHost, &r.Job, &r.Groups, &r.Projects, &r.IncludeArchived, &r.IncludeEmpty,
		&r.RequestedBy, &r.State, &r.Error, &r.Target, &r.NextPage, &r.CreatedAt, &r.UpdatedAt, &r.FinishedAt)
	return r, err
}

// CreateHistoryRun records a new history scan, to be listed and scanned
// by the workers' history pumps, and wakes them (the notification is sent
// when the transaction commits).
func (s *Store) CreateHistoryRun(ctx context.Context, req HistoryRequest) (HistoryRun, error) {
	r, err := scanHistoryRun(s.pool.QueryRow(ctx, `
		WITH r AS (SELECT pg_notify($8, $9))
		INSERT INTO history_runs (instance_host, job_name, groups, projects, include_archived, include_empty, requested_by)
		SELECT $1, $2, $3, $4, $5, $6, $7 FROM r RETURNING `+historyRunColumns,
		req.InstanceHost, req.Job, nonNilStrings(req.Groups), nonNilStrings(req.Projects), req.IncludeArchived, req.IncludeEmpty, req.RequestedBy,
		NotifyChannel, "history:new"))
	if err != nil {
		return r, fmt.Errorf("store: recording a history scan: %w", err)
	}
	return r, nil
}

func nonNilStrings(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}

// GetHistoryRun loads a run with its progress, or returns ErrNotFound.
func (s *Store) GetHistoryRun(ctx context.Context, id int64) (HistoryRun, error) {
	r, err := scanHistoryRun(s.pool.QueryRow(ctx, `SELECT `+historyRunColumns+` FROM history_runs WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("history scan %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("store: loading history scan %d: %w", id, err)
	}
	r.Progress, err = s.historyProgress(ctx, id)
	return r, err
}

// HistoryRuns lists the latest runs, newest first, with their progress.
func (s *Store) HistoryRuns(ctx context.Context, limit int) ([]HistoryRun, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+historyRunColumns+` FROM history_runs ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: listing history scans: %w", err)
	}
	runs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (HistoryRun, error) { return scanHistoryRun(row) })
	if err != nil {
		return nil, fmt.Errorf("store: listing history scans: %w", err)
	}
	for i := range runs {
		if runs[i].Progress, err = s.historyProgress(ctx, runs[i].ID); err != nil {
			return nil, err
		}
	}
	return runs, nil
}

func (s *Store) historyProgress(ctx context.Context, id int64) (HistoryProgress, error) {
	var p HistoryProgress
	err := s.pool.QueryRow(ctx, `
		SELECT count(*), count(*) FILTER (WHERE state = 'pending'), count(*) FILTER (WHERE state = 'scanning'),
		       count(*) FILTER (WHERE state = 'done'), count(*) FILTER (WHERE state = 'failed'),
		       count(*) FILTER (WHERE state = 'skipped'), coalesce(sum(findings), 0), min(started_at)
		FROM history_projects WHERE run_id = $1`, id,
	).Scan(&p.Listed, &p.Pending, &p.Scanning, &p.Done, &p.Failed, &p.Skipped, &p.Findings, &p.FirstStarted)
	if err != nil {
		return p, fmt.Errorf("store: counting the projects of history scan %d: %w", id, err)
	}
	return p, nil
}

// HistoryProjects lists a run's projects in state (all when ""), failed
// and scanning ones first, at most limit.
func (s *Store) HistoryProjects(ctx context.Context, id int64, state string, limit int) ([]HistoryProject, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT run_id, project_id, path, default_branch, http_url, ssh_url, web_url, state, head_sha, check_id, reason,
		       findings, started_at, finished_at
		FROM history_projects WHERE run_id = $1 AND ($2 = '' OR state = $2)
		ORDER BY array_position(ARRAY['failed', 'scanning', 'done', 'pending', 'skipped'], state), path
		LIMIT $3`, id, state, limit)
	if err != nil {
		return nil, fmt.Errorf("store: listing the projects of history scan %d: %w", id, err)
	}
	list, err := pgx.CollectRows(rows, scanHistoryProject)
	if err != nil {
		return nil, fmt.Errorf("store: listing the projects of history scan %d: %w", id, err)
	}
	return list, nil
}

func scanHistoryProject(row pgx.CollectableRow) (HistoryProject, error) {
	var p HistoryProject
	err := row.Scan(&p.RunID, &p.ProjectID, &p.Path, &p.DefaultBranch, &p.HTTPURL, &p.SSHURL, &p.WebURL, &p.State,
		&p.HeadSHA, &p.CheckID, &p.Reason, &p.Findings, &p.StartedAt, &p.FinishedAt)
	return p, err
}

// LeaseHistoryRuns takes the lease of the active runs no other owner
// holds, for ttl, and returns them oldest first. A pump that stops (a
// worker restarts) lets its lease lapse, and another pump resumes.
func (s *Store) LeaseHistoryRuns(ctx context.Context, owner string, ttl time.Duration) ([]HistoryRun, error) {
	rows, err := s.pool.Query(ctx, `
		UPDATE history_runs SET lease_owner = $1, lease_until = now() + $2::interval
		WHERE state IN ('listing', 'scanning') AND (lease_owner = $1 OR lease_until IS NULL OR lease_until < now())
		RETURNING `+historyRunColumns, owner, ttl)
	if err != nil {
		return nil, fmt.Errorf("store: leasing history scans: %w", err)
	}
	runs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (HistoryRun, error) { return scanHistoryRun(row) })
	if err != nil {
		return nil, fmt.Errorf("store: leasing history scans: %w", err)
	}
	slices.SortFunc(runs, func(a, b HistoryRun) int { return cmp.Compare(a.ID, b.ID) })
	return runs, nil
}

// ReleaseHistoryLeases gives up owner's leases (a pump stopping).
func (s *Store) ReleaseHistoryLeases(ctx context.Context, owner string) error {
	_, err := s.pool.Exec(ctx, `UPDATE history_runs SET lease_owner = '', lease_until = NULL WHERE lease_owner = $1`, owner)
	if err != nil {
		return fmt.Errorf("store: releasing history scan leases: %w", err)
	}
	return nil
}

// AddHistoryPage records one page of a run's listing and where the
// listing goes on (target, page), in one transaction, so a restart lists
// no page twice and loses none. A project listed twice (in two groups)
// is kept once. listed false ends the listing: the run goes on scanning.
func (s *Store) AddHistoryPage(ctx context.Context, runID int64, projects []HistoryProject, target, page int, listing bool) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// A run cancelled (or failed) meanwhile records nothing more.
		var state string
		if err := tx.QueryRow(ctx, `SELECT state FROM history_runs WHERE id = $1 FOR UPDATE`, runID).Scan(&state); err != nil {
			return err
		}
		if state != HistoryListing {
			return nil
		}
		for _, p := range projects {
			state := p.State
			if state == "" {
				state = ProjectPending
			}
			_, err := tx.Exec(ctx, `
				INSERT INTO history_projects (run_id, project_id, path, default_branch, http_url, ssh_url, web_url, state, reason,
					finished_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $8 = 'skipped' THEN now() END)
				ON CONFLICT (run_id, project_id) DO NOTHING`,
				runID, p.ProjectID, p.Path, p.DefaultBranch, p.HTTPURL, p.SSHURL, p.WebURL, state, p.Reason)
			if err != nil {
				return err
			}
		}
		next := HistoryListing
		if !listing {
			next = HistoryScanning
		}
		_, err := tx.Exec(ctx, `
			UPDATE history_runs SET target = $2, next_page = $3, state = $4, error = '', updated_at = now()
			WHERE id = $1 AND state = 'listing'`, runID, target, page, next)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: recording a page of history scan %d: %w", runID, err)
	}
	return nil
}

// PendingHistoryProjects returns up to limit projects of a run not
// started yet, in path order.
func (s *Store) PendingHistoryProjects(ctx context.Context, runID int64, limit int) ([]HistoryProject, error) {
	return s.HistoryProjects(ctx, runID, ProjectPending, limit)
}

// ScanningHistoryProjects counts the projects of every active run being
// scanned: what the pumps' concurrency bounds.
func (s *Store) ScanningHistoryProjects(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `
		SELECT count(*) FROM history_projects p JOIN history_runs r ON r.id = p.run_id
		WHERE p.state = 'scanning' AND r.state IN ('listing', 'scanning')`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: counting history projects being scanned: %w", err)
	}
	return n, nil
}

// HistoryHeadScanned returns the run that scanned a project's head of
// an instance already, if one did.
func (s *Store) HistoryHeadScanned(ctx context.Context, instance string, projectID int64, head string) (int64, bool, error) {
	var run int64
	err := s.pool.QueryRow(ctx, `
		SELECT p.run_id FROM history_projects p JOIN history_runs r ON r.id = p.run_id
		WHERE p.project_id = $2 AND p.head_sha = $3 AND p.state = 'done' AND r.instance_host = $1
		ORDER BY p.run_id LIMIT 1`, instance, projectID, head).Scan(&run)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("store: looking for an earlier scan of project %d: %w", projectID, err)
	}
	return run, true, nil
}

// StartHistoryProject records that a pending project's scan began, with
// its head and check. When it did not, it returns the project's state:
// skipped when the run was cancelled meanwhile, scanning (or further)
// when another pump started it.
func (s *Store) StartHistoryProject(ctx context.Context, runID, projectID int64, head, checkID string) (bool, string, error) {
	tag, err := s.pool.Exec(ctx, `
		UPDATE history_projects p SET state = 'scanning', head_sha = $3, check_id = $4, started_at = now()
		FROM history_runs r
		WHERE p.run_id = $1 AND p.project_id = $2 AND p.state = 'pending'
		  AND r.id = p.run_id AND r.state IN ('listing', 'scanning')`, runID, projectID, head, checkID)
	if err != nil {
		return false, "", fmt.Errorf("store: starting project %d of history scan %d: %w", projectID, runID, err)
	}
	if tag.RowsAffected() == 1 {
		return true, ProjectScanning, nil
	}
	var state string
	err = s.pool.QueryRow(ctx, `SELECT state FROM history_projects WHERE run_id = $1 AND project_id = $2`, runID, projectID).Scan(&state)
	if err != nil {
		return false, "", fmt.Errorf("store: reading project %d of history scan %d: %w", projectID, runID, err)
	}
	return false, state, nil
}

// EndHistoryProject ends a pending project without a scan (skipped) or
// with a failure, with the reason and the head, when one was found.
func (s *Store) EndHistoryProject(ctx context.Context, runID, projectID int64, state, head, reason string) error {
	_, err := s.pool.Exec(ctx, `
		UPDATE history_projects SET state = $3, head_sha = $4, reason = $5, finished_at = now()
		WHERE run_id = $1 AND project_id = $2 AND state IN ('pending', 'scanning')`, runID, projectID, state, head, reason)
	if err != nil {
		return fmt.Errorf("store: ending project %d of history scan %d: %w", projectID, runID, err)
	}
	return nil
}

// SettleHistoryProjects ends the scanning projects of a run whose checks
// have finished: done when every scan and output task is done (with the
// findings the scans reported), failed with the first task error
// otherwise. It returns how many it ended.
func (s *Store) SettleHistoryProjects(ctx context.Context, runID int64) (int, error) {
	tag, err := s.pool.Exec(ctx, `
		WITH finished AS (
			SELECT p.project_id,
			       bool_and(t.state = 'done' OR t.kind = 'notification') AS ok,
			       coalesce(sum((t.result->>'findings')::int) FILTER (WHERE t.kind = 'scan'), 0) AS findings,
			       coalesce(min(t.error) FILTER (WHERE t.state IN ('failed', 'skipped') AND t.kind <> 'notification'), '') AS reason
			FROM history_projects p JOIN tasks t ON t.check_id = p.check_id
			WHERE p.run_id = $1 AND p.state = 'scanning'
			GROUP BY p.project_id
			HAVING bool_and(t.state IN ('done', 'failed', 'skipped'))
		)
		UPDATE history_projects p SET state = CASE WHEN f.ok THEN 'done' ELSE 'failed' END,
			findings = f.findings, reason = f.reason, finished_at = now()
		FROM finished f WHERE p.run_id = $1 AND p.project_id = f.project_id`, runID)
	if err != nil {
		return 0, fmt.Errorf("store: settling the projects of history scan %d: %w", runID, err)
	}
	return int(tag.RowsAffected()), nil
}

// FinishHistoryRun ends a scanning run with no project left open, and
// reports whether it did.
func (s *Store) FinishHistoryRun(ctx context.Context, runID int64) (bool, error) {
	tag, err := s.pool.Exec(ctx, `
		UPDATE history_runs r SET state = 'done', finished_at = now(), updated_at = now(), lease_owner = '', lease_until = NULL
		WHERE id = $1 AND state = 'scanning'
		  AND NOT EXISTS (SELECT 1 FROM history_projects p WHERE p.run_id = r.id AND p.state IN ('pending', 'scanning'))`, runID)
	if err != nil {
		return false, fmt.Errorf("store: finishing history scan %d: %w", runID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// FailHistoryRun ends an active run for good with the reason (its listing
// cannot go on: the instance refuses the token, a group does not exist).
func (s *Store) FailHistoryRun(ctx context.Context, runID int64, reason string) error {
	_, err := s.pool.Exec(ctx, `
		UPDATE history_runs SET state = 'failed', error = $2, finished_at = now(), updated_at = now()
		WHERE id = $1 AND state IN ('listing', 'scanning')`, runID, reason)
	if err != nil {
		return fmt.Errorf("store: failing history scan %d: %w", runID, err)
	}
	return nil
}

// NoteHistoryRun records a transient problem of an active run (a rate
// limit waited out, GitLab unreachable), shown until the next page, and
// keeps owner's lease for at least hold more: a pump waiting for GitLab
// is not taken for dead.
func (s *Store) NoteHistoryRun(ctx context.Context, runID int64, note, owner string, hold time.Duration) error {
	_, err := s.pool.Exec(ctx, `
		UPDATE history_runs SET error = $2, updated_at = now(),
			lease_until = CASE WHEN lease_owner = $3 THEN greatest(lease_until, now() + $4::interval) ELSE lease_until END
		WHERE id = $1`, runID, note, owner, hold)
	if err != nil {
		return fmt.Errorf("store: noting a problem of history scan %d: %w", runID, err)
	}
	return nil
}

// CancelHistoryRun stops an active run: its open projects are skipped,
// and the tasks of those being scanned that have not started yet are
// skipped too, so the queue drops them (a task running finishes). It returns ErrNotFound
// for no such run and reports false for one already ended.
func (s *Store) CancelHistoryRun(ctx context.Context, runID int64) (bool, error) {
	var cancelled bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var state string
		err := tx.QueryRow(ctx, `SELECT state FROM history_runs WHERE id = $1 FOR UPDATE`, runID).Scan(&state)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("history scan %d: %w", runID, ErrNotFound)
		}
		if err != nil || (state != HistoryListing && state != HistoryScanning) {
			return err
		}
		cancelled = true
		if _, err := tx.Exec(ctx, `
			UPDATE history_runs SET state = 'cancelled', finished_at = now(), updated_at = now(), lease_owner = '', lease_until = NULL
			WHERE id = $1`, runID); err != nil {
			return err
		}
		// The projects first: a project whose scan starts meanwhile waits
		// for this, then finds itself skipped and skips its own tasks.
		_, err = tx.Exec(ctx, `
			WITH p AS (
				UPDATE history_projects SET state = 'skipped', finished_at = now(),
					reason = CASE WHEN check_id = '' THEN 'cancelled' ELSE 'cancelled during its scan' END
				WHERE run_id = $1 AND state IN ('pending', 'scanning')
				RETURNING check_id
			)
			UPDATE tasks SET state = 'skipped', error = 'not run: the history scan was cancelled', finished_at = now(), updated_at = now()
			WHERE check_id IN (SELECT check_id FROM p WHERE check_id <> '') AND state IN ('waiting', 'queued')`, runID)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: cancelling history scan %d: %w", runID, err)
	}
	return cancelled, nil
}

// SkipUnstartedTasks skips the tasks of a check that have not started,
// with the reason: a history scan cancelled while its scan was planned.
func (s *Store) SkipUnstartedTasks(ctx context.Context, checkID, reason string) error {
	_, err := s.pool.Exec(ctx, `
		UPDATE tasks SET state = 'skipped', error = $2, finished_at = now(), updated_at = now()
		WHERE check_id = $1 AND state IN ('waiting', 'queued')`, checkID, reason)
	if err != nil {
		return fmt.Errorf("store: skipping the tasks of check %s: %w", checkID, err)
	}
	return nil
}

// HistoryLiveSecrets counts the findings of a run's checks that their
// outputs stored as live secrets (validity valid), each once.
func (s *Store) HistoryLiveSecrets(ctx context.Context, run int64) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `
		SELECT count(DISTINCT (t.check_id, t.id, f->>'id')) FROM history_projects p
		JOIN tasks t ON t.check_id = p.check_id AND t.kind = 'output' AND t.state = 'done'
		CROSS JOIN LATERAL jsonb_array_elements(coalesce(t.result->'data'->'findings', '[]')) f
		WHERE p.run_id = $1 AND p.check_id <> '' AND f->>'validity' = 'valid'`, run).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: live secrets of history run %d: %w", run, err)
	}
	return n, nil
}
