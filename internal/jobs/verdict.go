package jobs

import (
	"time"
)

// Status is the compat verdict a CI pipeline reads for a check.
type Status string

// The compat statuses.
const (
	StatusNotStarted Status = "not_started"
	StatusInProgress Status = "in_progress"
	StatusError      Status = "error"
	StatusFail       Status = "fail"
	StatusSuccess    Status = "success"
)

// State is where one task is.
type State string

// Task states. waiting: dependencies not done; queued: handed to the queue;
// running: a worker has it (or it waits for a retry); done, failed and
// skipped (a dependency failed) are final.
const (
	StateWaiting State = "waiting"
	StateQueued  State = "queued"
	StateRunning State = "running"
	StateDone    State = "done"
	StateFailed  State = "failed"
	StateSkipped State = "skipped"
)

// Final reports whether a task in this state will not run again.
func (s State) Final() bool {
	return s == StateDone || s == StateFailed || s == StateSkipped
}

// TaskStatus is a task as the reporter shows it.
type TaskStatus struct {
	ID         string     `json:"id"`
	Kind       Kind       `json:"kind"`
	Scan       string     `json:"scan,omitempty"`
	Output     string     `json:"output,omitempty"`
	Notifier   string     `json:"notifier,omitempty"`
	ScanType   string     `json:"scan_type,omitempty"`
	State      State      `json:"state"`
	Attempts   int        `json:"attempts"`
	Error      string     `json:"error,omitempty"`
	Findings   *int       `json:"findings,omitempty"`
	Active     *int       `json:"active_findings,omitempty"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

// Verdict computes a check's status from its tasks. Notifications never
// decide it: a check is final once its scans and outputs are, `error` if
// any of those failed, `fail` if findings are active, else `success`. The
// outputs' counts decide when the job has outputs (they know about triage
// and duplicates); otherwise the scans' counts do.
func Verdict(tasks []TaskStatus) Status {
	if len(tasks) == 0 {
		return StatusNotStarted
	}
	var failed bool
	for _, t := range tasks {
		if t.Kind == KindNotification {
			continue
		}
		if !t.State.Final() {
			return StatusInProgress
		}
		if t.State != StateDone {
			failed = true
		}
	}
	if failed {
		return StatusError
	}
	decider := DecidingKind(tasks)
	for _, t := range tasks {
		if t.Kind == decider && t.Active != nil && *t.Active > 0 {
			return StatusFail
		}
	}
	return StatusSuccess
}

// DecidingKind is the kind of task whose finding counts decide a check:
// the outputs when the job has any, else the scans.
func DecidingKind(tasks []TaskStatus) Kind {
	for _, t := range tasks {
		if t.Kind == KindOutput {
			return KindOutput
		}
	}
	return KindScan
}
