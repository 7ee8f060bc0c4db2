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
