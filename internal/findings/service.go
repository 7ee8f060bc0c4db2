package findings

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Service is the findings service over PostgreSQL.
type Service struct {
	pool   *pgxpool.Pool
	memory *memoryBudget
	// passwordCost is bcrypt's cost; dummy, made once, a hash of that cost.
	passwordCost int
	dummyOnce    sync.Once
	dummy        []byte
}

// NewService returns a service on the database of pool (migrated by store).
func NewService(pool *pgxpool.Pool, opts ...Option) *Service {
	s := &Service{pool: pool, memory: newMemoryBudget(DefaultImportMemory), passwordCost: DefaultPasswordCost}
	for _, o := range opts {
		o(s)
	}
	return s
}

// ImportOptions are the fields of an import-scan request.
type ImportOptions struct {
	Target
	ScanType  string
	TestTitle string
	// ScanDate, when set, is every finding's date.
	ScanDate time.Time
	// MinimumSeverity drops less severe findings (default Info: none).
	MinimumSeverity string
	// Active and Verified, when set, override the parser's values.
	Active, Verified    *bool
	Tags                []string
	ApplyTagsToFindings bool
	// DedupOnEngagement limits deduplication to the engagement.
	DedupOnEngagement bool
	// CloseOldFindings (import only: a reimport has its own) mitigates the
	// findings of earlier tests of the scan type in the engagement, or
	// with CloseOldProductScope in the product, that the report lacks.
	CloseOldFindings, CloseOldProductScope bool
	Version, BuildID                       string
	BranchTag                              string
	CommitHash                             string
	Service                                string
	// ReportBytes is the size of the report the findings come from: what
	// the import reserves memory for, and what bounds the text it may
	// store. 0 for findings already in memory.
	ReportBytes int64
}

// SeverityStats counts findings of one severity (or all) by status.
type SeverityStats struct {
	Active       int `json:"active"`
	Verified     int `json:"verified"`
	Duplicate    int `json:"duplicate"`
	FalseP       int `json:"false_p"`
	OutOfScope   int `json:"out_of_scope"`
	IsMitigated  int `json:"is_mitigated"`
	RiskAccepted int `json:"risk_accepted"`
	Total        int `json:"total"`
}

// Stats are DefectDojo's import statistics: info, low, medium, high,
// critical and total.
type Stats map[string]SeverityStats

// ImportResult is what an import made.
type ImportResult struct {
	ProductType, Product, Engagement, Test int
	After                                  Stats
}

// Import stores findings as a new test, deduplicating them against the
// product (or engagement) synchronously. It is all or nothing.
func (s *Service) Import(ctx context.Context, opt ImportOptions, parsed []Finding) (ImportResult, error) {
	return s.ImportFrom(ctx, opt, FromList(parsed))
}

// ImportFrom is Import reading the findings from src as it stores them, so
// a report of any size takes little memory. An error of src (a report that
// turns out broken halfway) is a *ReportError, and nothing is stored.
//
// The import is one transaction in two steps, so that reading a large
// report holds up no other import: the report is parsed into a staging
// table first, with no lock; then the import resolves its context and,
// holding the locks of its findings' dedup keys until the commit
// (lockKeys), inserts them with their duplicates marked, in a few
// statements whatever its size.
func (s *Service) ImportFrom(ctx context.Context, opt ImportOptions, src Source) (ImportResult, error) {
	release, err := s.memory.reserve(ctx, opt.ReportBytes)
	if err != nil {
		return ImportResult{}, err
	}
	defer release()
	var res ImportResult
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := checkTarget(ctx, tx, opt.Target); err != nil {
			return err
		}
		if err := stage(ctx, tx, opt, src); err != nil {
			return err
		}
		r, err := resolveEngagement(ctx, tx, opt.Target)
		if err != nil {
			return err
		}
		res, err = importInto(ctx, tx, r, opt)
		return err
	})
	return res, err
}

