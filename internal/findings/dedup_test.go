package findings_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers"
	"github.com/secbot/secbot/internal/testenv"
)

// sarifResult is a SARIF result; results of one salt are alike in every
// way, their fingerprint too.
func sarifResult(salt string) string {
	return fmt.Sprintf(`{"ruleId": "R1", "level": "error", "message": {"text": "same %s"},
		"locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.go"}, "region": {"startLine": 7}}}],
		"partialFingerprints": {"line": "%s"}}`, salt, salt)
}

// sarifLog is a SARIF report of one run with these results.
func sarifLog(results ...string) []byte {
	return []byte(`{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "test"}}, "results": [` +
		strings.Join(results, ",") + `]}]}`)
}

// identicalSARIF is a SARIF report of n results alike.
func identicalSARIF(n int, salt string) []byte {
	results := make([]string, n)
	for i := range results {
		results[i] = sarifResult(salt)
	}
	return sarifLog(results...)
}

func sarifSource(report []byte) findings.Source {
	p, _ := parsers.Lookup("SARIF")
	return findings.FromReport(p, bytes.NewReader(report))
}

// explained is a service whose every statement's plan, run with EXPLAIN
// ANALYZE by PostgreSQL's auto_explain, is collected.
type explained struct {
	svc   *findings.Service
	mu    sync.Mutex
	plans []string
}

func newExplained(t *testing.T) *explained {
	t.Helper()
	_, dsn := testenv.Store(t)
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	e := &explained{}
	cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_custom_plan" // as store.Open's pool
	cfg.ConnConfig.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		if _, plan, ok := strings.Cut(n.Message, "plan:"); ok {
			e.mu.Lock()
			e.plans = append(e.plans, plan)
			e.mu.Unlock()
		}
	}
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, `LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0;
			SET auto_explain.log_analyze = on; SET auto_explain.log_timing = off;
			SET auto_explain.log_format = json; SET auto_explain.log_level = notice`)
		return err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	e.svc = findings.NewService(pool)
	return e
}

// planNode is what the work count reads of an EXPLAIN ANALYZE node.
type planNode struct {
	Rows     float64    `json:"Actual Rows"`
	Loops    float64    `json:"Actual Loops"`
	Filtered float64    `json:"Rows Removed by Filter"`
	Joined   float64    `json:"Rows Removed by Join Filter"`
	Rechecks float64    `json:"Rows Removed by Index Recheck"`
	Plans    []planNode `json:"Plans"`
}

// work is how many rows the plan's nodes produced or looked at and threw
// away, over all their executions: a subquery run once per new finding
// that reads the product's findings each time makes it grow with the
// square of the report.
func (n planNode) work() float64 {
	w := (n.Rows + n.Filtered + n.Joined + n.Rechecks) * n.Loops
	for _, c := range n.Plans {
		w += c.work()
	}
	return w
}

// importWork imports report and returns how many statements it ran and
// their work in all.
func (e *explained) importWork(t *testing.T, o findings.ImportOptions, report []byte) (int, float64) {
	t.Helper()
	e.mu.Lock()
	e.plans = nil
	e.mu.Unlock()
	if _, err := e.svc.ImportFrom(ctx, o, sarifSource(report)); err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	total := 0.0
	for _, raw := range e.plans {
		var plan struct {
			Plan planNode `json:"Plan"`
		}
		if err := json.Unmarshal([]byte(raw), &plan); err != nil {
			t.Fatalf("reading a plan: %v\n%s", err, raw)
		}
		total += plan.Plan.work()
	}
	return len(e.plans), total
}

// TestDeduplicationIsLinear imports n findings alike (the same hash_code
// and unique_id_from_tool) into a product that has one already, for two
// sizes: the import runs as many statements for either, and the rows its
// plans touch grow with n, not with n² (the per-row correlated subquery
// touched n²/2 rows twice). Work counts, not time: they do not depend on
// the machine.
func TestDeduplicationIsLinear(t *testing.T) {
	t.Parallel()
	e := newExplained(t)
	statements := map[int]int{}
	for _, n := range []int{400, 1600} {
		o := opts(fmt.Sprint("linear ", n), "CI", "SARIF")
		if _, err := e.svc.ImportFrom(ctx, o, sarifSource(identicalSARIF(1, "x"))); err != nil {
			t.Fatal(err)
		}
		count, work := e.importWork(t, o, identicalSARIF(n, "x"))
		statements[n] = count
		t.Logf("%d findings alike: %d statements, %.0f rows touched (%.1f a finding)", n, count, work, work/float64(n))
		if perFinding := work / float64(n); perFinding > 40 {
			t.Errorf("importing %d findings alike touched %.0f rows, %.0f a finding: deduplication is not linear", n, work, perFinding)
		}
	}
	if statements[400] != statements[1600] {
		t.Errorf("the import ran %d statements for 400 findings and %d for 1600: it should run as many", statements[400], statements[1600])
	}
}

