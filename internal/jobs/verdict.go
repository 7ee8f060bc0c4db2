package jobs

import (
	"encoding/json"
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

// Result is what a finished task records; handlers may add their own data.
type Result struct {
	// Findings is how many findings the task saw.
	Findings int `json:"findings"`
	// ActiveFindings is how many of them block the pipeline.
	ActiveFindings int `json:"active_findings"`
	// Data is the handler's own output (a report, a list of finding ids).
	Data json.RawMessage `json:"data,omitempty"`
}

// TaskStatus is a task as the reporter shows it.
type TaskStatus struct {
	ID         string     `json:"id"`
	Kind       Kind       `json:"kind"`
	Scan       string     `json:"scan,omitempty"`
	Output     string     `json:"output,omitempty"`
	Notifier   string     `json:"notifier,omitempty"`
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

// OutputData is what an output reports in its Result.Data, for the
// notifications: the findings of one scan's report as the output stored
// them.
type OutputData struct {
	// Builtin is true when the output stored the findings in SecBot's own
	// findings service, so the reporter can recount them live (triage).
	Builtin     bool            `json:"builtin"`
	TestID      int             `json:"test_id"`
	Engagement  int             `json:"engagement_id"`
	Product     int             `json:"product_id"`
	ProductName string          `json:"product_name"`
	Findings    []OutputFinding `json:"findings"`
}

// OutputFinding is one finding an output stored.
type OutputFinding struct {
	ID       int    `json:"id"`
	Title    string `json:"title"`
	Severity string `json:"severity"`
	FilePath string `json:"file_path,omitempty"`
	Line     int    `json:"line,omitempty"`
	Active   bool   `json:"active"`
	// New is true for findings that are not duplicates of earlier ones.
	New bool `json:"new"`
	// Blocking is true when the finding is active, or a duplicate of an
	// active original: what makes the check fail.
	Blocking bool `json:"blocking"`
	// URL is the finding's page.
	URL string `json:"url"`
}
