package findings

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/secbot/secbot/internal/findings/input"
)

// Accounts signs people in, for the findings pages and api-token-auth
// alike: the password check behind the sign-in throttle, and each user's
// one API token.
type Accounts struct {
	svc      *Service
	throttle Throttle
	// tokenKey derives the API tokens (see Token).
	tokenKey []byte
	tokenTTL time.Duration
	// hashing bounds the bcrypt hashes running at once, so that sign-ins
	// the throttle lets through still leave CPU for everything else.
	hashing chan struct{}
}

// AccountOptions configure Accounts.
type AccountOptions struct {
	Throttle Throttle
	// Secret derives the API tokens api-token-auth hands out: every
	// replica needs the same one, and a new one rotates every token.
	Secret string
	// TokenTTL is how long a token lasts from when it is made; 0: until
	// it is rotated.
	TokenTTL time.Duration
}

// Accounts returns the sign-in side of the service.
func (s *Service) Accounts(o AccountOptions) *Accounts {
	mac := hmac.New(sha256.New, []byte(o.Secret))
	mac.Write([]byte("secbot api tokens v1"))
	return &Accounts{svc: s, throttle: o.Throttle, tokenKey: mac.Sum(nil), tokenTTL: o.TokenTTL,
		hashing: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2))}
}

// SignIn returns the user whose username and password these are. addr is
// the client's address. It answers a *ThrottledError, before any
// hashing, while the user name or the address must wait after failures;
// ErrBadCredentials for a wrong name or password (counted as a failure).
func (a *Accounts) SignIn(ctx context.Context, username, password, addr string) (User, error) {
	if input.TextProblem(username) != "" {
		return User{}, ErrBadCredentials // no user has such a name
	}
	keys := a.throttle.keys(username, addr)
	if err := a.throttle.admit(ctx, a.svc.pool, keys); err != nil {
		return User{}, err
	}
	u, err := a.check(ctx, username, password)
	o := undecided
	switch {
	case err == nil:
		o = succeeded
	case errors.Is(err, ErrBadCredentials):
		o = failed
	}
	if ferr := a.throttle.finish(ctx, a.svc.pool, keys, o); ferr != nil && err == nil {
		return User{}, ferr
	}
	return u, err
}

// hashWait bounds how long an admitted sign-in waits for its turn to hash.
const hashWait = 10 * time.Second

// check is checkPassword with at most len(a.hashing) hashes at once.
func (a *Accounts) check(ctx context.Context, username, password string) (User, error) {
	timer := time.NewTimer(hashWait)
	defer timer.Stop()
	select {
	case a.hashing <- struct{}{}:
	case <-timer.C:
		return User{}, &ThrottledError{RetryAfter: time.Second}
	case <-ctx.Done():
		return User{}, ctx.Err()
	}
	defer func() { <-a.hashing }()
	return a.svc.checkPassword(ctx, username, password)
}

// Token returns the user's API token, the same on every call, as
// DefectDojo's api-token-auth does; it makes one when the user has none,
// or when theirs has expired. The token is an HMAC of a random salt under
// a key derived from the secret: the database keeps the salt and the
// token's SHA-256, never the token, and cannot make it again without the
// secret.
func (a *Accounts) Token(ctx context.Context, u User) (string, error) {
	pool := a.svc.pool
	for range 3 { // each round loses only to a concurrent change of the row
		tok, salt, err := a.mint(u)
		if err != nil {
			return "", err
		}
		tag, err := pool.Exec(ctx, `
			INSERT INTO dd_tokens (user_id, key_hash, origin, salt, expires) VALUES ($1, $2, 'login', $3, now() + $4::interval)
			ON CONFLICT (user_id) WHERE origin = 'login' DO NOTHING`, u.ID, tokenHash(tok), salt, a.ttl())
		if err != nil {
			return "", fmt.Errorf("findings: storing an API token: %w", err)
		}
		if tag.RowsAffected() == 1 {
			return tok, nil
		}
		var id int
		var have []byte
		var hash string
		var expired bool
		err = pool.QueryRow(ctx, `
			SELECT id, salt, key_hash, coalesce(expires <= now(), false) FROM dd_tokens WHERE user_id = $1 AND origin = 'login'`,
			u.ID).Scan(&id, &have, &hash, &expired)
		if errors.Is(err, pgx.ErrNoRows) {
			continue // rotated away meanwhile
		}
		if err != nil {
			return "", fmt.Errorf("findings: loading an API token: %w", err)
		}
		if !expired {
			tok = a.derive(have, u.ID)
			if tokenHash(tok) == hash {
				return tok, nil
			}
			// Made under another secret: it cannot be handed out again, so
			// its successor under this secret takes its place.
			salt = have
		}
		tag, err = pool.Exec(ctx, `
			UPDATE dd_tokens SET salt = $3, key_hash = $4, expires = CASE WHEN $5 THEN now() + $6::interval ELSE expires END,
				created = CASE WHEN $5 THEN now() ELSE created END
			WHERE id = $1 AND key_hash = $2`, id, hash, salt, tokenHash(tok), expired, a.ttl())
		if err != nil {
			return "", fmt.Errorf("findings: renewing an API token: %w", err)
		}
		if tag.RowsAffected() == 1 {
			return tok, nil
		}
	}
	return "", errors.New("findings: the API token kept changing while it was read")
}

// RotateToken replaces the user's API token, and the tokens logins made
// before SecBot kept one per user: each stops working at once.
func (a *Accounts) RotateToken(ctx context.Context, u User) (string, error) {
	tok, salt, err := a.mint(u)
	if err != nil {
		return "", err
	}
	err = pgx.BeginFunc(ctx, a.svc.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM dd_tokens WHERE user_id = $1 AND origin IN ('login', 'legacy')`, u.ID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO dd_tokens (user_id, key_hash, origin, salt, expires) VALUES ($1, $2, 'login', $3, now() + $4::interval)`,
			u.ID, tokenHash(tok), salt, a.ttl())
		return err
	})
	if err != nil {
		return "", fmt.Errorf("findings: rotating an API token: %w", err)
	}
	return tok, nil
}

// mint makes a new salt and its token.
func (a *Accounts) mint(u User) (string, []byte, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", nil, fmt.Errorf("findings: making an API token: %w", err)
	}
	return a.derive(salt, u.ID), salt, nil
}

// derive is the token of a salt: 40 hex characters, as DefectDojo's.
func (a *Accounts) derive(salt []byte, userID int) string {
	mac := hmac.New(sha256.New, a.tokenKey)
	mac.Write(salt)
	mac.Write(binary.BigEndian.AppendUint32(nil, uint32(userID))) //nolint:gosec // G115: user ids are positive serials, far below 2^32
	return hex.EncodeToString(mac.Sum(nil))[:40]
}

// ttl is the token lifetime as an SQL interval; nil (no expiry) for 0.
func (a *Accounts) ttl() *time.Duration {
	if a.tokenTTL <= 0 {
		return nil
	}
	return &a.tokenTTL
}