// importInto stores the staged findings as a new test of r's engagement.
func importInto(ctx context.Context, tx pgx.Tx, r resolved, opt ImportOptions) (ImportResult, error) {
	res := ImportResult{ProductType: r.productType, Product: r.product, Engagement: r.engagement}
	if err := lockKeys(ctx, tx, r.product, opt, allStaged); err != nil {
		return res, err
	}
	testType, err := testTypeID(ctx, tx, opt.ScanType)
	if err != nil {
		return res, err
	}
	err = tx.QueryRow(ctx, `
		INSERT INTO tests (engagement, scan_type, test_type, title, tags, version, build_id, commit_hash, branch_tag)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		r.engagement, opt.ScanType, testType, opt.TestTitle, nonNil(opt.Tags), opt.Version, opt.BuildID, opt.CommitHash, opt.BranchTag,
	).Scan(&res.Test)
	if err != nil {
		return res, fmt.Errorf("creating test: %w", err)
	}
	if err := insertStaged(ctx, tx, r, res.Test, opt, allStaged); err != nil {
		return res, err
	}
	if opt.CloseOldFindings {
		if err := closeOld(ctx, tx, r, res.Test, opt); err != nil {
			return res, err
		}
	}
	res.After, err = statsWhere(ctx, tx, "test = $1", res.Test)
	return res, err
}

// closeOld mitigates, as DefectDojo's import with close_old_findings does,
// the open findings of the engagement's (or product's) other tests of the
// scan type that the new test does not have: none of its findings shares
// their hash_code or, for the algorithms that use it, unique_id_from_tool.
func closeOld(ctx context.Context, tx pgx.Tx, r resolved, test int, opt ImportOptions) error {
	scope := "f.engagement = $2"
	if opt.CloseOldProductScope {
		scope = "f.product = $3"
	}
	_, err := tx.Exec(ctx, `
		UPDATE findings f SET active = false, is_mitigated = true, mitigated = now(), last_status_update = now()
		WHERE `+scope+` AND f.test <> $1 AND NOT f.is_mitigated
		  AND f.test IN (SELECT t.id FROM tests t JOIN engagements e ON e.id = t.engagement
		                 WHERE e.product = $3 AND t.scan_type = $4)
		  AND NOT EXISTS (SELECT FROM findings n WHERE n.test = $1 AND n.hash_code = f.hash_code)
		  AND NOT ($5 AND f.unique_id_from_tool IS NOT NULL AND EXISTS (
		      SELECT FROM findings n WHERE n.test = $1 AND n.unique_id_from_tool = f.unique_id_from_tool))`,
		test, r.engagement, r.product, opt.ScanType, DedupFor(opt.ScanType).Algorithm.usesUniqueID())
	if err != nil {
		return fmt.Errorf("closing old findings: %w", err)
	}
	return nil
}

// statsWhere counts the findings matching a condition on the findings
// table (with its arguments) by severity and status.
func statsWhere(ctx context.Context, tx pgx.Tx, cond string, args ...any) (Stats, error) {
	stats := emptyStats()
	rows, err := tx.Query(ctx, `
		SELECT lower(severity), count(*) FILTER (WHERE active), count(*) FILTER (WHERE verified),
			count(*) FILTER (WHERE duplicate), count(*) FILTER (WHERE false_p), count(*) FILTER (WHERE out_of_scope),
			count(*) FILTER (WHERE is_mitigated), count(*) FILTER (WHERE risk_accepted), count(*)
		FROM findings WHERE `+cond+` GROUP BY severity`, args...)
	if err != nil {
		return nil, err
	}
	var sev string
	var s SeverityStats
	_, err = pgx.ForEachRow(rows, []any{&sev, &s.Active, &s.Verified, &s.Duplicate, &s.FalseP, &s.OutOfScope,
		&s.IsMitigated, &s.RiskAccepted, &s.Total}, func() error {
		stats[sev] = s
		t := stats["total"]
		t.Active, t.Verified, t.Duplicate, t.FalseP = t.Active+s.Active, t.Verified+s.Verified, t.Duplicate+s.Duplicate, t.FalseP+s.FalseP
		t.OutOfScope, t.IsMitigated, t.RiskAccepted, t.Total = t.OutOfScope+s.OutOfScope, t.IsMitigated+s.IsMitigated, t.RiskAccepted+s.RiskAccepted, t.Total+s.Total
		stats["total"] = t
		return nil
	})
	return stats, err
}

func pick(override, parser *bool, def bool) bool {
	if override != nil {
		return *override
	}
	if parser != nil {
		return *parser
	}
	return def
}

func nullStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nullInt(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
