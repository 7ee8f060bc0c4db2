package findings

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/jackc/pgx/v5"
)

// record adds to object_history that user (0: none) did action to an
// object, with what changed. A user's password is never recorded.
func record(ctx context.Context, tx pgx.Tx, ob *object, id, userID int, action string, changes map[string]any) error {
	delete(changes, "password")
	product := "NULL::integer"
	if ob.product != "" {
		product = "(SELECT " + ob.product + " FROM " + ob.table + " o WHERE o.id = $2)"
	}
	var user *int
	if userID > 0 {
		user = &userID
	}
	raw, err := json.Marshal(changes)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO object_history (kind, object_id, product, user_id, action, changes)
		VALUES ($1, $2, `+product+`, (SELECT id FROM dd_users WHERE id = $3), $4, $5)`, ob.kind, id, user, action, raw)
	if err != nil {
		return fmt.Errorf("recording the %s of %s %d: %w", action, ob.model, id, err)
	}
	return nil
}

// shown is what a create set, as the history shows it.
func shown(ob *object, vals map[string]any) map[string]any {
	out := map[string]any{}
	for name, v := range vals {
		if f, _ := ob.field(name); f.kind == passwordField {
			continue
		}
		if t, ok := v.(time.Time); ok {
			v = t.UTC().Format(time.RFC3339)
		}
		out[name] = v
	}
	return out
}

// diff lists the fields whose shown values differ, each as {from, to};
// the updated time is left out.
func diff(before, after json.RawMessage) map[string]any {
	var b, a map[string]any
	if json.Unmarshal(before, &b) != nil || json.Unmarshal(after, &a) != nil {
		return nil
	}
	out := map[string]any{}
	for k, v := range a {
		if k == "updated" || reflect.DeepEqual(b[k], v) {
			continue
		}
		out[k] = map[string]any{"from": b[k], "to": v}
	}
	return out
}

// summary names a deleted object in its history.
func summary(before json.RawMessage) map[string]any {
	var b map[string]any
	_ = json.Unmarshal(before, &b)
	out := map[string]any{}
	for _, k := range []string{"name", "title", "username", "scan_type"} {
		if v, ok := b[k]; ok {
			out[k] = v
		}
	}
	return out
}

// HistoryEntry is one change to an object, as the pages show it.
type HistoryEntry struct {
	At       time.Time
	Username string // "" when the user is gone or none
	Kind     string // "products", "engagements", …
	ObjectID int
	Action   string // created, changed or deleted
	Changes  map[string]any
}

// ProductHistory lists the latest changes to a product and what it holds
// (its engagements and tests), newest first.
func (s *Service) ProductHistory(ctx context.Context, product, limit int) ([]HistoryEntry, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT h.at, coalesce(u.username, ''), h.kind, h.object_id, h.action, h.changes
		FROM object_history h LEFT JOIN dd_users u ON u.id = h.user_id
		WHERE h.product = $1 ORDER BY h.at DESC, h.id DESC LIMIT $2`, product, limit)
	if err != nil {
		return nil, fmt.Errorf("findings: reading the history of product %d: %w", product, err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (HistoryEntry, error) {
		var e HistoryEntry
		err := row.Scan(&e.At, &e.Username, &e.Kind, &e.ObjectID, &e.Action, &e.Changes)
		return e, err
	})
}
