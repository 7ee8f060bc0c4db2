// Package notify holds what the notification handlers (notify/slack,
// notify/gitlab) share: reading the outputs' results they are given.
package notify

import (
	"sort"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/handler"
)

// Batch is what one output stored of one scan's report.
type Batch struct {
	Scan   string
	Output string
	handler.OutputData
}

// Batches reads the outputs' results a notification task depends on. A
// result that cannot be read is a permanent error: retrying cannot fix it.
func Batches(req *handler.Request) ([]Batch, error) {
	var out []Batch
	for _, in := range req.Inputs {
		b := Batch{Scan: in.Scan, Output: in.Output}
		if err := handler.DecodeData(in, &b.OutputData); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// New returns the batch's new findings (not duplicates of earlier ones),
// live secrets first, then the most severe, then by title.
func (b Batch) New() []handler.OutputFinding {
	var fresh []handler.OutputFinding
	for _, f := range b.Findings {
		if f.New {
			fresh = append(fresh, f)
		}
	}
	SortWorstFirst(fresh)
	return fresh
}

// IsLive reports whether a finding is a secret its provider accepted.
func IsLive(f handler.OutputFinding) bool { return f.Validity == findings.Valid }

// SortWorstFirst orders findings live secrets first (they are the leaks
// to act on now), then most severe, then by title, so a message cut at a
// limit keeps the worst.
func SortWorstFirst(list []handler.OutputFinding) {
	sort.SliceStable(list, func(i, j int) bool {
		if li, lj := IsLive(list[i]), IsLive(list[j]); li != lj {
			return li
		}
		ri, rj := findings.SeverityRank(list[i].Severity), findings.SeverityRank(list[j].Severity)
		if ri != rj {
			return ri < rj
		}
		return list[i].Title < list[j].Title
	})
}
