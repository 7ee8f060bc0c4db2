package findings

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"golang.org/x/crypto/bcrypt"

	"github.com/secbot/secbot/internal/findings/input"
)

// lookup returns the object kind of a path, or an error for one the
// service does not have (a programming error: the API routes only these).
func lookup(kind string) (*object, error) {
	ob, ok := objects[kind]
	if !ok {
		return nil, fmt.Errorf("findings: no object kind %q", kind)
	}
	return ob, nil
}

// Object returns one object as DefectDojo shows it to u, or ErrNotFound
// (also for one u may not see).
func (s *Service) Object(ctx context.Context, kind string, id int, u User) (json.RawMessage, error) {
	ob, err := lookup(kind)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, s.pool, u, ob, id, View); err != nil {
		return nil, err
	}
	return getObject(ctx, s.pool, ob, id)
}

// querier is a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func getObject(ctx context.Context, q querier, ob *object, id int) (json.RawMessage, error) {
	var raw json.RawMessage
	err := q.QueryRow(ctx, "SELECT row_to_json(x) FROM ("+ob.selectSQL()+" WHERE o.id = $1) x", id).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	return raw, err
}

// CreateObject checks the fields of a new object as DefectDojo's
// serializer does and that u may create it there, stores it and records
// who created it: the object as shown, or a *ValidationError, or
// ErrForbidden.
func (s *Service) CreateObject(ctx context.Context, kind string, u User, body Values) (json.RawMessage, error) {
	ob, err := lookup(kind)
	if err != nil {
		return nil, err
	}
	var out json.RawMessage
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if accessOf[ob.kind].scope == superusers && !u.IsSuperuser {
			return ErrForbidden
		}
		vals, err := s.checkFields(ctx, tx, ob, body, 0, true)
		if err != nil {
			return err
		}
		if err := s.authorizeCreate(ctx, tx, u, ob, vals); err != nil {
			return err
		}
		if err := s.authorizeOwnerRole(ctx, tx, u, ob, 0, vals); err != nil {
			return err
		}
		s.defaults(ctx, tx, ob, vals)
		var cols, marks []string
		var args []any
		for _, f := range ob.fields {
			if v, ok := vals[f.name]; ok {
				args = append(args, v)
				cols = append(cols, pgx.Identifier{f.col()}.Sanitize())
				marks = append(marks, "$"+strconv.Itoa(len(args)))
			}
		}
		var id int
		insert := "INSERT INTO " + ob.table + " (" + strings.Join(cols, ", ") + ") VALUES (" + strings.Join(marks, ", ") + ") RETURNING id"
		if err := tx.QueryRow(ctx, insert, args...).Scan(&id); err != nil {
			return uniqueViolation(ob, err)
		}
		if out, err = getObject(ctx, tx, ob, id); err != nil {
			return err
		}
		return record(ctx, tx, ob, id, u.ID, "created", shown(ob, vals))
	})
	return out, err
}

// defaults fills in what a create leaves out: the fields' defaults, and a
// test's scan type (its test type's name).
func (s *Service) defaults(ctx context.Context, tx pgx.Tx, ob *object, vals map[string]any) {
	for _, f := range ob.fields {
		if _, ok := vals[f.name]; !ok && f.def != nil {
			vals[f.name] = f.def
		}
	}
	if _, ok := vals["scan_type"]; ob.kind == "tests" && !ok {
		var name string
		if tx.QueryRow(ctx, `SELECT name FROM test_types WHERE id = $1`, vals["test_type"]).Scan(&name) == nil {
			vals["scan_type"] = name
		}
	}
}

// ChangeObject changes an object (PUT when !partial: the required fields
// must be sent; PATCH: any) and records what changed, who and when.
// Fields not sent keep their values, as in DefectDojo.
func (s *Service) ChangeObject(ctx context.Context, kind string, id int, u User, body Values, partial bool) (json.RawMessage, error) {
	ob, err := lookup(kind)
	if err != nil {
		return nil, err
	}
	var out json.RawMessage
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := s.authorize(ctx, tx, u, ob, id, accessOf[ob.kind].change); err != nil {
			return err
		}
		before, err := lockObject(ctx, tx, ob, id)
		if err != nil {
			return err
		}
		vals, err := s.checkFields(ctx, tx, ob, body, id, !partial)
		if err != nil {
			return err
		}
		if err := s.authorizeOwnerRole(ctx, tx, u, ob, id, vals); err != nil {
			return err
		}
		if err := checkDates(ob, vals, before); err != nil {
			return err
		}
		var sets []string
		args := []any{id}
		for _, f := range ob.fields {
			if v, ok := vals[f.name]; ok {
				args = append(args, v)
				sets = append(sets, pgx.Identifier{f.col()}.Sanitize()+" = $"+strconv.Itoa(len(args)))
			}
		}
		if ob.updated {
			sets = append(sets, "updated = now()")
		}
		if len(sets) > 0 {
			if _, err := tx.Exec(ctx, "UPDATE "+ob.table+" SET "+strings.Join(sets, ", ")+" WHERE id = $1", args...); err != nil {
				return uniqueViolation(ob, err)
			}
		}
		if out, err = getObject(ctx, tx, ob, id); err != nil {
			return err
		}
		if changes := diff(before, out); len(changes) > 0 {
			return record(ctx, tx, ob, id, u.ID, "changed", changes)
		}
		return nil
	})
	return out, err
}