// TestDeduplicationKeepsItsMeaning checks the set-based deduplication
// against what the per-finding one decided: each new finding points at
// the oldest finding of the product with its hash_code (or, for SARIF, its
// unique_id_from_tool) that is no duplicate, whether older or earlier in
// the same report; findings of the report that match nothing stay
// originals.
func TestDeduplicationKeepsItsMeaning(t *testing.T) {
	t.Parallel()
	svc, db := newService(t)
	first, err := svc.ImportFrom(ctx, opts("demo", "CI", "SARIF"), sarifSource(identicalSARIF(3, "a")))
	if err != nil {
		t.Fatal(err)
	}
	// The report: "a" again (older originals exist), "b" twice (the first
	// is the original), and a result whose fingerprint is "a"'s but whose
	// text differs (matched by unique_id_from_tool).
	report := sarifLog(sarifResult("a"), sarifResult("b"), sarifResult("b"),
		`{"ruleId": "R2", "message": {"text": "other text"}, "partialFingerprints": {"line": "a"}}`)
	second, err := svc.ImportFrom(ctx, opts("demo", "CI", "SARIF"), sarifSource(report))
	if err != nil {
		t.Fatal(err)
	}
	var oldest int
	if err := db.Pool.QueryRow(ctx, `SELECT min(id) FROM findings WHERE test = $1`, first.Test).Scan(&oldest); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Pool.Query(ctx, `SELECT duplicate, coalesce(duplicate_finding, 0), active FROM findings WHERE test = $1 ORDER BY id`, second.Test)
	if err != nil {
		t.Fatal(err)
	}
	type judged struct {
		Duplicate bool
		Original  int
		Active    bool
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[judged])
	if err != nil {
		t.Fatal(err)
	}
	var firstB int
	if err := db.Pool.QueryRow(ctx, `SELECT min(id) FROM findings WHERE test = $1 AND title = 'same b'`, second.Test).Scan(&firstB); err != nil {
		t.Fatal(err)
	}
	want := []judged{{true, oldest, false}, {false, 0, true}, {true, firstB, false}, {true, oldest, false}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("second import judged %v, want %v (oldest original %d)", got, want, oldest)
	}
	if s := first.After["total"]; s.Duplicate != 2 || s.Active != 1 {
		t.Fatalf("three findings alike in one report: %+v, want one original and two duplicates", s)
	}
}

// parked is a Source that emits f, then waits until release is closed.
func parked(f findings.Finding, reading, release chan struct{}) findings.Source {
	return func(emit func(findings.Finding) error) error {
		if err := emit(f); err != nil {
			return err
		}
		close(reading)
		<-release
		return nil
	}
}

// TestImportHoldsNoLockWhileParsing parks an import halfway through its
// report: meanwhile its product's row is free and another import into
// the same product and engagement is answered.
func TestImportHoldsNoLockWhileParsing(t *testing.T) {
	t.Parallel()
	svc, db := newService(t)
	o := opts("demo", "CI", "Gitleaks Scan")
	one := parse(t, "Gitleaks Scan", "gitleaks/data_one.json")
	if _, err := svc.Import(ctx, o, one); err != nil {
		t.Fatal(err)
	}
	reading, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	t.Cleanup(free)
	done := make(chan error, 1)
	other := one[0]
	other.Title = "another finding"
	go func() {
		_, err := svc.ImportFrom(ctx, o, parked(other, reading, release))
		done <- err
	}()
	<-reading
	if _, err := db.Pool.Exec(ctx, `SELECT FROM products WHERE name = 'demo' FOR UPDATE NOWAIT`); err != nil {
		t.Fatalf("the product is locked while an import reads its report: %v", err)
	}
	waited, cancel := context.WithTimeout(ctx, 30*time.Second) // a guard, not a measure
	defer cancel()
	if _, err := svc.Import(waited, o, one); err != nil {
		t.Fatalf("an import into the product while another reads its report: %v", err)
	}
	free()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := db.Count(t, `SELECT count(*) FROM findings WHERE NOT duplicate`); n != 2 {
		t.Fatalf("%d originals, want 2", n)
	}
}

// barrier is a Source that emits its findings, then waits until every
// source of its group has emitted theirs: the imports have all staged
// their reports before any stores them.
func barrier(group *sync.WaitGroup, all <-chan struct{}, list ...findings.Finding) findings.Source {
	return func(emit func(findings.Finding) error) error {
		for _, f := range list {
			if err := emit(f); err != nil {
				return err
			}
		}
		group.Done()
		select {
		case <-all:
			return nil
		case <-time.After(20 * time.Second): // a guard against a deadlock, not a measure
			return errors.New("the other import never read its report: imports wait for each other while parsing")
		}
	}
}

