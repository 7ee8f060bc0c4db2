package findings

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"
)

// ErrBadCredentials means a wrong username, password or token.
var ErrBadCredentials = errors.New("findings: invalid credentials")

// ErrTokenExpired means an API token that was right until its expiry
// (SECBOT_API_TOKEN_TTL).
var ErrTokenExpired = errors.New("findings: the API token has expired")

// User is a findings-service user.
type User struct {
	ID          int    `json:"id"`
	Username    string `json:"username"`
	FirstName   string `json:"first_name"`
	LastName    string `json:"last_name"`
	Email       string `json:"email"`
	IsSuperuser bool   `json:"is_superuser"`
}

// DefaultPasswordCost is bcrypt's cost for new password hashes: about
// 50 ms. bcrypt keeps a sign-in's memory to a few kilobytes (DefectDojo's
// defaults needed gigabytes under load).
const DefaultPasswordCost = 10

// WithPasswordCost sets bcrypt's cost for the passwords the service
// hashes (DefaultPasswordCost). Tests lower it: under the race detector a
// hash of cost 10 takes seconds.
func WithPasswordCost(cost int) Option {
	return func(s *Service) { s.passwordCost = cost }
}

// dummyHash is a real bcrypt hash of nothing anyone knows, of the
// service's cost, compared against when the username does not exist.
func (s *Service) dummyHash() []byte {
	s.dummyOnce.Do(func() {
		s.dummy, _ = bcrypt.GenerateFromPassword([]byte("secbot: no such user"), s.passwordCost)
	})
	return s.dummy
}

func tokenHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// EnsureAdmin creates the admin user on first start and registers envToken
// (DEFECTDOJO__TOKEN) as one of its API tokens, so the shipped settings
// work with no setup. An existing admin keeps its password.
func (s *Service) EnsureAdmin(ctx context.Context, username, password, envToken string) error {
	if username == "" {
		return errors.New("findings: the admin username is empty")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.passwordCost)
	if err != nil {
		return fmt.Errorf("findings: hashing the admin password: %w", err)
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Two statements, so replicas starting together all see the admin
		// (a single statement's snapshot misses a concurrent insert).
		if _, err := tx.Exec(ctx, `
			INSERT INTO dd_users (username, password_hash, is_superuser) VALUES ($1, $2, true)
			ON CONFLICT (username) DO NOTHING`, username, string(hash)); err != nil {
			return fmt.Errorf("findings: creating the admin: %w", err)
		}
		var id int
		if err := tx.QueryRow(ctx, `SELECT id FROM dd_users WHERE username = $1`, username).Scan(&id); err != nil {
			return fmt.Errorf("findings: loading the admin: %w", err)
		}
		if envToken == "" {
			return nil
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO dd_tokens (user_id, key_hash, origin) VALUES ($1, $2, 'env')
			ON CONFLICT (key_hash) DO UPDATE SET user_id = EXCLUDED.user_id`, id, tokenHash(envToken))
		return err
	})
}

// checkPassword returns the user whose username and password these are,
// or ErrBadCredentials. It costs a bcrypt hash whatever the answer: callers
// go through Accounts.SignIn, whose throttle refuses floods before this.
func (s *Service) checkPassword(ctx context.Context, username, password string) (User, error) {
	var u User
	var hash string
	err := s.pool.QueryRow(ctx, `
		SELECT id, username, first_name, last_name, email, is_superuser, password_hash FROM dd_users
		WHERE username = $1 AND is_active`,
		username).Scan(&u.ID, &u.Username, &u.FirstName, &u.LastName, &u.Email, &u.IsSuperuser, &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		// Spend the same time as a wrong password, so usernames do not leak.
		_ = bcrypt.CompareHashAndPassword(s.dummyHash(), []byte(password))
		return User{}, ErrBadCredentials
	}
	if err != nil {
		return User{}, fmt.Errorf("findings: loading user: %w", err)
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		return User{}, ErrBadCredentials
	}
	return u, nil
}

// Authenticate returns the user of an API token: ErrBadCredentials for
// one SecBot does not know or of a user made inactive, ErrTokenExpired
// for one past its expiry.
func (s *Service) Authenticate(ctx context.Context, key string) (User, error) {
	var u User
	var expired, stale bool
	var id int
	err := s.pool.QueryRow(ctx, `
		SELECT t.id, u.id, u.username, u.first_name, u.last_name, u.email, u.is_superuser, coalesce(t.expires <= now(), false),
			coalesce(t.last_used < now() - interval '1 minute', true)
		FROM dd_tokens t JOIN dd_users u ON u.id = t.user_id WHERE t.key_hash = $1 AND u.is_active`, tokenHash(key),
	).Scan(&id, &u.ID, &u.Username, &u.FirstName, &u.LastName, &u.Email, &u.IsSuperuser, &expired, &stale)
	if err == nil && stale && !expired {
		// The last use, to the minute: a write a minute per token at most.
		if _, err := s.pool.Exec(ctx, `UPDATE dd_tokens SET last_used = now() WHERE id = $1`, id); err != nil {
			return User{}, fmt.Errorf("findings: noting a token's use: %w", err)
		}
	}
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return User{}, ErrBadCredentials
	case err != nil:
		return User{}, fmt.Errorf("findings: loading a token's user: %w", err)
	case expired:
		return User{}, ErrTokenExpired
	}
	return u, nil
}
