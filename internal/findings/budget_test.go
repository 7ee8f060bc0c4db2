package findings

import (
	"context"
	"testing"
)

// TestMemoryBudget: imports reserve memory by the size of their report,
// up to what the largest value a parser holds costs; one that does not
// fit waits until another releases, and one costlier than the whole
// budget runs alone.
func TestMemoryBudget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	if small, huge := importCost(10<<10), importCost(100<<20); small >= 3<<20 || huge != importCost(MaxReportValue) {
		t.Fatalf("costs: a 10 KiB report %d, a 100 MiB one %d (want the cost of the largest value, %d)",
			small, huge, importCost(MaxReportValue))
	}
	b := newMemoryBudget(importCost(MaxReportValue) + importCost(1<<20))
	release, err := b.reserve(ctx, 100<<20)
	if err != nil {
		t.Fatal(err)
	}
	if !b.sem.TryAcquire(importCost(1 << 20)) {
		t.Fatal("a small import does not fit beside a large one in a budget sized for both")
	}
	b.sem.Release(importCost(1 << 20))
	if b.sem.TryAcquire(importCost(50 << 20)) {
		t.Fatal("a second large import fits beside the first: large imports would add up")
	}
	waiting, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := b.reserve(waiting, 50<<20); err == nil {
		t.Fatal("a second large import went ahead")
	}
	release()
	release, err = b.reserve(ctx, 50<<20)
	if err != nil {
		t.Fatalf("after the first import, the second: %v", err)
	}
	release()

	alone := newMemoryBudget(1)
	release, err = alone.reserve(ctx, 100<<20)
	if err != nil {
		t.Fatalf("an import costlier than the whole budget: %v", err)
	}
	release()
}
