package bench

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// identicalResult is the identical-findings import and the small imports
// answered while it ran.
type identicalResult struct {
	n        int
	took     time.Duration
	small    []time.Duration // sorted
	peak     int             // the reporter's peak RSS, MB
	smallErr error
}

// identicalPhase imports a report of n findings alike (the audit's shape:
// each is a duplicate of the first) into a product, while a one-finding
// report is imported into the same product and engagement every 200 ms,
// as a CI job's would be: each of those is timed.
func (s *stack) identicalPhase(ctx context.Context, n int) (identicalResult, error) {
	const product = "bench/identical"
	r := identicalResult{n: n}
	small := sarif(0, 1)
	if _, err := s.importReport(ctx, product, small); err != nil { // the context exists, as for CI's imports
		return r, err
	}
	report := identicalReport(n)
	s.procs["reporter"].resetPeak()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case <-time.After(200 * time.Millisecond):
			}
			took, err := s.importReport(ctx, product, small)
			if err != nil {
				r.smallErr = err
				return
			}
			r.small = append(r.small, took)
		}
	}()
	var err error
	r.took, err = s.importReport(ctx, product, report)
	close(done)
	wg.Wait()
	slices.Sort(r.small)
	_, peak := s.procs["reporter"].memory()
	r.peak = int(peak)
	return r, err
}

// identicalReport is a SARIF report of n results alike, fingerprint
// included.
func identicalReport(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "bench"}}, "results": [`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"ruleId": "R1", "level": "error", "message": {"text": "The same finding, reported again"},
			"locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/app.go"}, "region": {"startLine": 42}}}],
			"partialFingerprints": {"primaryLocationLineHash": "5f3a9c"}}`)
	}
	b.WriteString(`]}]}`)
	return b.Bytes()
}

// rows renders the phase's rows.
func (r identicalResult) rows(row func(measure, got, anchor, target string, ok bool)) {
	rate := float64(r.n) / r.took.Seconds()
	row(fmt.Sprintf("import of %d identical SARIF findings (each a duplicate of the first)", r.n),
		fmt.Sprintf("%.0f findings/s (%s); reporter peak RSS %d MB", rate, r.took.Round(time.Millisecond), r.peak),
		"before: 10,000 took 19 s, 40,000 did not finish in 8 minutes", "≥ 10,000/s", rate >= 10000)
	worst := time.Duration(0)
	if len(r.small) > 0 {
		worst = r.small[len(r.small)-1]
	}
	got := fmt.Sprintf("%d imports: p50 %s, max %s", len(r.small), ms(percentile(r.small, 0.5)), ms(worst))
	if r.smallErr != nil {
		got = "failed: " + r.smallErr.Error()
	}
	row("a one-finding import into the same product meanwhile (every 200 ms)", got,
		"before: each waited for the whole import (the product's lock)", "< 1 s", r.smallErr == nil && len(r.small) > 0 && worst < time.Second)
}
