package findings

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Session is a signed-in browser: its user and the CSRF token its forms
// carry.
type Session struct {
	User User
	CSRF string
}

// StartSession signs a user in for ttl and returns the session key for the
// cookie (never stored: only its hash is) and the session.
func (s *Service) StartSession(ctx context.Context, u User, ttl time.Duration) (string, Session, error) {
	key, csrf := rand.Text(), rand.Text()
	_, err := s.pool.Exec(ctx, `
		INSERT INTO web_sessions (key_hash, user_id, csrf, expires) VALUES ($1, $2, $3, now() + $4::interval)`,
		tokenHash(key), u.ID, csrf, ttl)
	if err != nil {
		return "", Session{}, fmt.Errorf("findings: starting a session: %w", err)
	}
	// Expired sessions are dropped as new ones start.
	if _, err := s.pool.Exec(ctx, `DELETE FROM web_sessions WHERE expires < now()`); err != nil {
		return "", Session{}, fmt.Errorf("findings: dropping expired sessions: %w", err)
	}
	return key, Session{User: u, CSRF: csrf}, nil
}

// SessionOf returns the live session of a cookie key, or ErrBadCredentials.
func (s *Service) SessionOf(ctx context.Context, key string) (Session, error) {
	var ss Session
	u := &ss.User
	err := s.pool.QueryRow(ctx, `
		SELECT u.id, u.username, u.first_name, u.last_name, u.email, u.is_superuser, w.csrf
		FROM web_sessions w JOIN dd_users u ON u.id = w.user_id
		WHERE w.key_hash = $1 AND w.expires > now() AND u.is_active`, tokenHash(key),
	).Scan(&u.ID, &u.Username, &u.FirstName, &u.LastName, &u.Email, &u.IsSuperuser, &ss.CSRF)
	if errors.Is(err, pgx.ErrNoRows) {
		return ss, ErrBadCredentials
	}
	if err != nil {
		return ss, fmt.Errorf("findings: loading a session: %w", err)
	}
	return ss, nil
}

// EndSession signs a session out.
func (s *Service) EndSession(ctx context.Context, key string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM web_sessions WHERE key_hash = $1`, tokenHash(key)); err != nil {
		return fmt.Errorf("findings: ending a session: %w", err)
	}
	return nil
}
