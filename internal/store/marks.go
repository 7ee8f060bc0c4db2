package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Mark records that a step was done for a check (with an optional value,
// such as the id of what the step made).
func (s *Store) Mark(ctx context.Context, checkID, key, value string) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO check_marks (check_id, key, value) VALUES ($1, $2, $3)
		ON CONFLICT (check_id, key) DO UPDATE SET value = EXCLUDED.value, at = now()`, checkID, key, value)
	if err != nil {
		return fmt.Errorf("store: marking %s of check %s: %w", key, checkID, err)
	}
	return nil
}

// Marked returns a step's value and whether it was done for the check.
func (s *Store) Marked(ctx context.Context, checkID, key string) (string, bool, error) {
	var v string
	err := s.pool.QueryRow(ctx, `SELECT value FROM check_marks WHERE check_id = $1 AND key = $2`, checkID, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("store: reading mark %s of check %s: %w", key, checkID, err)
	}
	return v, true, nil
}

// Swap sets a step's value and reports whether it changed; of callers
// racing to set the same value, exactly one sees true.
func (s *Store) Swap(ctx context.Context, checkID, key, value string) (bool, error) {
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO check_marks (check_id, key, value) VALUES ($1, $2, $3)
		ON CONFLICT (check_id, key) DO UPDATE SET value = EXCLUDED.value, at = now()
		WHERE check_marks.value <> EXCLUDED.value`, checkID, key, value)
	if err != nil {
		return false, fmt.Errorf("store: setting mark %s of check %s: %w", key, checkID, err)
	}
	return tag.RowsAffected() == 1, nil
}
