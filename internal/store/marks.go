package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Mark records that a task completed a step (with an optional value, such
// as the id of what the step made).
func (s *Store) Mark(ctx context.Context, taskID, key, value string) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO task_marks (task_id, key, value) VALUES ($1, $2, $3)
		ON CONFLICT (task_id, key) DO UPDATE SET value = EXCLUDED.value, at = now()`, taskID, key, value)
	if err != nil {
		return fmt.Errorf("store: marking %s of task %s: %w", key, taskID, err)
	}
	return nil
}

// Marked returns a step's value and whether the task completed it.
func (s *Store) Marked(ctx context.Context, taskID, key string) (string, bool, error) {
	var v string
	err := s.pool.QueryRow(ctx, `SELECT value FROM task_marks WHERE task_id = $1 AND key = $2`, taskID, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("store: reading mark %s of task %s: %w", key, taskID, err)
	}
	return v, true, nil
}
