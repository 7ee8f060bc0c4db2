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

// Reimport matches a report against one test: findings still reported are
// kept (and reactivated if they had been mitigated, unless
// DoNotReactivate; findings a person triaged keep their status), findings
// gone are closed when CloseOldFindings, and new ones are created and
// deduplicated against the product. With no test to match, it imports.
func (s *Service) Reimport(ctx context.Context, opt ReimportOptions, parsed []Finding) (ReimportResult, error) {
	return s.ReimportFrom(ctx, opt, FromList(parsed))
}

// ReimportFrom is Reimport reading the findings from src as it goes, in
// ImportFrom's two steps: the report is staged with no lock, then matched
// against the test holding its findings' key locks and the test's row
// lock.
func (s *Service) ReimportFrom(ctx context.Context, opt ReimportOptions, src Source) (ReimportResult, error) {
	release, err := s.memory.reserve(ctx, opt.ReportBytes)
	if err != nil {
		return ReimportResult{}, err
	}
	defer release()
	var res ReimportResult
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := checkReimportTarget(ctx, tx, opt); err != nil {
			return err
		}
		if err := stage(ctx, tx, opt.ImportOptions, src); err != nil {
			return err
		}
		r, test, err := resolveTest(ctx, tx, opt)
		if err != nil {
			return err
		}
		if test == 0 {
			imported, err := importInto(ctx, tx, r, opt.ImportOptions)
			res = ReimportResult{ImportResult: imported, Before: emptyStats(), Delta: Delta{Created: imported.After,
				Closed: emptyStats(), Reactivated: emptyStats(), Untouched: emptyStats()}}
			return err
		}
		res.ProductType, res.Product, res.Engagement, res.Test = r.productType, r.product, r.engagement, test
		if err := lockKeys(ctx, tx, r.product, opt.ImportOptions, allStaged); err != nil {
			return err
		}
		// The test's row lock, until the commit, makes reimports into one
		// test wait for each other: each matches what the last one left.
		if err := updateTestMeta(ctx, tx, test, opt.ImportOptions); err != nil {
			return err
		}
		if res.Before, err = statsWhere(ctx, tx, "test = $1", test); err != nil {
			return err
		}
		return reimportInto(ctx, tx, r, test, opt, &res)
	})
	return res, err
}

