package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// PushEvent is a push the pre-receive hook reported: refused, bypassed or
// not scanned (see internal/pushreport).
type PushEvent struct {
	ID         int64
	ReceivedAt time.Time
	Kind       string
	Reason     string
	Project    string
	Repository string
	User       string
	Refs       []string
	Commits    int
	Detail     string
	// Findings is the report's findings, as JSON (where each secret is and
	// its hash).
	Findings json.RawMessage
}

// RecordPushEvent stores a reported push and returns its id.
func (s *Store) RecordPushEvent(ctx context.Context, e PushEvent) (int64, error) {
	if e.Refs == nil {
		e.Refs = []string{}
	}
	if e.Findings == nil {
		e.Findings = json.RawMessage("[]")
	}
	var id int64
	err := s.pool.QueryRow(ctx, `
		INSERT INTO push_protection_events (kind, reason, project, repository, username, refs, commits, detail, findings)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		e.Kind, e.Reason, e.Project, e.Repository, e.User, e.Refs, e.Commits, e.Detail, []byte(e.Findings)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: recording a push protection event: %w", err)
	}
	return id, nil
}

// RecentPushEvents lists the latest reported pushes, newest first.
func (s *Store) RecentPushEvents(ctx context.Context, limit int) ([]PushEvent, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT id, received_at, kind, reason, project, repository, username, refs, commits, detail, findings
		FROM push_protection_events ORDER BY received_at DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: listing push protection events: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (PushEvent, error) {
		var e PushEvent
		var findings []byte
		err := row.Scan(&e.ID, &e.ReceivedAt, &e.Kind, &e.Reason, &e.Project, &e.Repository, &e.User,
			&e.Refs, &e.Commits, &e.Detail, &findings)
		e.Findings = findings
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: listing push protection events: %w", err)
	}
	return list, nil
}
