package findings

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/secbot/secbot/internal/findings/input"
)

// Change is a triage request: the status flags to set (nil: unchanged).
type Change struct {
	Active       *bool `json:"active,omitempty"`
	Verified     *bool `json:"verified,omitempty"`
	FalseP       *bool `json:"false_p,omitempty"`
	RiskAccepted *bool `json:"risk_accepted,omitempty"`
	IsMitigated  *bool `json:"is_mitigated,omitempty"`
	OutOfScope   *bool `json:"out_of_scope,omitempty"`
	// The finding's text and place (nil: unchanged). Its hash_code stays
	// as the import computed it, so deduplication keeps its matches.
	Title            *string   `json:"title,omitempty"`
	Severity         *string   `json:"severity,omitempty"`
	Description      *string   `json:"description,omitempty"`
	Mitigation       *string   `json:"mitigation,omitempty"`
	Impact           *string   `json:"impact,omitempty"`
	References       *string   `json:"references,omitempty"`
	CWE              *int      `json:"cwe,omitempty"`
	Line             *int      `json:"line,omitempty"`
	FilePath         *string   `json:"file_path,omitempty"`
	ComponentName    *string   `json:"component_name,omitempty"`
	ComponentVersion *string   `json:"component_version,omitempty"`
	Tags             *[]string `json:"tags,omitempty"`
}

// edits are the columns a Change sets besides the status flags.
func (c Change) edits() (map[string]any, error) {
	out := map[string]any{}
	for col, v := range map[string]*string{"title": c.Title, "severity": c.Severity, "description": c.Description,
		"mitigation": c.Mitigation, "impact": c.Impact, "references": c.References, "file_path": c.FilePath,
		"component_name": c.ComponentName, "component_version": c.ComponentVersion} {
		if v == nil {
			continue
		}
		if msg := input.TextProblem(*v); msg != "" {
			return nil, &ChangeError{Field: col, Message: msg}
		}
		out[col] = *v
	}
	if c.Title != nil && strings.TrimSpace(*c.Title) == "" {
		return nil, &ChangeError{Field: "title", Message: msgBlank}
	}
	if c.Title != nil && utf8.RuneCountInString(*c.Title) > 511 {
		return nil, &ChangeError{Field: "title", Message: "Ensure this field has no more than 511 characters."}
	}
	if c.Severity != nil {
		if _, ok := severityRank[*c.Severity]; !ok {
			return nil, &ChangeError{Field: "severity", Message: fmt.Sprintf("%q is not a valid choice.", *c.Severity)}
		}
	}
	if c.CWE != nil {
		out["cwe"] = *c.CWE
	}
	if c.Line != nil {
		out["line"] = *c.Line
	}
	if c.Tags != nil {
		out["tags"] = nonNil(*c.Tags)
	}
	return out, nil
}

// ChangeError is a triage request that contradicts itself.
type ChangeError struct{ Field, Message string }

func (e *ChangeError) Error() string { return e.Field + ": " + e.Message }

type flags struct {
	active, verified, falseP, riskAccepted, isMitigated, outOfScope bool
	mitigated                                                       *time.Time
}

// apply works out the resulting flags: a false positive, an accepted risk,
// a mitigated or an out-of-scope finding is inactive (false positives and
// mitigations are dated); reopening (active) clears all four.
func (c Change) apply(f flags, now time.Time) (flags, error) {
	set := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	closing := func(v *bool) bool { return v != nil && *v }
	if closing(c.Active) && (closing(c.FalseP) || closing(c.RiskAccepted) || closing(c.IsMitigated) || closing(c.OutOfScope)) {
		return f, &ChangeError{Field: "active", Message: "An active finding cannot also be a false positive, risk accepted, mitigated or out of scope."}
	}
	if closing(c.Active) {
		f.falseP, f.riskAccepted, f.isMitigated, f.outOfScope, f.mitigated = false, false, false, false, nil
	}
	set(&f.active, c.Active)
	set(&f.verified, c.Verified)
	set(&f.falseP, c.FalseP)
	set(&f.riskAccepted, c.RiskAccepted)
	set(&f.isMitigated, c.IsMitigated)
	set(&f.outOfScope, c.OutOfScope)
	if closing(c.FalseP) {
		f.isMitigated = true
	}
	if f.falseP || f.riskAccepted || f.isMitigated || f.outOfScope {
		f.active = false
	}
	if f.isMitigated && f.mitigated == nil {
		f.mitigated = &now
	}
	if !f.isMitigated {
		f.mitigated = nil
	}
	return f, nil
}

// Update triages a finding on behalf of userID, recording the change.
func (s *Service) Update(ctx context.Context, id, userID int, c Change) (Stored, error) {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var f flags
		err := tx.QueryRow(ctx, `
			SELECT active, verified, false_p, risk_accepted, is_mitigated, out_of_scope, mitigated
			FROM findings WHERE id = $1 FOR UPDATE`, id,
		).Scan(&f.active, &f.verified, &f.falseP, &f.riskAccepted, &f.isMitigated, &f.outOfScope, &f.mitigated)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		n, err := c.apply(f, time.Now().UTC())
		if err != nil {
			return err
		}
		edits, err := c.edits()
		if err != nil {
			return err
		}
		if len(edits) > 0 {
			var sets []string
			args := []any{id}
			for col, v := range edits {
				args = append(args, v)
				sets = append(sets, pgx.Identifier{col}.Sanitize()+" = $"+strconv.Itoa(len(args)))
			}
			if _, err := tx.Exec(ctx, "UPDATE findings SET "+strings.Join(sets, ", ")+" WHERE id = $1", args...); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `
			UPDATE findings SET active = $2, verified = $3, false_p = $4, risk_accepted = $5, is_mitigated = $6,
				out_of_scope = $7, mitigated = $8, last_status_update = now()
			WHERE id = $1`, id, n.active, n.verified, n.falseP, n.riskAccepted, n.isMitigated, n.outOfScope, n.mitigated); err != nil {
			return err
		}
		change, _ := json.Marshal(c)
		var user *int
		if userID > 0 {
			user = &userID
		}
		_, err = tx.Exec(ctx, `INSERT INTO finding_events (finding, user_id, change) VALUES ($1, $2, $3)`, id, user, change)
		return err
	})
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return Stored{}, err
		}
		var ce *ChangeError
		if errors.As(err, &ce) {
			return Stored{}, err
		}
		return Stored{}, fmt.Errorf("findings: updating %d: %w", id, err)
	}
	return s.Finding(ctx, id)
}