// reimportInto matches the staged report against the test's findings in
// bulk, inserts (deduplicated) the findings the test lacks, then
// reactivates and closes. A staged finding matches, as DefectDojo's
// reimport matches, a finding of the test with its unique_id_from_tool
// (for the algorithms that use it), else one with its hash_code (for the
// algorithms that use it). The report's n-th finding of a key matches the
// test's n-th (by unique id the latest first, by hash_code the oldest), so
// a report that holds a finding twice, reimported, matches both copies and
// closes neither; a copy more than the test has matches the test's latest
// (by unique id) or first (by hash_code).
func reimportInto(ctx context.Context, tx pgx.Tx, r resolved, test int, opt ReimportOptions, res *ReimportResult) error {
	algo := DedupFor(opt.ScanType).Algorithm
	_, err := tx.Exec(ctx, `
		UPDATE staged s SET matched = m.id FROM (
			SELECT s.ord, coalesce(ur.id, u.id, r.id, h.id) AS id
			FROM (SELECT ord, hash_code, unique_id_from_tool, row_number() OVER (PARTITION BY hash_code ORDER BY ord) AS rank,
			             row_number() OVER (PARTITION BY unique_id_from_tool ORDER BY ord) AS urank
			      FROM staged) s
			LEFT JOIN (SELECT unique_id_from_tool, id, row_number() OVER (PARTITION BY unique_id_from_tool ORDER BY id DESC) AS rank
			           FROM findings WHERE $2 AND test = $1 AND unique_id_from_tool IS NOT NULL) ur
			  ON ur.unique_id_from_tool = s.unique_id_from_tool AND ur.rank = s.urank
			LEFT JOIN (SELECT hash_code, id, row_number() OVER (PARTITION BY hash_code ORDER BY id) AS rank
			           FROM findings WHERE $3 AND test = $1) r
			  ON r.hash_code = s.hash_code AND r.rank = s.rank
			LEFT JOIN (SELECT hash_code, min(id) AS id FROM findings WHERE $3 AND test = $1 GROUP BY hash_code) h
			  ON h.hash_code = s.hash_code
			LEFT JOIN (SELECT unique_id_from_tool, max(id) AS id FROM findings
			           WHERE $2 AND test = $1 AND unique_id_from_tool IS NOT NULL GROUP BY unique_id_from_tool) u
			  ON u.unique_id_from_tool = s.unique_id_from_tool
		) m WHERE s.ord = m.ord AND m.id IS NOT NULL`, test, algo.usesUniqueID(), algo.usesHash())
	if err != nil {
		return fmt.Errorf("matching the report against test %d: %w", test, err)
	}
	var last int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM findings`).Scan(&last); err != nil {
		return err
	}
	if err := insertStaged(ctx, tx, r, test, opt.ImportOptions, unmatchedStaged); err != nil {
		return err
	}
	// A finding found again was checked again: it takes the newer check.
	if _, err := tx.Exec(ctx, `
		UPDATE findings f SET validity = s.validity, validity_checked_at = s.validity_checked_at,
			validity_owner = s.validity_owner, validity_scopes = s.validity_scopes, revocation = coalesce(s.revocation, f.revocation)
		FROM staged s WHERE f.id = s.matched AND s.validity_checked_at IS NOT NULL
		  AND (f.validity_checked_at IS NULL OR f.validity_checked_at < s.validity_checked_at)`); err != nil {
		return fmt.Errorf("updating validity: %w", err)
	}
	if err := refreshValidity(ctx, tx, test, 0); err != nil {
		return err
	}
	// Not nil: pgx sends a nil slice as NULL, and NOT (id = ANY(NULL)) is
	// never true.
	reactivated := []int{}
	if !opt.DoNotReactivate {
		if reactivated, err = ids(tx.Query(ctx, `
			UPDATE findings SET active = true, is_mitigated = false, mitigated = NULL, last_status_update = now()
			WHERE id IN (SELECT matched FROM staged) AND is_mitigated AND NOT (false_p OR risk_accepted OR out_of_scope)
			RETURNING id`)); err != nil {
			return fmt.Errorf("reactivating: %w", err)
		}
	}
	untouched, err := ids(tx.Query(ctx, `
		SELECT DISTINCT matched FROM staged WHERE matched IS NOT NULL AND NOT (matched = ANY($1))`, reactivated))
	if err != nil {
		return err
	}
	closed := []int{}
	if opt.CloseOldFindings {
		if closed, err = ids(tx.Query(ctx, `
			UPDATE findings SET active = false, is_mitigated = true, mitigated = now(), last_status_update = now()
			WHERE test = $1 AND id <= $2 AND NOT is_mitigated
			  AND id NOT IN (SELECT matched FROM staged WHERE matched IS NOT NULL) RETURNING id`, test, last)); err != nil {
			return fmt.Errorf("closing old findings: %w", err)
		}
	}
	if res.Delta.Created, err = statsWhere(ctx, tx, "test = $1 AND id > $2", test, last); err != nil {
		return err
	}
	for dst, list := range map[*Stats][]int{&res.Delta.Closed: closed, &res.Delta.Reactivated: reactivated, &res.Delta.Untouched: untouched} {
		if *dst, err = statsWhere(ctx, tx, "id = ANY($1)", list); err != nil {
			return err
		}
	}
	res.After, err = statsWhere(ctx, tx, "test = $1", test)
	return err
}

// updateTestMeta gives a reimported test what DefectDojo's reimport
// gives it: the version, build, commit and branch sent (those not sent
// are kept), and the tags sent, when there are any (else it keeps its
// own, so a reimport without tags does not wipe what a person added).
func updateTestMeta(ctx context.Context, tx pgx.Tx, test int, opt ImportOptions) error {
	_, err := tx.Exec(ctx, `
		UPDATE tests SET tags = CASE WHEN cardinality($2::text[]) > 0 THEN $2 ELSE tags END,
		  version = coalesce(nullif($3, ''), version), build_id = coalesce(nullif($4, ''), build_id),
		  commit_hash = coalesce(nullif($5, ''), commit_hash), branch_tag = coalesce(nullif($6, ''), branch_tag),
		  updated = now()
		WHERE id = $1`, test, nonNil(opt.Tags), opt.Version, opt.BuildID, opt.CommitHash, opt.BranchTag)
	if err != nil {
		return fmt.Errorf("updating test %d: %w", test, err)
	}
	return nil
}

// ids collects a query's one integer column, never as a nil slice.
func ids(rows pgx.Rows, err error) ([]int, error) {
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if list == nil {
		list = []int{}
	}
	return list, err
}

// checkReimportTarget refuses at once, before the report is read, a
// reimport whose test is missing (see checkTarget for the rest).
func checkReimportTarget(ctx context.Context, tx pgx.Tx, opt ReimportOptions) error {
	if opt.TestID <= 0 {
		return checkTarget(ctx, tx, opt.Target)
	}
	var ok bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM tests WHERE id = $1)`, opt.TestID).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return contextErr("Test %d does not exist", opt.TestID)
	}
	return nil
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
			JOIN products p ON p.id = e.product WHERE t.id = $1`, opt.TestID,
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
		ORDER BY id DESC LIMIT 1`, r.engagement, opt.ScanType, opt.TestTitle).Scan(&test)
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
