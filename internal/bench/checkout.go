package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// checkoutResult is the command scan's costs for a 1,000-file repository
// from a warm mirror, medians, with checkouts on the machine's disk and on
// tmpfs (/dev/shm).
type checkoutResult struct {
	CheckoutDisk, CheckoutTmpfs time.Duration
	// IndexDisk and IndexTmpfs are git's own checkout-index, the anchor.
	IndexDisk, IndexTmpfs time.Duration
	ScanDisk, ScanTmpfs   time.Duration
}

var p50Metric = regexp.MustCompile(`(Benchmark\S+)\s+\d+\s+\d+ ns/op\s+([\d.]+) p50-ms`)

// checkouts runs BenchmarkCheckout (internal/mirror) and
// BenchmarkCommandScan (internal/scan/command) twice each: with the
// checkouts in the default temporary folder, and in /dev/shm.
func checkouts(ctx context.Context, tags string, runs int) (checkoutResult, error) {
	var r checkoutResult
	for _, place := range []struct {
		tmpdir                   string
		checkout, index, command *time.Duration
	}{{os.TempDir(), &r.CheckoutDisk, &r.IndexDisk, &r.ScanDisk}, {"/dev/shm", &r.CheckoutTmpfs, &r.IndexTmpfs, &r.ScanTmpfs}} {
		for _, b := range []struct {
			pattern, pkg string
			dst          map[string]*time.Duration
		}{
			{"BenchmarkCheckout", "./internal/mirror", map[string]*time.Duration{"BenchmarkCheckout/mirror": place.checkout,
				"BenchmarkCheckout/checkout-index": place.index}},
			{"BenchmarkCommandScan", "./internal/scan/command", map[string]*time.Duration{"BenchmarkCommandScan": place.command}},
		} {
			out, err := goBench(ctx, tags, b.pattern, b.pkg, runs, "TMPDIR="+place.tmpdir)
			if err != nil {
				return r, err
			}
			for _, m := range p50Metric.FindAllSubmatch(out, -1) {
				name := strings.TrimSuffix(string(m[1]), "-"+strconv.Itoa(runtime.NumCPU()))
				if dst := b.dst[name]; dst != nil {
					msec, _ := strconv.ParseFloat(string(m[2]), 64)
					*dst = time.Duration(msec * float64(time.Millisecond))
					delete(b.dst, name)
				}
			}
			if len(b.dst) > 0 {
				return r, fmt.Errorf("%s printed no p50-ms for %v:\n%s", b.pattern, b.dst, out)
			}
		}
	}
	return r, nil
}

// goBench runs the benchmarks matching pattern of one package, runs times
// each, with extra environment variables, and returns what they printed.
func goBench(ctx context.Context, tags, pattern, pkg string, runs int, env ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", "test", "-tags", tags, "-run", "^$", "-bench", pattern,
		"-benchtime", fmt.Sprintf("%dx", runs), "-count", "1", pkg)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%s: %v\n%s", pattern, err, out)
	}
	return out, nil
}