// lockObject locks an object's row for a change and returns it as shown.
func lockObject(ctx context.Context, tx pgx.Tx, ob *object, id int) (json.RawMessage, error) {
	var one int
	err := tx.QueryRow(ctx, "SELECT 1 FROM "+ob.table+" WHERE id = $1 FOR UPDATE", id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return getObject(ctx, tx, ob, id)
}

// DeleteObject deletes an object and, as DefectDojo does, everything it
// holds (a product type's products, a product's engagements, their tests
// and findings), recording who deleted it.
func (s *Service) DeleteObject(ctx context.Context, kind string, id int, u User) error {
	ob, err := lookup(kind)
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := s.authorize(ctx, tx, u, ob, id, accessOf[ob.kind].delete); err != nil {
			return err
		}
		if err := s.authorizeOwnerRole(ctx, tx, u, ob, id, nil); err != nil {
			return err
		}
		before, err := lockObject(ctx, tx, ob, id)
		if err != nil {
			return err
		}
		if err := record(ctx, tx, ob, id, u.ID, "deleted", summary(before)); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "DELETE FROM "+ob.table+" WHERE id = $1", id)
		return err
	})
}

// checkFields reads and checks the fields of body that ob has (others
// are ignored, as DefectDojo ignores them), the references and the
// unique fields. all: the required fields must be there (create, PUT).
// self is the object changed (0 on create).
func (s *Service) checkFields(ctx context.Context, tx pgx.Tx, ob *object, body Values, self int, all bool) (map[string]any, error) {
	errs := input.Errors{}
	vals := map[string]any{}
	for _, f := range ob.fields {
		raw, sent := body[f.name]
		if f.readOnly || f.name == "id" {
			continue
		}
		if !sent {
			if all && f.required {
				errs.Add(f.name, msgRequired)
			}
			continue
		}
		v, msg := convert(f, raw)
		if msg != "" {
			errs.Add(f.name, msg)
			continue
		}
		if f.kind == passwordField && v != nil {
			hash, err := bcrypt.GenerateFromPassword([]byte(v.(string)), s.passwordCost)
			if err != nil {
				errs.Add(f.name, "Ensure this field has no more than 72 bytes.")
				continue
			}
			v = string(hash)
		}
		vals[f.name] = v
	}
	for _, f := range ob.fields {
		v, ok := vals[f.name]
		if f.kind != refField || !ok || v == nil {
			continue
		}
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT FROM "+f.ref+" WHERE id = $1)", v).Scan(&exists); err != nil {
			return nil, err
		}
		if !exists {
			errs.Add(f.name, fmt.Sprintf("Invalid pk \"%d\" - object does not exist.", v))
		}
	}
	for _, name := range ob.unique {
		v, ok := vals[name]
		f, _ := ob.field(name)
		if !ok || strings.Contains(name, ",") {
			continue // a pair is left to the table's constraint (uniqueViolation)
		}
		var taken bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT FROM "+ob.table+" WHERE "+pgx.Identifier{f.col()}.Sanitize()+" = $1 AND id <> $2)", v, self).Scan(&taken); err != nil {
			return nil, err
		}
		if taken {
			errs.Add(name, fmt.Sprintf("%s with this %s already exists.", ob.model, name))
		}
	}
	if len(errs) > 0 {
		return nil, &ValidationError{Errors: errs}
	}
	if self == 0 {
		if err := checkDates(ob, vals, nil); err != nil {
			return nil, err
		}
	}
	return vals, nil
}

// checkDates refuses an engagement or test that would end before it
// starts, as DefectDojo does; before is the object changed (nil: new).
func checkDates(ob *object, vals map[string]any, before json.RawMessage) error {
	start, end := vals["target_start"], vals["target_end"]
	var old struct {
		Start string `json:"target_start"`
		End   string `json:"target_end"`
	}
	if before != nil {
		_ = json.Unmarshal(before, &old)
	}
	parse := func(v any, raw string) (time.Time, bool) {
		if t, ok := v.(time.Time); ok {
			return t, true
		}
		for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
			if t, err := time.Parse(layout, raw); err == nil {
				return t, true
			}
		}
		return time.Time{}, false
	}
	s, okS := parse(start, old.Start)
	e, okE := parse(end, old.End)
	if (ob.kind == "engagements" || ob.kind == "tests") && okS && okE && e.Before(s) {
		return &ValidationError{Errors: input.Errors{"non_field_errors": {"Your target start date exceeds your target end date"}}}
	}
	return nil
}

// uniqueViolation turns a unique violation that a concurrent request
// caused after checkFields into DefectDojo's answer.
func uniqueViolation(ob *object, err error) error {
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.Code == "23505" && len(ob.unique) > 0 {
		name := ob.unique[0]
		if strings.Contains(name, ",") {
			return &ValidationError{Errors: input.Errors{"non_field_errors": {
				fmt.Sprintf("The fields %s must make a unique set.", strings.ReplaceAll(name, ",", ", "))}}}
		}
		return &ValidationError{Errors: input.Errors{name: {fmt.Sprintf("%s with this %s already exists.", ob.model, name)}}}
	}
	return err
}

// EnsureTestTypes gives each scan type the service parses a test type,
// so that clients find it by name (GET /test_types/?name=) before its
// first import. Existing test types keep their ids.
func (s *Service) EnsureTestTypes(ctx context.Context, scanTypes []string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO test_types (name) SELECT unnest($1::text[]) ORDER BY 1 ON CONFLICT (name) DO NOTHING`, scanTypes)
	if err != nil {
		return fmt.Errorf("findings: adding the test types: %w", err)
	}
	return nil
}
