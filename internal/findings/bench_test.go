package findings_test

import (
	"fmt"
	"testing"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/testenv"
)

func synthetic(n, salt int) []findings.Finding {
	out := make([]findings.Finding, n)
	for i := range out {
		out[i] = findings.Finding{
			Title: fmt.Sprintf("Issue %d-%d", salt, i), Severity: []string{"Low", "Medium", "High"}[i%3],
			FilePath: fmt.Sprintf("src/file%d.py", i%500), Line: i%300 + 1, VulnIDFromTool: fmt.Sprintf("B%03d", i%120),
			Description: "Generated finding for the import benchmark.", StaticFinding: true, NbOccurences: 1,
		}
	}
	return out
}

// BenchmarkImport10000 imports 10,000 findings into a product that already
// holds 10,000 (dedup on), reporting findings/s.
func BenchmarkImport10000(b *testing.B) {
	st, _ := testenv.Store(b)
	svc := findings.NewService(st.Pool())
	o := findings.ImportOptions{ScanType: "Bandit Scan", Target: findings.Target{ProductTypeName: "t", ProductName: "p",
		EngagementName: "e", AutoCreateContext: true}}
	if _, err := svc.Import(ctx, o, synthetic(10000, -1)); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := svc.Import(ctx, o, synthetic(10000, i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "findings/s")
}

// BenchmarkImportIdentical imports reports of 10,000 and 40,000 findings
// alike (each a duplicate of the first): the cost a finding, ns/finding,
// stays the same as the report grows (with the per-finding correlated
// subquery it grew with the report: 10,000 took 19 s, 40,000 did not end).
func BenchmarkImportIdentical(b *testing.B) {
	for _, n := range []int{10000, 40000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			st, _ := testenv.Store(b)
			svc := findings.NewService(st.Pool())
			report := identicalSARIF(n, "bench")
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				o := opts(fmt.Sprint("identical ", i), "CI", "SARIF")
				o.ReportBytes = int64(len(report))
				if _, err := svc.ImportFrom(ctx, o, sarifSource(report)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*b.N), "ns/finding")
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "findings/s")
		})
	}
}

// BenchmarkImportSmall imports reports of 3 findings, the size of the
// worker's output for a typical push, into a product that holds 10,000:
// the fixed cost of one import (its transaction, staging table and locks).
func BenchmarkImportSmall(b *testing.B) {
	st, _ := testenv.Store(b)
	svc := findings.NewService(st.Pool())
	o := findings.ImportOptions{ScanType: "Gitleaks Scan", Target: findings.Target{ProductTypeName: "t", ProductName: "p",
		EngagementName: "e", AutoCreateContext: true}}
	if _, err := svc.Import(ctx, o, synthetic(10000, -1)); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := svc.Import(ctx, o, synthetic(3, i)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkListEngagements lists 10,000 engagements of one product the
// ways clients do (the target: under 50 ms a page): the first page, a
// page deep in the list, and one engagement by product and name (as
// dd-import looks for its engagement).
func BenchmarkListEngagements(b *testing.B) {
	st, _ := testenv.Store(b)
	svc := findings.NewService(st.Pool())
	if _, err := st.Pool().Exec(ctx, `
		INSERT INTO product_types (name) VALUES ('t');
		INSERT INTO products (name, prod_type) VALUES ('p', 1);
		INSERT INTO engagements (product, name, target_start, target_end)
		SELECT 1, 'engagement ' || i, '2024-01-01', '2024-12-31' FROM generate_series(1, 10000) i;
		ANALYZE engagements`); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name          string
		params        map[string]string
		offset, count int
	}{
		{"first page", map[string]string{}, 0, 10000},
		{"page at 9000", map[string]string{"product": "1"}, 9000, 10000},
		{"by product and name", map[string]string{"product": "1", "name": "engagement 5000"}, 0, 1},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				list, count, err := svc.List(ctx, "engagements", findings.User{ID: 1, IsSuperuser: true}, c.params, 25, c.offset)
				if err != nil || count != c.count || len(list) != min(25, c.count) {
					b.Fatalf("%d of %d, %v", len(list), count, err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/list")
		})
	}
}
