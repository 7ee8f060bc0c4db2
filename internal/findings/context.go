package findings

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ContextError is DefectDojo's 400 answer when the import's product,
// engagement or test cannot be found (or made): a JSON list of messages.
type ContextError struct{ Messages []string }

func (e *ContextError) Error() string { return fmt.Sprint(e.Messages) }

func contextErr(format string, args ...any) error {
	return &ContextError{Messages: []string{fmt.Sprintf(format, args...)}}
}

// Target names where an import goes: an engagement by id, or product type,
// product and engagement by name.
type Target struct {
	EngagementID      int
	ProductTypeName   string
	ProductName       string
	EngagementName    string
	AutoCreateContext bool
	// LeadID is the engagement lead when one is created (0: none).
	LeadID int
}

// DefaultProductType holds products auto-created without a product_type_name.
const DefaultProductType = "Default"

// resolved is where an import lands.
type resolved struct {
	productType, product, engagement int
}

// checkTarget refuses at once, before the report is read, an import whose
// product or engagement is missing and may not be created. It takes no
// lock and creates nothing: resolveEngagement decides for good.
func checkTarget(ctx context.Context, tx pgx.Tx, t Target) error {
	var missing error
	var query string
	var args []any
	switch {
	case t.EngagementID > 0:
		missing = contextErr("Engagement %d does not exist", t.EngagementID)
		query, args = `SELECT EXISTS (SELECT FROM engagements WHERE id = $1)`, []any{t.EngagementID}
	case t.ProductName == "":
		return contextErr("product_name parameter missing")
	case t.EngagementName == "":
		return contextErr("engagement_name parameter missing")
	case t.AutoCreateContext:
		return nil
	default:
		var product bool
		err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM products WHERE name = $1)`, t.ProductName).Scan(&product)
		if err != nil || !product {
			return orErr(err, contextErr("Product %q does not exist", t.ProductName))
		}
		missing = contextErr("Engagement %q does not exist in Product %q", t.EngagementName, t.ProductName)
		query = `SELECT EXISTS (SELECT FROM engagements e JOIN products p ON p.id = e.product WHERE p.name = $1 AND e.name = $2)`
		args = []any{t.ProductName, t.EngagementName}
	}
	var ok bool
	err := tx.QueryRow(ctx, query, args...).Scan(&ok)
	if err != nil || !ok {
		return orErr(err, missing)
	}
	return nil
}

// orErr is err, else missing.
func orErr(err, missing error) error {
	if err != nil {
		return err
	}
	return missing
}

// resolveEngagement finds (or, with AutoCreateContext, creates) the
// target's engagement, as DefectDojo does: the latest engagement of that
// name in the product; a new one is a CI/CD engagement, In Progress, from
// today for a year. It locks nothing that other imports of the product
// wait for, but the creation of an engagement (see lockEngagementName).
func resolveEngagement(ctx context.Context, tx pgx.Tx, t Target) (resolved, error) {
	var r resolved
	if t.EngagementID > 0 {
		err := tx.QueryRow(ctx, `
			SELECT e.id, p.id, p.prod_type FROM engagements e JOIN products p ON p.id = e.product
			WHERE e.id = $1`, t.EngagementID).Scan(&r.engagement, &r.product, &r.productType)
		if errors.Is(err, pgx.ErrNoRows) {
			return r, contextErr("Engagement %d does not exist", t.EngagementID)
		}
		return r, err
	}
	if t.ProductName == "" {
		return r, contextErr("product_name parameter missing")
	}
	if t.EngagementName == "" {
		return r, contextErr("engagement_name parameter missing")
	}
	err := tx.QueryRow(ctx, `SELECT id, prod_type FROM products WHERE name = $1`, t.ProductName).Scan(&r.product, &r.productType)
	switch {
	case errors.Is(err, pgx.ErrNoRows) && !t.AutoCreateContext:
		return r, contextErr("Product %q does not exist", t.ProductName)
	case errors.Is(err, pgx.ErrNoRows):
		// DefectDojo refuses to create a product without product_type_name;
		// SecBot files it under DefaultProductType so that CI uploads
		// naming only product and engagement work.
		typeName := t.ProductTypeName
		if typeName == "" {
			typeName = DefaultProductType
		}
		if r.productType, err = productTypeID(ctx, tx, typeName); err != nil {
			return r, err
		}
		// ON CONFLICT: a concurrent import may create the product first;
		// only a new statement's snapshot sees it then.
		if _, err = tx.Exec(ctx, `INSERT INTO products (name, prod_type) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
			t.ProductName, r.productType); err != nil {
			return r, err
		}
		err = tx.QueryRow(ctx, `SELECT id, prod_type FROM products WHERE name = $1`, t.ProductName).Scan(&r.product, &r.productType)
	}
	if err != nil {
		return r, err
	}
	const latest = `SELECT id FROM engagements WHERE product = $1 AND name = $2 ORDER BY id DESC LIMIT 1`
	err = tx.QueryRow(ctx, latest, r.product, t.EngagementName).Scan(&r.engagement)
	if !errors.Is(err, pgx.ErrNoRows) {
		return r, err
	}
	if !t.AutoCreateContext {
		return r, contextErr("Engagement %q does not exist in Product %q", t.EngagementName, t.ProductName)
	}
	// Look again holding the name's lock: a concurrent import may have
	// created the engagement meanwhile.
	if err := lockEngagementName(ctx, tx, r.product, t.EngagementName); err != nil {
		return r, err
	}
	err = tx.QueryRow(ctx, latest, r.product, t.EngagementName).Scan(&r.engagement)
	if !errors.Is(err, pgx.ErrNoRows) {
		return r, err
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	var lead *int
	if t.LeadID > 0 {
		lead = &t.LeadID
	}
	err = tx.QueryRow(ctx, `
		INSERT INTO engagements (product, name, target_start, target_end, lead)
		VALUES ($1, $2, $3, $4, (SELECT id FROM dd_users WHERE id = $5)) RETURNING id`,
		r.product, t.EngagementName, today, today.AddDate(0, 0, 365), lead).Scan(&r.engagement)
	return r, err
}

