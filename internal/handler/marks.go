package handler

import (
	"context"
	"sync"
)

// Marks remembers which steps a notifier has done for a check, so that
// neither a retried task nor the task of a later event of the same commit
// repeats one (each Slack channel is posted to once per check). The worker
// keeps them in PostgreSQL; MemoryMarks keeps them for a test.
type Marks interface {
	// Marked returns a step's value and whether it is done.
	Marked(ctx context.Context, key string) (string, bool, error)
	// Mark records a step as done, with a value.
	Mark(ctx context.Context, key, value string) error
	// Swap sets a step's value and reports whether it changed: of workers
	// racing to record the same value, one sees true and does the step.
	Swap(ctx context.Context, key, value string) (bool, error)
}

// MemoryMarks are marks held in memory, safe for concurrent use: the
// marks of one check, for tests of a notifier that need no database.
type MemoryMarks struct {
	mu     sync.Mutex
	values map[string]string
}

// Marked implements Marks.
func (m *MemoryMarks) Marked(_ context.Context, key string) (string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.values[key]
	return v, ok, nil
}

// Mark implements Marks.
func (m *MemoryMarks) Mark(_ context.Context, key, value string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.values == nil {
		m.values = map[string]string{}
	}
	m.values[key] = value
	return nil
}

// Swap implements Marks.
func (m *MemoryMarks) Swap(_ context.Context, key, value string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.values[key]; ok && old == value {
		return false, nil
	}
	if m.values == nil {
		m.values = map[string]string{}
	}
	m.values[key] = value
	return true, nil
}
