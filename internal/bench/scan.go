package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"time"
)

// gitleaksModule is the gitleaks CLI the scan is compared with: the
// version SecBot's go.mod uses, built from the same module.
const gitleaksModule = "github.com/zricethezav/gitleaks/v8@v8.30.1"

// scanResult compares full-history scans of one generated repository.
type scanResult struct {
	SecBot, CLIRe2, CLIStd time.Duration
	Secrets                int
}

var nsPerOp = regexp.MustCompile(`BenchmarkScanHistory\S*\s+\d+\s+(\d+) ns/op`)

// scans runs BenchmarkScanHistory (the worker's scan, in process, built
// with tags) and the gitleaks CLI, built with and without gore2regex, on
// the repository it generates; each CLI run is timed as a whole. All are
// means of runs.
func scans(ctx context.Context, dir, tags string, runs int) (scanResult, error) {
	var r scanResult
	repo := filepath.Join(dir, "scanrepo")
	out, err := goBench(ctx, tags, "BenchmarkScanHistory", "./internal/scan/gitleaks", runs, "SECBOT_BENCH_KEEP="+repo)
	if err != nil {
		return r, err
	}
	m := nsPerOp.FindSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("BenchmarkScanHistory printed no ns/op:\n%s", out)
	}
	ns, _ := strconv.ParseInt(string(m[1]), 10, 64)
	r.SecBot = time.Duration(ns)
	for _, build := range []struct {
		tags string
		dst  *time.Duration
	}{{"gore2regex", &r.CLIRe2}, {"", &r.CLIStd}} {
		bin, err := gitleaksCLI(ctx, dir, build.tags)
		if err != nil {
			return r, err
		}
		var sum time.Duration
		for range runs {
			began := time.Now()
			if r.Secrets, err = runCLI(ctx, bin, dir, repo); err != nil {
				return r, err
			}
			sum += time.Since(began)
		}
		*build.dst = sum / time.Duration(runs)
	}
	return r, nil
}
