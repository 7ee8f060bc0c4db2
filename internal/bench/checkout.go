package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
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
			metrics := benchMetrics(out)
			for name, dst := range b.dst {
				if msec, ok := metrics[name]["p50-ms"]; ok {
					*dst = millis(msec)
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

// procsSuffix is the -N (GOMAXPROCS) go test puts after a benchmark's name.
var procsSuffix = regexp.MustCompile(`-\d+$`)

// benchMetrics reads go test -bench's output: for each benchmark (its
// name without the -N of GOMAXPROCS), the value of each unit it reports.
func benchMetrics(out []byte) map[string]map[string]float64 {
	metrics := map[string]map[string]float64{}
	for _, line := range strings.Split(string(out), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		name := procsSuffix.ReplaceAllString(fields[0], "")
		units := map[string]float64{}
		// After the name and the iterations: value, unit, value, unit…
		for i := 2; i+1 < len(fields); i += 2 {
			if v, err := strconv.ParseFloat(fields[i], 64); err == nil {
				units[fields[i+1]] = v
			}
		}
		metrics[name] = units
	}
	return metrics
}

// millis is a benchmark's value in milliseconds as a duration.
func millis(msec float64) time.Duration { return time.Duration(msec * float64(time.Millisecond)) }

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
