// Package handler is the contract between SecBot's worker and its scan,
// output and notification handlers: what a handler is given (Request),
// what it answers (Result), the interfaces of each role and the table that
// names them (Registry). It imports neither the store nor the queue, as
// database/sql/driver imports no database: handlers depend on this package,
// the worker runs them, and a handler never imports the worker.
package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/gitlab"
	"github.com/secbot/secbot/internal/jobs"
)

// Request is what a handler gets to run one task.
type Request struct {
	Task jobs.Task
	// Attempt counts from 1.
	Attempt   int
	Check     Check
	Event     gitlab.Event
	Instance  config.Instance
	Component config.Component
	// Gate is the job's policy of which findings block: an output marks
	// the findings it leaves out (OutputFinding.Exempt).
	Gate config.Gate
	// Inputs are the results of the tasks this one depends on: the scan's
	// for an output, every scan's output results for a notification.
	Inputs []Input
	// Marks remembers the component's steps for the check, across retries
	// and across the tasks of later events.
	Marks Marks
	// Reports keeps a scan's report for its outputs: a scanner whose
	// report is large writes it here rather than in its Result.
	Reports Reports
}

// Check is the security check a task belongs to.
type Check struct {
	// ID is the security_check_id.
	ID        string
	Instance  string
	Project   string
	CommitSHA string
	EventType string
	Job       string
	// Tasks are the check's tasks as they stood when this one started.
	Tasks []jobs.TaskStatus
}

// Input is the result of a task the running one depends on.
type Input struct {
	TaskID string
	Scan   string
	Output string
	Result Result
}

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

// Reports keeps the reports of a check's scans between the scan task and
// its outputs, which may run on another worker. Reports are streamed both
// ways: none is held whole in memory.
type Reports interface {
	// Put stores the report of a scan task, replacing an earlier
	// attempt's, and returns its size in bytes.
	Put(ctx context.Context, scanTask string, report io.Reader) (int64, error)
	// Open reads the report a scan task stored.
	Open(ctx context.Context, scanTask string) (io.ReadCloser, error)
}

// Report opens the report of a scan's result for an output: the one the
// scanner stored in Reports, or else the one in its Data.
func (in Input) Report(ctx context.Context, reports Reports) (io.ReadCloser, error) {
	if in.Result.Stored {
		if reports == nil {
			return nil, Permanent(fmt.Errorf("the report of %s is stored, but this worker keeps no reports", in.TaskID))
		}
		return reports.Open(ctx, in.TaskID)
	}
	data := []byte(in.Result.Data)
	if len(data) == 0 {
		data = []byte("[]")
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

// Scanner scans the code an event brings and reports what it found. Its
// Result names the report's scan type (a DefectDojo scan_type).
type Scanner interface {
	Scan(ctx context.Context, req *Request) (Result, error)
}

// Output sends a scan's report somewhere (a findings service) and reports
// which findings are new and which are active, in OutputData.
type Output interface {
	Export(ctx context.Context, req *Request) (Result, error)
}

// Notifier tells people about the outputs' results.
type Notifier interface {
	Notify(ctx context.Context, req *Request) (Result, error)
}

// Watcher is a notifier that also follows a check while it runs, as
// GitLab's commit status does. Watch is called with StatusInProgress when
// a worker starts one of the check's scans, and with the verdict when the
// check's scans and outputs are all finished (error, fail or success).
// Its errors are logged and never change the verdict.
type Watcher interface {
	Watch(ctx context.Context, req *Request, status jobs.Status) error
}

// ErrPermanent marks an error that retrying cannot fix (a bad SHA, a
// configuration mistake): the task fails at once with the reason stored.
var ErrPermanent = errors.New("permanent")

// Permanent wraps err so the worker fails the task without retrying.
func Permanent(err error) error {
	return fmt.Errorf("%w: %w", ErrPermanent, err)
}

// DecodeData reads a Result's Data into v; a result that cannot be read is
// permanent (retrying cannot fix it).
func DecodeData(in Input, v any) error {
	if len(in.Result.Data) == 0 {
		return nil
	}
	if err := json.Unmarshal(in.Result.Data, v); err != nil {
		return Permanent(fmt.Errorf("reading the result of %s: %w", in.TaskID, err))
	}
	return nil
}
