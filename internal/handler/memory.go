package handler

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
)

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

// MemoryReports keeps reports in memory, safe for concurrent use: the
// reports of a test's scans, for tests of a scanner or an output that
// need no database.
type MemoryReports struct {
	mu      sync.Mutex
	reports map[string][]byte
}

// Put implements Reports.
func (m *MemoryReports) Put(_ context.Context, scanTask string, report io.Reader) (int64, error) {
	b, err := io.ReadAll(report)
	if err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.reports == nil {
		m.reports = map[string][]byte{}
	}
	m.reports[scanTask] = b
	return int64(len(b)), nil
}

// Open implements Reports.
func (m *MemoryReports) Open(_ context.Context, scanTask string) (io.ReadCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.reports[scanTask]
	if !ok {
		return nil, Permanent(fmt.Errorf("no report of %s", scanTask))
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}
