package findings

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/secbot/secbot/internal/findings/input"
)

// listFilter is a list's query parameter of another name than its
// field's (products' name_exact).
type listFilter struct {
	field string
	op    string // as field.filter
}

// filterOf returns the filter a list parameter names.
func (ob *object) filterOf(param string) (field, string, bool) {
	if lf, ok := ob.filters[param]; ok {
		f, _ := ob.field(lf.field)
		return f, lf.op, true
	}
	f, ok := ob.field(param)
	if !ok || f.filter == "" || f.kind == passwordField {
		return field{}, "", false
	}
	return f, f.filter, true
}

// ListError is a bad list query parameter.
type ListError struct{ Param, Message string }

func (e *ListError) Error() string { return e.Param + ": " + e.Message }

// List returns one page of the objects of a kind that u may see
// (kind) as JSON objects, with the count of all matches. params are the
// query's filters; unknown parameters are ignored, as DefectDojo does.
func (s *Service) List(ctx context.Context, kind string, u User, params map[string]string, limit, offset int) ([]json.RawMessage, int, error) {
	ob, err := lookup(kind)
	if err != nil {
		return nil, 0, err
	}
	var conds []string
	var args []any
	for param, value := range params {
		f, op, ok := ob.filterOf(param)
		if !ok || value == "" {
			continue
		}
		var v any = value
		switch op {
		case "any":
			errs := input.Errors{}
			ids := errs.IDs(param, value)
			if len(errs) > 0 {
				return nil, 0, &ListError{Param: param, Message: errs[param][0]}
			}
			v = ids
		case "ilike":
			v = escapeLike(value)
		case "bool":
			b, ok := ParseFilterBool(value)
			if !ok {
				return nil, 0, &ListError{Param: param, Message: "Select a valid choice. " + value + " is not one of the available choices."}
			}
			v = b
		}
		args = append(args, v)
		n := "$" + strconv.Itoa(len(args))
		col := "o." + pgx.Identifier{f.col()}.Sanitize()
		conds = append(conds, map[string]string{
			"=": col + " = " + n, "bool": col + " = " + n, "any": col + " = ANY(" + n + ")",
			"ilike": col + " ILIKE '%' || " + n + " || '%'", "tag": n + " = ANY(" + col + ")",
		}[op])
	}
	conds = append(conds, ob.visible(u, &args))
	where := strings.Join(conds, " AND ")
	var count int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM "+ob.table+" o WHERE "+where, args...).Scan(&count); err != nil {
		return nil, 0, fmt.Errorf("findings: counting %s: %w", kind, err)
	}
	// The page's ids first: the fields of the rows an offset skips are
	// never worked out.
	rows, err := s.pool.Query(ctx, fmt.Sprintf(`SELECT row_to_json(x) FROM (%s WHERE o.id IN (
			SELECT o.id FROM %s o WHERE %s ORDER BY o.id LIMIT %d OFFSET %d)) x ORDER BY id`,
		ob.selectSQL(), ob.table, where, limit, offset), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("findings: listing %s: %w", kind, err)
	}
	defer rows.Close()
	list := []json.RawMessage{}
	for rows.Next() {
		var raw json.RawMessage
		if err := rows.Scan(&raw); err != nil {
			return nil, 0, err
		}
		list = append(list, raw)
	}
	return list, count, rows.Err()
}
