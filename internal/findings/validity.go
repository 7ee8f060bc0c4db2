package findings

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// Whether a leaked secret works, as the worker's check with its provider
// found (the secret itself is never stored).
const (
	Valid      = "valid"       // the provider accepted it: act on it first
	Invalid    = "invalid"     // the provider refused it: revoked, expired or fake
	Unknown    = "unknown"     // the provider did not say (timeout, 5xx, rate limit)
	NotChecked = "not_checked" // no verifier for its rule, or checks off
)

// Validities are the values of a finding's validity.
var Validities = []string{Valid, Invalid, Unknown, NotChecked}

// IsValidity reports whether v is one of Validities.
func IsValidity(v string) bool { return slices.Contains(Validities, v) }

// Validity is what a check of a secret found, as a report carries it.
type Validity struct {
	Validity  string    // one of Validities; "" when the report gives none
	CheckedAt time.Time // when it was checked (zero: never)
	// Owner and Scopes are what the provider said of the secret in the
	// same answer, where it says so (a GitLab token's user and scopes).
	Owner  string
	Scopes []string
}

// Revocation is what happened when SecBot revoked a live token with its
// provider: when, the provider's answer (status and message, never the
// token) and the validity checked again afterwards.
type Revocation struct {
	At     time.Time `json:"at"`
	By     string    `json:"by"`               // what revoked it ("SecBot, with the instance's admin token")
	Status int       `json:"status"`           // the provider's HTTP status
	Answer string    `json:"answer,omitempty"` // the provider's message
	After  string    `json:"after"`            // the validity checked again
}

// refreshValidity runs after an import into test: the originals of the
// test's new duplicates take the newer check of the same secret (a later
// event that finds it again re-checks it), and each revocation the report
// carried is recorded in its finding's history, by the importing user.
func refreshValidity(ctx context.Context, tx pgx.Tx, test, userID int) error {
	if _, err := tx.Exec(ctx, `
		UPDATE findings o SET validity = n.validity, validity_checked_at = n.validity_checked_at,
			validity_owner = n.validity_owner, validity_scopes = n.validity_scopes
		FROM findings n
		WHERE n.test = $1 AND n.duplicate AND n.duplicate_finding = o.id AND n.validity_checked_at IS NOT NULL
		  AND (o.validity_checked_at IS NULL OR o.validity_checked_at < n.validity_checked_at)`, test); err != nil {
		return fmt.Errorf("findings: re-checked validity: %w", err)
	}
	var user *int
	if userID > 0 {
		user = &userID
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO finding_events (finding, user_id, at, change)
		SELECT f.id, $2, coalesce((f.revocation->>'at')::timestamptz, now()), jsonb_build_object('revoked', f.revocation)
		FROM findings f
		WHERE f.test = $1 AND f.revocation IS NOT NULL
		  AND NOT EXISTS (SELECT FROM finding_events e WHERE e.finding = f.id AND e.change ? 'revoked')`, test, user); err != nil {
		return fmt.Errorf("findings: recording revocations: %w", err)
	}
	return nil
}
