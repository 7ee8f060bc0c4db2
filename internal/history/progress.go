package history

import (
	"context"
	"time"

	"github.com/secbot/secbot/internal/store"
)

// Progress is how far a run got, as the API and the page show it.
type Progress struct {
	Listed   int `json:"listed"`
	Pending  int `json:"pending"`
	Scanning int `json:"scanning"`
	Done     int `json:"done"`
	Failed   int `json:"failed"`
	Skipped  int `json:"skipped"`
	Findings int `json:"findings"`
	// LiveSecrets counts the secrets found so far that their provider
	// says work; null until validity checks exist (see liveSecrets).
	LiveSecrets *int `json:"live_secrets"`
	// ETASeconds estimates the time left from the pace so far; null until
	// a project's scan ended, and a lower bound while the run lists.
	ETASeconds *int64 `json:"eta_seconds"`
}

// Report is a run with its progress and the projects that failed.
type Report struct {
	store.HistoryRun
	Progress Progress `json:"progress"`
	// Failures are the projects that failed, with their reasons.
	Failures []store.HistoryProject `json:"failures"`
}

// maxFailures bounds the failures a report lists.
const maxFailures = 100

// report loads a run's report.
func report(ctx context.Context, st *store.Store, id int64, now time.Time) (Report, error) {
	run, err := st.GetHistoryRun(ctx, id)
	if err != nil {
		return Report{}, err
	}
	return reportOf(ctx, st, run, now)
}

func reportOf(ctx context.Context, st *store.Store, run store.HistoryRun, now time.Time) (Report, error) {
	r := Report{HistoryRun: run, Progress: progressOf(run, now)}
	live, err := liveSecrets(ctx, st, run)
	if err != nil {
		return r, err
	}
	r.Progress.LiveSecrets = live
	if r.Failures, err = st.HistoryProjects(ctx, run.ID, store.ProjectFailed, maxFailures); err != nil {
		return r, err
	}
	if r.Failures == nil {
		r.Failures = []store.HistoryProject{}
	}
	return r, nil
}

// progressOf counts a run's projects and estimates the time left: the
// projects still open at the pace of those ended since the first began.
func progressOf(run store.HistoryRun, now time.Time) Progress {
	c := run.Progress
	p := Progress{Listed: c.Listed, Pending: c.Pending, Scanning: c.Scanning, Done: c.Done, Failed: c.Failed,
		Skipped: c.Skipped, Findings: c.Findings}
	open := c.Pending + c.Scanning
	ended := c.Done + c.Failed
	if !run.Active() {
		zero := int64(0)
		p.ETASeconds = &zero
		return p
	}
	if c.FirstStarted == nil || ended == 0 {
		return p
	}
	perProject := now.Sub(*c.FirstStarted) / time.Duration(ended)
	eta := int64((perProject * time.Duration(open)).Seconds())
	p.ETASeconds = &eta
	return p
}

// liveSecrets is the number of a run's findings whose secret still works,
// as the scans' validity checks found (docs/scanning.md#validity-checks).
func liveSecrets(ctx context.Context, st *store.Store, run store.HistoryRun) (*int, error) {
	n, err := st.HistoryLiveSecrets(ctx, run.ID)
	if err != nil {
		return nil, err
	}
	return &n, nil
}
