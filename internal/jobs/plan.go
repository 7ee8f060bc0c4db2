package jobs

import "github.com/secbot/secbot/internal/config"

// Kind is what a task does.
type Kind string

// Task kinds, in the order they run for one check.
const (
	KindScan         Kind = "scan"
	KindOutput       Kind = "output"
	KindNotification Kind = "notification"
)

// Task is one unit of work of a check. Its ID is deterministic, so planning
// or enqueueing the same work twice runs it once.
type Task struct {
	ID       string
	CheckID  string
	Kind     Kind
	Scan     string // scan component (scan and output tasks)
	Output   string // output component (output and notification tasks)
	Notifier string // notification component
	// DependsOn lists the tasks that must be done before this one runs.
	DependsOn []string
}

// ScanTaskID is the id of a check's task that runs one scan. Task ids are
// deterministic: made of the check and the components involved.
func ScanTaskID(checkID, scan string) string { return checkID + ":scan:" + scan }

// OutputTaskID is the id of the task that sends one scan's report to one output.
func OutputTaskID(checkID, scan, output string) string {
	return checkID + ":output:" + scan + ":" + output
}

// NotificationTaskID is the id of the task that sends one output's results
// to one notifier for one scope of the check (see Plan).
func NotificationTaskID(checkID, output, notifier, scope string) string {
	id := checkID + ":notify:" + output + ":" + notifier
	if scope != "" {
		id += "@" + scope
	}
	return id
}

// Plan turns a job into tasks for a check: one scan task per scan, one
// output task per (scan, output) pair, and one notification task per
// (output, notifier) pair that waits for that output's results from every
// scan. S scans, O outputs and N notifiers make S + S×O + O×N tasks, listed
// so that every task comes after the tasks it depends on.
//
// scope names what the event is about beyond its commit: "" for pushes and
// tags, "!<iid>" for a merge request. Scans and outputs belong to the
// commit and run once; notifications run once per scope, so a merge
// request opened on a commit already pushed gets its own notification
// tasks (a note on the merge request) without scanning again. Notifiers
// remember what they sent per check, so nothing is sent twice.
func Plan(checkID string, job config.Job, scope string) []Task {
	var tasks []Task
	for _, s := range job.Scans {
		tasks = append(tasks, Task{ID: ScanTaskID(checkID, s), CheckID: checkID, Kind: KindScan, Scan: s})
	}
	for _, s := range job.Scans {
		for _, o := range job.Outputs {
			tasks = append(tasks, Task{
				ID: OutputTaskID(checkID, s, o), CheckID: checkID, Kind: KindOutput, Scan: s, Output: o,
				DependsOn: []string{ScanTaskID(checkID, s)},
			})
		}
	}
	for _, o := range job.Outputs {
		var deps []string
		for _, s := range job.Scans {
			deps = append(deps, OutputTaskID(checkID, s, o))
		}
		for _, n := range job.Notifications {
			tasks = append(tasks, Task{
				ID: NotificationTaskID(checkID, o, n, scope), CheckID: checkID, Kind: KindNotification, Output: o, Notifier: n,
				DependsOn: deps,
			})
		}
	}
	return tasks
}
