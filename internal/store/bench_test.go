package store_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/jobs"
	"github.com/secbot/secbot/internal/store"
	"github.com/secbot/secbot/internal/testenv"
)

// BenchmarkAcceptEvent records new pushes (a check, a delivery and a plan
// of scan → output → notification each) from 16 goroutines, each in its
// own transaction: the database's share of webhook intake.
func BenchmarkAcceptEvent(b *testing.B) {
	st, _ := testenv.Store(b)
	benchAccept(b, st.AcceptEvent)
}

// BenchmarkIntake is BenchmarkAcceptEvent through the group commit.
func BenchmarkIntake(b *testing.B) {
	st, _ := testenv.Store(b)
	in := store.NewIntake(st, 2, 64)
	defer in.Close()
	benchAccept(b, in.AcceptEvent)
}

func benchAccept(b *testing.B, accept func(context.Context, string, store.Check, []jobs.Task) (store.Accepted, error)) {
	job := config.Job{Name: "j", Scans: []string{"gitleaks"}, Outputs: []string{"defectdojo"}, Notifications: []string{"slack"}}
	var n atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprintf("check-%d", n.Add(1))
			acc, err := accept(ctx, "key-"+id, check(id), jobs.Plan(id, job, ""))
			if err != nil || len(acc.Ready) != 1 {
				b.Fatalf("accept: %+v, %v", acc, err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
