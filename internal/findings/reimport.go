package findings

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ReimportOptions are the fields of a reimport-scan request.
type ReimportOptions struct {
	ImportOptions
	// TestID targets a test; else the latest test of the scan type (and
	// title, when given) in the engagement named by Target.
	TestID int
	// CloseOldFindings mitigates findings of the test the report no longer
	// has (DefectDojo's reimport default: true).
	CloseOldFindings bool
	// DoNotReactivate keeps mitigated findings mitigated when they return.
	DoNotReactivate bool
}

// Delta is what a reimport changed, as statistics.
type Delta struct {
	Created     Stats `json:"created"`
	Closed      Stats `json:"closed"`
	Reactivated Stats `json:"reactivated"`
	Untouched   Stats `json:"untouched"`
}

// ReimportResult is what a reimport did.
type ReimportResult struct {
	ImportResult
	Before Stats
	Delta  Delta
}

type existing struct {
	id                 int
	hash               string
	uniqueID           *string
	mitigated, triaged bool
}

// Reimport matches a report against one test: findings still reported are
// kept (and reactivated if they had been mitigated, unless
// DoNotReactivate; findings a person triaged keep their status), findings
// gone are closed when CloseOldFindings, and new ones are created and
// deduplicated against the product. With no test to match, it imports.
func (s *Service) Reimport(ctx context.Context, opt ReimportOptions, parsed []Finding) (ReimportResult, error) {
	return s.ReimportFrom(ctx, opt, FromList(parsed))
}

// ReimportFrom is Reimport reading the findings from src as it goes (see
// ImportFrom); memory grows with the target test, not with the report.
func (s *Service) ReimportFrom(ctx context.Context, opt ReimportOptions, src Source) (ReimportResult, error) {
	var res ReimportResult
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		r, test, err := resolveTest(ctx, tx, opt)
		if err != nil {
			return err
		}
		if test == 0 {
			return errNoTest
		}
		res.ProductType, res.Product, res.Engagement, res.Test = r.productType, r.product, r.engagement, test
		if res.Before, err = statsWhere(ctx, tx, "test = $1", test); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE tests SET tags = $2, updated = now() WHERE id = $1`, test, nonNil(opt.Tags)); err != nil {
			return err
		}
		return reimportInto(ctx, tx, r, test, opt, src, &res)
	})
	if errors.Is(err, errNoTest) {
		imported, err := s.ImportFrom(ctx, opt.ImportOptions, src)
		if err != nil {
			return res, err
		}
		res = ReimportResult{ImportResult: imported, Before: emptyStats(), Delta: Delta{Created: imported.After,
			Closed: emptyStats(), Reactivated: emptyStats(), Untouched: emptyStats()}}
		return res, nil
	}
	return res, err
}

var errNoTest = errors.New("no test to reimport into")

// reimportInto matches the report against the test's findings as it reads
// it, storing at once (in one COPY) the findings it cannot match, then
// reactivates, closes and deduplicates in bulk.
func reimportInto(ctx context.Context, tx pgx.Tx, r resolved, test int, opt ReimportOptions, src Source, res *ReimportResult) error {
	rows, err := tx.Query(ctx, `
		SELECT id, hash_code, unique_id_from_tool, is_mitigated, (false_p OR risk_accepted OR out_of_scope)
		FROM findings WHERE test = $1 ORDER BY id`, test)
	if err != nil {
		return err
	}
	var old existing
	var olds []existing
	if _, err := pgx.ForEachRow(rows, []any{&old.id, &old.hash, &old.uniqueID, &old.mitigated, &old.triaged}, func() error {
		olds = append(olds, old)
		return nil
	}); err != nil {
		return err
	}
	byHash, byUID := map[string]*existing{}, map[string]*existing{}
	for i := range olds {
		e := &olds[i]
		if _, ok := byHash[e.hash]; !ok {
			byHash[e.hash] = e
		}
		if e.uniqueID != nil {
			byUID[*e.uniqueID] = e
		}
	}
	var last int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM findings`).Scan(&last); err != nil {
		return err
	}
	useUID := DedupFor(opt.ScanType).Algorithm == ByUniqueIDOrHash
	matched := map[int]bool{}
	unmatched := func(p prepared) bool {
		e := byHash[p.hash]
		if useUID && p.UniqueIDFromTool != "" && byUID[p.UniqueIDFromTool] != nil {
			e = byUID[p.UniqueIDFromTool]
		}
		if e == nil {
			return true
		}
		matched[e.id] = true
		return false
	}
	if err := insertFindings(ctx, tx, r, test, opt.ImportOptions, src, unmatched); err != nil {
		return err
	}
	// Not nil: pgx sends a nil slice as NULL, and NOT (id = ANY(NULL)) is
	// never true, so an empty report would close nothing.
	reactivate, untouched, stillHere := []int{}, []int{}, []int{}
	for _, e := range olds {
		if !matched[e.id] {
			continue
		}
		stillHere = append(stillHere, e.id)
		if e.mitigated && !e.triaged && !opt.DoNotReactivate {
			reactivate = append(reactivate, e.id)
		} else {
			untouched = append(untouched, e.id)
		}
	}
	if _, err := tx.Exec(ctx, `
		UPDATE findings SET active = true, is_mitigated = false, mitigated = NULL, last_status_update = now()
		WHERE id = ANY($1)`, reactivate); err != nil {
		return fmt.Errorf("reactivating: %w", err)
	}
	var closed []int
	if opt.CloseOldFindings {
		rows, err := tx.Query(ctx, `
			UPDATE findings SET active = false, is_mitigated = true, mitigated = now(), last_status_update = now()
			WHERE test = $1 AND id <= $3 AND NOT is_mitigated AND NOT (id = ANY($2)) RETURNING id`, test, stillHere, last)
		if err != nil {
			return fmt.Errorf("closing old findings: %w", err)
		}
		if closed, err = pgx.CollectRows(rows, pgx.RowTo[int]); err != nil {
			return err
		}
	}
	if err := deduplicate(ctx, tx, test, last, opt.ScanType, opt.DedupOnEngagement); err != nil {
		return err
	}
	if res.Delta.Created, err = statsWhere(ctx, tx, "test = $1 AND id > $2", test, last); err != nil {
		return err
	}
	for dst, ids := range map[*Stats][]int{&res.Delta.Closed: closed, &res.Delta.Reactivated: reactivate, &res.Delta.Untouched: untouched} {
		if *dst, err = statsWhere(ctx, tx, "id = ANY($1)", ids); err != nil {
			return err
		}
	}
	res.After, err = statsWhere(ctx, tx, "test = $1", test)
	return err
}

