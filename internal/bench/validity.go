package bench

import (
	"context"
	"fmt"
	"time"
)

// validityResult is the validity part: hook → verdict of pushes with five
// secrets, each checked with a provider stand-in answering in 50 ms.
type validityResult struct {
	Pushes   int
	P50, P99 time.Duration
}

// validityChecks runs BenchmarkLiveSecretsVerdict (internal/e2e), the
// three processes with the providers' stand-ins behind an intercepting
// proxy, for pushes pushes.
func validityChecks(ctx context.Context, tags string, pushes int) (validityResult, error) {
	out, err := goBench(ctx, tags, "^BenchmarkLiveSecretsVerdict$", "./internal/e2e", pushes)
	if err != nil {
		return validityResult{}, err
	}
	m := benchMetrics(out)["BenchmarkLiveSecretsVerdict"]
	r := validityResult{Pushes: pushes, P50: millis(m["p50-ms"]), P99: millis(m["p99-ms"])}
	if r.P50 == 0 {
		return r, fmt.Errorf("BenchmarkLiveSecretsVerdict reported no p50-ms:\n%s", out)
	}
	return r, nil
}
