package findings

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Permissions follow DefectDojo 2.x's roles: a user's role on a product is
// the best of their global role, their role in the product's type and
// their role in the product; superusers may do everything.

// Permission is what a request needs on a product.
type Permission int

// The permissions, each role having those up to its own.
const (
	// View reads the product, its engagements, tests and findings.
	View Permission = iota + 1
	// Import imports and reimports, and creates and changes the product's
	// engagements and tests (what dd-import and CI jobs do).
	Import
	// Write triages findings and adds notes.
	Write
	// Maintain changes the product and its members, and deletes its
	// engagements and tests.
	Maintain
	// Own deletes the product.
	Own
)

// DefectDojo's role ids.
const (
	RoleAPIImporter = 1
	RoleWriter      = 2
	RoleMaintainer  = 3
	RoleOwner       = 4
	RoleReader      = 5
)

// ErrForbidden means the user may see the object but not do this to it
// (403); an object the user may not see is ErrNotFound (404), as in
// DefectDojo, so that ids do not leak.
var ErrForbidden = errors.New("findings: you do not have permission to perform this action")

// rolePermissions is SQL of each role's strongest permission: Reader
// View, API Importer Import, Writer Write, Maintainer Maintain, Owner Own.
const rolePermissions = "(VALUES (5, 1), (1, 2), (2, 3), (3, 4), (4, 5))"

// grants is the SQL of the strongest permission of a user on each
// product they have any role on (a global role: on all); user is the
// query parameter holding the user's id ("$1").
func grants(user string) string {
	return `
	SELECT p.id AS product, max(g.permission) AS permission FROM products p
	JOIN (
		SELECT NULL::integer AS product, NULL::integer AS product_type, role FROM global_roles WHERE user_id = ` + user + `
		UNION ALL SELECT product, NULL, role FROM product_members WHERE user_id = ` + user + `
		UNION ALL SELECT NULL, product_type, role FROM product_type_members WHERE user_id = ` + user + `
	) m ON (m.product IS NULL AND m.product_type IS NULL) OR m.product = p.id OR m.product_type = p.prod_type
	JOIN ` + rolePermissions + ` AS g (role, permission) ON g.role = m.role
	GROUP BY p.id`
}

// PermissionOn is the strongest permission u has on a product: 0 for none.
func (s *Service) PermissionOn(ctx context.Context, u User, product int) (Permission, error) {
	if u.IsSuperuser {
		return Own, nil
	}
	var p *int
	err := s.pool.QueryRow(ctx, `SELECT max(permission) FROM (`+grants("$1")+`) g WHERE product = $2`, u.ID, product).Scan(&p)
	if err != nil {
		return 0, fmt.Errorf("findings: the permissions of user %d: %w", u.ID, err)
	}
	if p == nil {
		return 0, nil
	}
	return Permission(*p), nil
}

// Check is nil when u may do what needs want on a product; else
// ErrNotFound when u may not even see it, ErrForbidden when u may.
func (s *Service) Check(ctx context.Context, u User, want Permission, product int) error {
	have, err := s.PermissionOn(ctx, u, product)
	switch {
	case err != nil:
		return err
	case have == 0:
		return ErrNotFound
	case have < want:
		return ErrForbidden
	}
	return nil
}

// PermissionOnProductType is the strongest permission u has on a
// product type itself: its membership or the global role (a product's
// membership gives none on its type).
func (s *Service) PermissionOnProductType(ctx context.Context, u User, productType int) (Permission, error) {
	if u.IsSuperuser {
		return Own, nil
	}
	var role *int
	err := s.pool.QueryRow(ctx, `
		SELECT max(g.permission) FROM (
			SELECT role FROM global_roles WHERE user_id = $1
			UNION ALL SELECT role FROM product_type_members WHERE user_id = $1 AND product_type = $2
		) m JOIN `+rolePermissions+` AS g (role, permission) ON g.role = m.role`,
		u.ID, productType).Scan(&role)
	if err != nil || role == nil {
		return 0, err
	}
	return Permission(*role), nil
}

// readable is the SQL condition (over a products id expression) that
// keeps what u may see; args are appended to.
func readable(u User, productExpr string, args *[]any) string {
	if u.IsSuperuser {
		return "true"
	}
	*args = append(*args, u.ID)
	n := fmt.Sprintf("$%d", len(*args))
	return productExpr + " IN (SELECT product FROM (" + grants(n) + ") g)"
}

// AuthorizeImport is nil when u may import into the target (or reimport
// into test testID): Import on its product, or, when auto_create_context
// is to create the product, Maintain on its product type (a type that
// does not exist yet only a superuser may create). A target u may not see
// is ErrNotFound, as one that does not exist.
func (s *Service) AuthorizeImport(ctx context.Context, u User, t Target, testID int) error {
	if u.IsSuperuser {
		return nil
	}
	var product, productType *int
	var err error
	switch {
	case testID > 0:
		err = s.pool.QueryRow(ctx, `SELECT e.product FROM tests t JOIN engagements e ON e.id = t.engagement WHERE t.id = $1`, testID).Scan(&product)
	case t.EngagementID > 0:
		err = s.pool.QueryRow(ctx, `SELECT product FROM engagements WHERE id = $1`, t.EngagementID).Scan(&product)
	default:
		err = s.pool.QueryRow(ctx, `SELECT (SELECT id FROM products WHERE name = $1), (SELECT id FROM product_types WHERE name = $2)`,
			t.ProductName, orDefault(t.ProductTypeName)).Scan(&product, &productType)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // the import says what is missing
	}
	if err != nil {
		return fmt.Errorf("findings: finding the import's product: %w", err)
	}
	if product != nil {
		return s.Check(ctx, u, Import, *product)
	}
	if !t.AutoCreateContext {
		return nil // the import says what is missing
	}
	if productType == nil {
		return ErrForbidden // creating a product type is for superusers
	}
	have, err := s.PermissionOnProductType(ctx, u, *productType)
	if err != nil {
		return err
	}
	if have < Maintain {
		return ErrForbidden
	}
	return nil
}

// orDefault is a product type's name, DefaultProductType when none.
func orDefault(name string) string {
	if name == "" {
		return DefaultProductType
	}
	return name
}

// CheckFinding is Check on the product of a finding: ErrNotFound also for
// a finding that does not exist.
func (s *Service) CheckFinding(ctx context.Context, u User, want Permission, finding int) error {
	var product int
	err := s.pool.QueryRow(ctx, `SELECT product FROM findings WHERE id = $1`, finding).Scan(&product)
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("findings: the product of finding %d: %w", finding, err)
	}
	return s.Check(ctx, u, want, product)
}
