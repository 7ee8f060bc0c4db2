package findings

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Member is one user's role in a product or a product type, as the pages
// list them.
type Member struct {
	ID       int // the membership's id (product_members/ or product_type_members/)
	UserID   int
	Username string
	Role     int
	RoleName string
}

// Role is one of DefectDojo's roles.
type Role struct {
	ID      int
	Name    string
	IsOwner bool
}

// memberKinds are the object kinds that give a role in something, and
// the column naming what.
var memberKinds = map[string]string{"product_members": "product", "product_type_members": "product_type"}

// Members lists the members of a product (kind "product_members") or a
// product type ("product_type_members") by username; u must see it
// (else ErrNotFound).
func (s *Service) Members(ctx context.Context, u User, kind string, in int) ([]Member, error) {
	col, ok := memberKinds[kind]
	if !ok {
		return nil, fmt.Errorf("findings: %q holds no members", kind)
	}
	have, err := s.permissionIn(ctx, u, col, in)
	if err != nil {
		return nil, err
	}
	if have == 0 {
		return nil, ErrNotFound
	}
	rows, err := s.pool.Query(ctx, `
		SELECT m.id, u.id, u.username, r.id, r.name FROM `+kind+` m
		JOIN dd_users u ON u.id = m.user_id JOIN dd_roles r ON r.id = m.role
		WHERE m.`+col+` = $1 ORDER BY u.username`, in)
	if err != nil {
		return nil, fmt.Errorf("findings: listing members: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Member])
}

// Roles are DefectDojo's roles, by id.
func (s *Service) Roles(ctx context.Context) ([]Role, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, name, is_owner FROM dd_roles ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("findings: listing roles: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Role])
}

// UserIDByName is the id of the active user of that username, for the
// member forms (DefectDojo's offer every user to a product's
// Maintainers): ErrNotFound when there is none.
func (s *Service) UserIDByName(ctx context.Context, username string) (int, error) {
	var id int
	err := s.pool.QueryRow(ctx, `SELECT id FROM dd_users WHERE username = $1 AND is_active`, username).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, ErrNotFound
	}
	return id, err
}

// permissionIn is u's permission on a product (col "product") or on a
// product type ("product_type").
func (s *Service) permissionIn(ctx context.Context, u User, col string, in int) (Permission, error) {
	if col == "product_type" {
		have, err := s.PermissionOnProductType(ctx, u, in)
		if err != nil || have > 0 || u.IsSuperuser {
			return have, err
		}
		var seen bool
		args := []any{in}
		err = s.pool.QueryRow(ctx, `SELECT `+viaProducts(u, "$1", &args), args...).Scan(&seen)
		if err != nil || !seen {
			return 0, err
		}
		return View, nil
	}
	return s.PermissionOn(ctx, u, in)
}

// authorizeOwnerRole keeps the Owner role the Owners': as in DefectDojo,
// only an Owner of a product (or product type), or a superuser, makes
// someone its Owner or changes or removes an Owner's membership, so that
// a Maintainer cannot raise themselves. id is the membership changed or
// removed (0 on create); vals the fields sent.
func (s *Service) authorizeOwnerRole(ctx context.Context, q querier, u User, ob *object, id int, vals map[string]any) error {
	col, ok := memberKinds[ob.kind]
	if u.IsSuperuser || !ok {
		return nil
	}
	roles := []any{vals["role"]}
	in, _ := vals[col].(int)
	if id != 0 {
		var role int
		if err := q.QueryRow(ctx, `SELECT role, `+col+` FROM `+ob.kind+` WHERE id = $1`, id).Scan(&role, &in); err != nil {
			return err
		}
		roles = append(roles, role)
	}
	var owner bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT FROM dd_roles WHERE is_owner AND id = ANY($1::integer[]))`, ints(roles)).Scan(&owner); err != nil {
		return err
	}
	if !owner {
		return nil
	}
	have, err := s.permissionIn(ctx, u, col, in)
	if err != nil {
		return err
	}
	if have < Own {
		return ErrForbidden
	}
	return nil
}

// ints keeps the ints of vs.
func ints(vs []any) []int {
	var out []int
	for _, v := range vs {
		if n, ok := v.(int); ok {
			out = append(out, n)
		}
	}
	return out
}

// ProductTypeName is the name of a product type (ErrNotFound when there
// is none); callers check that the user may see it.
func (s *Service) ProductTypeName(ctx context.Context, id int) (string, error) {
	var name string
	err := s.pool.QueryRow(ctx, `SELECT name FROM product_types WHERE id = $1`, id).Scan(&name)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", ErrNotFound
	}
	return name, err
}

// WorkerUser is the user the reporter makes for the worker's defectdojo
// output when SECBOT_WORKER_TOKEN is set.
const WorkerUser = "secbot-worker"

// EnsureWorker makes (or keeps) the worker's user: not a superuser, no
// password, a Maintainer of each named product type (made when missing:
// one per GitLab instance, named for its host as the output names them)
// and of nothing else, with token as its API token. A Maintainer of a
// product type creates the projects' products in it (auto_create_context)
// and imports into them; it cannot see or touch other product types, or
// users. Existing memberships are kept: an admin may give it more.
func (s *Service) EnsureWorker(ctx context.Context, token string, productTypes []string) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `
			INSERT INTO dd_users (username, password_hash, is_superuser, first_name) VALUES ($1, $2, false, 'SecBot worker')
			ON CONFLICT (username) DO NOTHING`, WorkerUser, unusablePassword); err != nil {
			return fmt.Errorf("findings: creating the worker's user: %w", err)
		}
		var id int
		var super bool
		if err := tx.QueryRow(ctx, `SELECT id, is_superuser FROM dd_users WHERE username = $1`, WorkerUser).Scan(&id, &super); err != nil {
			return fmt.Errorf("findings: loading the worker's user: %w", err)
		}
		for _, name := range productTypes {
			if _, err := tx.Exec(ctx, `INSERT INTO product_types (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, name); err != nil {
				return fmt.Errorf("findings: creating product type %q for the worker: %w", name, err)
			}
			if _, err := tx.Exec(ctx, `
				INSERT INTO product_type_members (product_type, user_id, role)
				SELECT id, $2, $3 FROM product_types WHERE name = $1
				ON CONFLICT (product_type, user_id) DO NOTHING`, name, id, RoleMaintainer); err != nil {
				return fmt.Errorf("findings: making the worker a Maintainer of %q: %w", name, err)
			}
		}
		_, err := tx.Exec(ctx, `
			INSERT INTO dd_tokens (user_id, key_hash, origin) VALUES ($1, $2, 'env')
			ON CONFLICT (key_hash) DO UPDATE SET user_id = EXCLUDED.user_id`, id, tokenHash(token))
		return err
	})
}