// lockEngagementName takes, until the transaction ends, the lock that
// keeps two imports from creating one engagement twice: an advisory lock
// on the product (negated, apart from lockKeys' locks) and the name.
func lockEngagementName(ctx context.Context, tx pgx.Tx, product int, name string) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(-$1::integer, hashtext($2))`, product, name); err != nil {
		return fmt.Errorf("locking engagement %q: %w", name, err)
	}
	return nil
}

// productTypeID returns the id of the named product type, creating it.
// Two statements on purpose: after ON CONFLICT waits for a concurrent
// insert, only a new statement's snapshot sees that row.
func productTypeID(ctx context.Context, tx pgx.Tx, name string) (int, error) {
	if _, err := tx.Exec(ctx, `INSERT INTO product_types (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, name); err != nil {
		return 0, err
	}
	var id int
	err := tx.QueryRow(ctx, `SELECT id FROM product_types WHERE name = $1`, name).Scan(&id)
	return id, err
}

// testTypeID returns the id of the named test type (a scan type),
// creating it, as productTypeID does, when the service has not yet.
func testTypeID(ctx context.Context, tx pgx.Tx, name string) (int, error) {
	var id int
	err := tx.QueryRow(ctx, `SELECT id FROM test_types WHERE name = $1`, name).Scan(&id)
	if !errors.Is(err, pgx.ErrNoRows) {
		return id, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO test_types (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, name); err != nil {
		return 0, err
	}
	err = tx.QueryRow(ctx, `SELECT id FROM test_types WHERE name = $1`, name).Scan(&id)
	return id, err
}