// resolveTest finds the reimport's test: by id, or the latest test of the
// scan type (and title) in the target engagement. It returns test 0 when
// there is none yet.
func resolveTest(ctx context.Context, tx pgx.Tx, opt ReimportOptions) (resolved, int, error) {
	var r resolved
	var test int
	if opt.TestID > 0 {
		err := tx.QueryRow(ctx, `
			SELECT t.id, e.id, p.id, p.prod_type FROM tests t JOIN engagements e ON e.id = t.engagement
			JOIN products p ON p.id = e.product WHERE t.id = $1 FOR UPDATE OF t`, opt.TestID,
		).Scan(&test, &r.engagement, &r.product, &r.productType)
		if errors.Is(err, pgx.ErrNoRows) {
			return r, 0, contextErr("Test %d does not exist", opt.TestID)
		}
		return r, test, err
	}
	r, err := resolveEngagement(ctx, tx, opt.Target)
	if err != nil {
		return r, 0, err
	}
	err = tx.QueryRow(ctx, `
		SELECT id FROM tests WHERE engagement = $1 AND scan_type = $2 AND ($3 = '' OR title = $3)
		ORDER BY id DESC LIMIT 1 FOR UPDATE`, r.engagement, opt.ScanType, opt.TestTitle).Scan(&test)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, 0, nil
	}
	return r, test, err
}

func emptyStats() Stats {
	st := Stats{}
	for _, k := range []string{"info", "low", "medium", "high", "critical", "total"} {
		st[k] = SeverityStats{}
	}
	return st
}
