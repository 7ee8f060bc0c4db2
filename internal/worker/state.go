package worker

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/secbot/secbot/internal/handler"
	"github.com/secbot/secbot/internal/store"
)

// What handlers keep in the store through the contract: marks and reports.

// NewCheckMarks returns the marks a component keeps for a check in the
// store; keys are the component's own.
func NewCheckMarks(st *store.Store, checkID, component string) handler.Marks {
	return checkMarks{store: st, checkID: checkID, prefix: component + "/"}
}

// checkMarks are a component's marks for a check, kept in the store.
type checkMarks struct {
	store   *store.Store
	checkID string
	prefix  string
}

func (m checkMarks) Marked(ctx context.Context, key string) (string, bool, error) {
	return m.store.Marked(ctx, m.checkID, m.prefix+key)
}

func (m checkMarks) Mark(ctx context.Context, key, value string) error {
	return m.store.Mark(ctx, m.checkID, m.prefix+key, value)
}

func (m checkMarks) Swap(ctx context.Context, key, value string) (bool, error) {
	return m.store.Swap(ctx, m.checkID, m.prefix+key, value)
}

// storeReports keeps scans' reports in the store for their outputs,
// sealed with the workers' key.
type storeReports struct {
	store *store.Store
	key   *store.ReportKey
}

func (r storeReports) Put(ctx context.Context, scanTask string, report io.Reader) (int64, error) {
	return r.store.PutReport(ctx, r.key, scanTask, report)
}

func (r storeReports) Open(ctx context.Context, scanTask string) (io.ReadCloser, error) {
	rc, err := r.store.OpenReport(ctx, r.key, scanTask)
	if errors.Is(err, store.ErrNotFound) {
		return nil, handler.Permanent(fmt.Errorf("the report of %s is gone: push again to scan the commit anew", scanTask))
	}
	return rc, err
}