// concurrently runs do twice at once, each with a source that emits list
// and waits for the other.
func concurrently(t *testing.T, list []findings.Finding, do func(findings.Source) error) {
	t.Helper()
	var group sync.WaitGroup
	group.Add(2)
	all := make(chan struct{})
	go func() { group.Wait(); close(all) }()
	errs := make(chan error, 2)
	for range 2 {
		go func() { errs <- do(barrier(&group, all, list...)) }()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// TestConcurrentImportsOfOneFinding stages two imports of one finding at
// once, then lets them store it together: one is the original, the other
// its duplicate, whichever commits first, in a product that has the
// finding already or not. Two reimports of a new finding into one test
// store it once.
func TestConcurrentImportsOfOneFinding(t *testing.T) {
	t.Parallel()
	svc, db := newService(t)
	one := parse(t, "Gitleaks Scan", "gitleaks/data_one.json")
	for round, product := range []string{"new product", "new product", "another"} {
		before := db.Count(t, `SELECT count(*) FROM findings`)
		concurrently(t, one, func(src findings.Source) error {
			_, err := svc.ImportFrom(ctx, opts(product, "CI", "Gitleaks Scan"), src)
			return err
		})
		originals := 1
		if round == 1 {
			originals = 0 // the first round's original is older
		}
		if n := db.Count(t, `SELECT count(*) FROM findings WHERE id > $1 AND NOT duplicate`, before); n != originals {
			t.Fatalf("round %d: %d new originals, want %d", round, n, originals)
		}
		if n := db.Count(t, `SELECT count(*) FROM findings f JOIN findings o ON o.id = f.duplicate_finding
			WHERE f.id > $1 AND o.id < f.id AND NOT o.duplicate AND o.product = f.product`, before); n != 2-originals {
			t.Fatalf("round %d: %d duplicates point at an older original, want %d", round, n, 2-originals)
		}
	}

	first, err := svc.Reimport(ctx, reopts(false), parse(t, "Gitleaks Scan", "gitleaks/gitleaks8_many.json"))
	if err != nil {
		t.Fatal(err)
	}
	var created [2]int
	var mu sync.Mutex
	concurrently(t, one, func(src findings.Source) error {
		res, err := svc.ReimportFrom(ctx, reopts(false), src)
		mu.Lock()
		defer mu.Unlock()
		created[min(1, res.Delta.Created["total"].Total)]++
		return err
	})
	if n := db.Count(t, `SELECT count(*) FROM findings WHERE test = $1`, first.Test); n != 4 || created != [2]int{1, 1} {
		t.Fatalf("two reimports of one new finding: the test has %d findings (want 4); %d created it, %d did not",
			n, created[1], created[0])
	}
}

// TestDeduplicationByUniqueIDAlone checks the unique_id_from_tool
// algorithm: findings match by the tool's id only, so two findings alike
// in every hashed field but with different ids stay apart, on import and
// on reimport, and one with a known id is a duplicate whatever its text.
func TestDeduplicationByUniqueIDAlone(t *testing.T) {
	t.Parallel()
	svc, db := newService(t)
	finding := func(title, uid string) findings.Finding {
		return findings.Finding{Title: title, Severity: findings.High, Description: "same text", UniqueIDFromTool: uid}
	}
	o := opts("demo", "CI", findings.UniqueIDOnlyScanType)
	first, err := svc.ImportFrom(ctx, o, findings.FromList([]findings.Finding{finding("same", "id-1"), finding("same", "id-2")}))
	if err != nil {
		t.Fatal(err)
	}
	if s := first.After["total"]; s.Total != 2 || s.Duplicate != 0 {
		t.Fatalf("two findings with one hash_code and two ids: %+v, want both originals", s)
	}
	second, err := svc.ImportFrom(ctx, o, findings.FromList([]findings.Finding{finding("other title", "id-1"), finding("same", "id-3")}))
	if err != nil {
		t.Fatal(err)
	}
	var dupOf []int
	rows, err := db.Pool.Query(ctx, `SELECT coalesce(duplicate_finding, 0) FROM findings WHERE test = $1 ORDER BY id`, second.Test)
	if err != nil {
		t.Fatal(err)
	}
	if dupOf, err = pgx.CollectRows(rows, pgx.RowTo[int]); err != nil {
		t.Fatal(err)
	}
	var id1 int
	if err := db.Pool.QueryRow(ctx, `SELECT id FROM findings WHERE test = $1 AND unique_id_from_tool = 'id-1'`, first.Test).Scan(&id1); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(dupOf) != fmt.Sprint([]int{id1, 0}) {
		t.Fatalf("second import's duplicate_finding = %v, want [%d 0]: id-1 matches by id, id-3 matches nothing", dupOf, id1)
	}

	// A reimport into the first test matches by id only: id-2 is kept,
	// id-4 (the same hash_code as id-1 and id-2) is new.
	re, err := svc.ReimportFrom(ctx, findings.ReimportOptions{ImportOptions: o, TestID: first.Test, CloseOldFindings: true},
		findings.FromList([]findings.Finding{finding("same", "id-2"), finding("same", "id-4")}))
	if err != nil {
		t.Fatal(err)
	}
	if re.Delta.Created["total"].Total != 1 || re.Delta.Untouched["total"].Total != 1 || re.Delta.Closed["total"].Total != 1 {
		t.Fatalf("reimport delta = %+v, want 1 created (id-4), 1 untouched (id-2), 1 closed (id-1)", re.Delta)
	}
}
