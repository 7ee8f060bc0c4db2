package web

import (
	"context"
	"encoding/json"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/pushreport"
	"github.com/secbot/secbot/internal/store"
)

// PushEvents is what the dashboard shows of push protection: the pushes
// the pre-receive hook refused, let through on a bypass, or could not
// scan.
type PushEvents interface {
	RecentPushEvents(ctx context.Context, limit int) ([]store.PushEvent, error)
}

// pushEventsShown is how many of the latest the dashboard lists.
const pushEventsShown = 10

// pushEventRow is one reported push on the dashboard.
type pushEventRow struct {
	store.PushEvent
	Found []pushreport.Finding
}

// pushProtection lists the latest reported pushes the user may see: those
// of projects whose product they see (every one for a superuser). Nil
// when the pages have no PushEvents (the section is left out).
func (p *Pages) pushProtection(ctx context.Context, user findings.User, products []findings.ProductSummary) (map[string]any, error) {
	if p.PushEvents == nil {
		return nil, nil
	}
	events, err := p.PushEvents.RecentPushEvents(ctx, pushEventsShown*5)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, prod := range products {
		seen[prod.Name] = true
	}
	rows := []pushEventRow{}
	for _, e := range events {
		if len(rows) == pushEventsShown {
			break
		}
		if !user.IsSuperuser && !seen[e.Project] {
			continue
		}
		row := pushEventRow{PushEvent: e}
		// Written by the receiver from a checked report: a row that does
		// not parse shows no findings rather than no dashboard.
		_ = json.Unmarshal(e.Findings, &row.Found)
		rows = append(rows, row)
	}
	return map[string]any{"Events": rows}, nil
}
