package findings

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/secbot/secbot/internal/findings/input"
)

// Token is one of a user's API tokens as the API lists it: never its key,
// which is shown once, when it is made, and stored only as its SHA-256.
type Token struct {
	ID       int        `json:"id"`
	User     int        `json:"user"`
	Name     string     `json:"name"`
	Kind     string     `json:"kind"` // named, api-token-auth or DEFECTDOJO__TOKEN
	Created  time.Time  `json:"created"`
	Expires  *time.Time `json:"expires"`
	LastUsed *time.Time `json:"last_used"`
}

// tokenKinds name the origins of dd_tokens for people.
var tokenKinds = map[string]string{"named": "named", "login": "api-token-auth", "legacy": "api-token-auth", "env": "DEFECTDOJO__TOKEN"}

// MaxTokenName bounds a token's name.
const MaxTokenName = 200

// CreateToken makes a named API token for u, expiring at expires (nil:
// never), and returns its key (40 hex characters, as DefectDojo's) with
// the token as listed.
func (s *Service) CreateToken(ctx context.Context, u User, name string, expires *time.Time) (string, Token, error) {
	name = strings.TrimSpace(name)
	switch msg := input.TextProblem(name); {
	case msg != "":
		return "", Token{}, &ValidationError{Errors: input.Errors{"name": {msg}}}
	case name == "":
		return "", Token{}, &ValidationError{Errors: input.Errors{"name": {msgRequired}}}
	case utf8.RuneCountInString(name) > MaxTokenName:
		return "", Token{}, &ValidationError{Errors: input.Errors{"name": {fmt.Sprintf("Ensure this field has no more than %d characters.", MaxTokenName)}}}
	case expires != nil && !expires.After(time.Now()):
		return "", Token{}, &ValidationError{Errors: input.Errors{"expires": {"The expiry must be in the future."}}}
	}
	raw := make([]byte, 20)
	if _, err := rand.Read(raw); err != nil {
		return "", Token{}, err
	}
	key := hex.EncodeToString(raw)
	t := Token{User: u.ID, Name: name, Kind: "named", Expires: expires}
	err := s.pool.QueryRow(ctx, `INSERT INTO dd_tokens (user_id, key_hash, origin, name, expires) VALUES ($1, $2, 'named', $3, $4)
		RETURNING id, created`, u.ID, tokenHash(key), name, expires).Scan(&t.ID, &t.Created)
	if err != nil {
		return "", Token{}, fmt.Errorf("findings: making a token: %w", err)
	}
	return key, t, nil
}

// Tokens lists u's API tokens, oldest first (a superuser's list holds
// everyone's).
func (s *Service) Tokens(ctx context.Context, u User) ([]Token, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, user_id, name, origin, created, expires, last_used FROM dd_tokens
		WHERE $1 OR user_id = $2 ORDER BY id`, u.IsSuperuser, u.ID)
	if err != nil {
		return nil, fmt.Errorf("findings: listing tokens: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Token, error) {
		var t Token
		var origin string
		err := row.Scan(&t.ID, &t.User, &t.Name, &origin, &t.Created, &t.Expires, &t.LastUsed)
		t.Kind = tokenKinds[origin]
		if t.Name == "" {
			t.Name = t.Kind
		}
		return t, err
	})
	if list == nil {
		list = []Token{}
	}
	return list, err
}

// ErrEnvToken is a request to revoke the token DEFECTDOJO__TOKEN gives:
// the reporter registers it again at every start.
var ErrEnvToken = errors.New("this token is DEFECTDOJO__TOKEN, which the reporter registers at every start: change that setting (and the worker's) to replace it")

// RevokeToken deletes one of u's tokens (a superuser's: anyone's), or
// answers ErrNotFound.
func (s *Service) RevokeToken(ctx context.Context, u User, id int) error {
	var origin string
	err := s.pool.QueryRow(ctx, `DELETE FROM dd_tokens WHERE id = $1 AND ($2 OR user_id = $3) AND origin <> 'env' RETURNING origin`,
		id, u.IsSuperuser, u.ID).Scan(&origin)
	if errors.Is(err, pgx.ErrNoRows) {
		var env bool
		if s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT FROM dd_tokens WHERE id = $1 AND ($2 OR user_id = $3) AND origin = 'env')`,
			id, u.IsSuperuser, u.ID).Scan(&env) == nil && env {
			return ErrEnvToken
		}
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("findings: revoking token %d: %w", id, err)
	}
	return nil
}
