package findings

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/secbot/secbot/internal/findings/input"
)

// listFilter is one query parameter a list accepts.
type listFilter struct {
	column string
	// op is "=" (exact), "ilike" (substring), "any" (comma-separated ids)
	// or "tag" (value in the tags array).
	op string
}

// listing describes one of the context lists (/products/ and the like).
type listing struct {
	query   string // selects the JSON columns, aliased as DefectDojo names them
	filters map[string]listFilter
}

var listings = map[string]listing{
	"product_types": {
		query:   `SELECT id, name, created, updated FROM product_types`,
		filters: map[string]listFilter{"name": {"name", "="}, "id": {"id", "any"}},
	},
	"products": {
		query:   `SELECT id, name, description, prod_type, created, updated FROM products`,
		filters: map[string]listFilter{"name": {"name", "ilike"}, "name_exact": {"name", "="}, "prod_type": {"prod_type", "any"}, "id": {"id", "any"}},
	},
	"engagements": {
		query: `SELECT id, name, product, target_start, target_end, engagement_type, status, lead, version, build_id,
			commit_hash, branch_tag, source_code_management_uri, created, updated FROM engagements`,
		filters: map[string]listFilter{"product": {"product", "any"}, "name": {"name", "="}, "id": {"id", "any"}},
	},
	"tests": {
		query: `SELECT id, engagement, scan_type, scan_type AS test_type_name, title, tags, version, build_id, commit_hash,
			branch_tag, target_start, target_end, created, updated FROM tests`,
		filters: map[string]listFilter{"engagement": {"engagement", "any"}, "scan_type": {"scan_type", "="},
			"title": {"title", "="}, "tags": {"tags", "tag"}, "id": {"id", "any"}},
	},
}

// ListError is a bad list query parameter.
type ListError struct{ Param, Message string }

func (e *ListError) Error() string { return e.Param + ": " + e.Message }

// List returns one page of product types, products, engagements or tests
// (kind) as JSON objects, with the count of all matches. params are the
// query's filters; unknown parameters are ignored, as DefectDojo does.
func (s *Service) List(ctx context.Context, kind string, params map[string]string, limit, offset int) ([]json.RawMessage, int, error) {
	l, ok := listings[kind]
	if !ok {
		return nil, 0, fmt.Errorf("findings: no list %q", kind)
	}
	var conds []string
	var args []any
	for param, value := range params {
		f, ok := l.filters[param]
		if !ok || value == "" {
			continue
		}
		var v any = value
		switch f.op {
		case "any":
			errs := input.Errors{}
			ids := errs.IDs(param, value)
			if len(errs) > 0 {
				return nil, 0, &ListError{Param: param, Message: errs[param][0]}
			}
			v = ids
		case "ilike":
			v = escapeLike(value)
		}
		args = append(args, v)
		n := "$" + strconv.Itoa(len(args))
		conds = append(conds, map[string]string{
			"=": f.column + " = " + n, "any": f.column + " = ANY(" + n + ")",
			"ilike": f.column + " ILIKE '%' || " + n + " || '%'", "tag": n + " = ANY(" + f.column + ")",
		}[f.op])
	}
	where := "true"
	if len(conds) > 0 {
		where = strings.Join(conds, " AND ")
	}
	var count int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM ("+l.query+") x WHERE "+where, args...).Scan(&count); err != nil {
		return nil, 0, fmt.Errorf("findings: counting %s: %w", kind, err)
	}
	rows, err := s.pool.Query(ctx, fmt.Sprintf("SELECT row_to_json(x) FROM (%s) x WHERE %s ORDER BY id LIMIT %d OFFSET %d",
		l.query, where, limit, offset), args...)
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
