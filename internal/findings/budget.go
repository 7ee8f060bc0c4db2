package findings

import (
	"context"
	"fmt"

	"golang.org/x/sync/semaphore"
)

// MaxReportValue bounds the largest JSON value of a report that a parser
// decodes whole (one SARIF result or tool, one gitleaks leak…): the
// parsers read reports through jsonstream, which refuses a larger value
// and shortens long strings before they are decoded, so an import holds
// at most about this much of its report at once, whatever the report's
// size.
const MaxReportValue = 16 << 20

// DefaultImportMemory is the memory the imports of one process reserve
// at most at once (Option WithImportMemory): two imports of the costliest
// shape at once, which with the reporter's idle size keeps it well within
// a 512 MiB container (docs/performance.md has the measures).
const DefaultImportMemory = 256 << 20

// importCost is what an import of a report of n bytes reserves: the
// decoder's buffer and the decoded value, at most MaxReportValue each,
// with room for the garbage they leave (measured: a 15 MiB SARIF result
// of 80,000 locations raised the reporter's RSS by 86 MB), plus what
// every import holds (buffers of the spooled report, the COPY, the parser).
func importCost(n int64) int64 {
	const perImport = 2 << 20
	return 6*min(max(n, 0), MaxReportValue) + perImport
}

// Option configures a Service.
type Option func(*Service)

// WithImportMemory sets the memory the imports of the service reserve
// at most at once (DefaultImportMemory); imports beyond it wait.
func WithImportMemory(bytes int64) Option {
	return func(s *Service) { s.memory = newMemoryBudget(bytes) }
}

// memoryBudget makes concurrent imports of large reports wait for each
// other instead of holding their memory at once.
type memoryBudget struct {
	sem   *semaphore.Weighted
	total int64
}

func newMemoryBudget(total int64) *memoryBudget {
	total = max(total, importCost(0))
	return &memoryBudget{sem: semaphore.NewWeighted(total), total: total}
}

// reserve waits until the memory an import of a report of n bytes needs
// is free (or ctx ends), and returns its release. An import costlier than
// the whole budget takes all of it, alone.
func (b *memoryBudget) reserve(ctx context.Context, n int64) (func(), error) {
	cost := min(importCost(n), b.total)
	if err := b.sem.Acquire(ctx, cost); err != nil {
		return nil, fmt.Errorf("waiting for import memory: %w", err)
	}
	return func() { b.sem.Release(cost) }, nil
}
