package findings

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Open counts a product's (or all products') open findings by severity:
// active and not duplicates.
type Open map[string]int

// Total is the count over all severities.
func (o Open) Total() int {
	n := 0
	for _, v := range o {
		n += v
	}
	return n
}

// ProductSummary is a product with its open findings.
type ProductSummary struct {
	ID          int
	Name        string
	ProductType string
	// ProductTypeID is the product type's id (ProductType its name).
	ProductTypeID int
	Open          Open
}

// Overview returns the open findings of every product u may see by
// severity, and those products by name.
func (s *Service) Overview(ctx context.Context, u User) (Open, []ProductSummary, error) {
	return s.summaries(ctx, u, 0)
}

// ProductSummaryOf returns one product with its open findings, or
// ErrNotFound (also when u may not see it).
func (s *Service) ProductSummaryOf(ctx context.Context, u User, id int) (ProductSummary, error) {
	_, products, err := s.summaries(ctx, u, id)
	if err != nil {
		return ProductSummary{}, err
	}
	if len(products) == 0 {
		return ProductSummary{}, ErrNotFound
	}
	return products[0], nil
}

// summaries counts open findings by product and severity, of one product
// (product > 0) or of all.
func (s *Service) summaries(ctx context.Context, u User, product int) (Open, []ProductSummary, error) {
	args := []any{product}
	rows, err := s.pool.Query(ctx, `
		SELECT p.id, p.name, pt.id, pt.name, f.severity, count(f.id)
		FROM products p JOIN product_types pt ON pt.id = p.prod_type
		LEFT JOIN findings f ON f.product = p.id AND f.active AND NOT f.duplicate
		WHERE ($1 = 0 OR p.id = $1) AND `+readable(u, "p.id", &args)+`
		GROUP BY p.id, pt.id, f.severity ORDER BY p.name`, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("findings: overview: %w", err)
	}
	all := Open{}
	var products []ProductSummary
	byID := map[int]int{}
	var id, ptypeID, n int
	var name, ptype string
	var sev *string
	_, err = pgx.ForEachRow(rows, []any{&id, &name, &ptypeID, &ptype, &sev, &n}, func() error {
		i, ok := byID[id]
		if !ok {
			i = len(products)
			byID[id] = i
			products = append(products, ProductSummary{ID: id, Name: name, ProductTypeID: ptypeID, ProductType: ptype, Open: Open{}})
		}
		if sev != nil {
			products[i].Open[*sev] += n
			all[*sev] += n
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("findings: overview: %w", err)
	}
	return all, products, nil
}

// ScanTypesOf lists the scan types a product's tests have, for filters.
func (s *Service) ScanTypesOf(ctx context.Context, product int) ([]string, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT DISTINCT t.scan_type FROM tests t JOIN engagements e ON e.id = t.engagement
		WHERE e.product = $1 ORDER BY 1`, product)
	if err != nil {
		return nil, fmt.Errorf("findings: scan types of product %d: %w", product, err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// Event is one change of a finding's status: who, when, what.
type Event struct {
	At       time.Time
	Username string // "" when the user is gone or it was SecBot
	Change   Change
}

// Events lists a finding's status changes, oldest first.
func (s *Service) Events(ctx context.Context, finding int) ([]Event, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT e.at, coalesce(u.username, ''), e.change FROM finding_events e
		LEFT JOIN dd_users u ON u.id = e.user_id WHERE e.finding = $1 ORDER BY e.at, e.id`, finding)
	if err != nil {
		return nil, fmt.Errorf("findings: history of %d: %w", finding, err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Event, error) {
		var e Event
		var raw []byte
		if err := row.Scan(&e.At, &e.Username, &raw); err != nil {
			return e, err
		}
		return e, json.Unmarshal(raw, &e.Change)
	})
}

// Origin is where a finding was found: its test, engagement and product.
type Origin struct {
	ScanType, TestTitle, CommitHash string
	Engagement, Product             string
	ProductID                       int
}

// OriginOf returns the test, engagement and product of a finding.
func (s *Service) OriginOf(ctx context.Context, f Stored) (Origin, error) {
	var o Origin
	err := s.pool.QueryRow(ctx, `
		SELECT t.scan_type, t.title, coalesce(nullif(t.commit_hash, ''), e.commit_hash), e.name, p.name, p.id
		FROM tests t JOIN engagements e ON e.id = t.engagement JOIN products p ON p.id = e.product
		WHERE t.id = $1`, f.Test).Scan(&o.ScanType, &o.TestTitle, &o.CommitHash, &o.Engagement, &o.Product, &o.ProductID)
	if err != nil {
		return o, fmt.Errorf("findings: origin of %d: %w", f.ID, err)
	}
	return o, nil
}
