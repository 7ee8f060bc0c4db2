package bench

import (
	"context"
	"fmt"
	"strconv"
	"strings"
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
	r := validityResult{Pushes: pushes}
	for _, line := range strings.Split(string(out), "\n") {
		if !strings.HasPrefix(line, "BenchmarkLiveSecretsVerdict") {
			continue
		}
		fields := strings.Fields(line)
		for i := 1; i < len(fields); i++ {
			ms, err := strconv.ParseFloat(fields[i-1], 64)
			if err != nil {
				continue
			}
			d := time.Duration(ms * float64(time.Millisecond))
			switch fields[i] {
			case "p50-ms":
				r.P50 = d
			case "p99-ms":
				r.P99 = d
			}
		}
	}
	if r.P50 == 0 {
		return r, fmt.Errorf("BenchmarkLiveSecretsVerdict reported no p50-ms:\n%s", out)
	}
	return r, nil
}
