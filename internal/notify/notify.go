// Package notify holds what the notification handlers (notify/slack,
// notify/gitlab) share: reading the outputs' results they are given.
package notify

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/jobs"
	"github.com/secbot/secbot/internal/worker"
)

// Batch is what one output stored of one scan's report.
type Batch struct {
	Scan   string
	Output string
	jobs.OutputData
}

// Batches reads the outputs' results a notification task depends on. A
// result that cannot be read is a permanent error: retrying cannot fix it.
func Batches(req *worker.Request) ([]Batch, error) {
	var out []Batch
	for _, in := range req.Inputs {
		var res jobs.Result
		b := Batch{Scan: in.Scan, Output: in.Output}
		if err := json.Unmarshal(in.Result, &res); err != nil {
			return nil, worker.Permanent(fmt.Errorf("reading the output result of %s: %w", in.TaskID, err))
		}
		if len(res.Data) > 0 {
			if err := json.Unmarshal(res.Data, &b.OutputData); err != nil {
				return nil, worker.Permanent(fmt.Errorf("reading the output data of %s: %w", in.TaskID, err))
			}
		}
		out = append(out, b)
	}
	return out, nil
}

// New returns the batch's new findings (not duplicates of earlier ones),
// most severe first, then by title.
func (b Batch) New() []jobs.OutputFinding {
	var fresh []jobs.OutputFinding
	for _, f := range b.Findings {
		if f.New {
			fresh = append(fresh, f)
		}
	}
	SortBySeverity(fresh)
	return fresh
}

// SortBySeverity orders findings most severe first, then by title, so a
// message cut at a limit keeps the worst.
func SortBySeverity(list []jobs.OutputFinding) {
	sort.SliceStable(list, func(i, j int) bool {
		ri, rj := findings.SeverityRank(list[i].Severity), findings.SeverityRank(list[j].Severity)
		if ri != rj {
			return ri < rj
		}
		return list[i].Title < list[j].Title
	})
}
