package store_test

import (
	"testing"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/handler"
	"github.com/secbot/secbot/internal/jobs"
	"github.com/secbot/secbot/internal/testenv"
)

// A check's version changes with each change of its tasks' states, and
// only then; ids no check has are left out.
func TestCheckVersionsFollowTaskStates(t *testing.T) {
	st, _ := testenv.Store(t)
	plan := jobs.Plan("v1", config.Job{Name: "j", Scans: []string{"s"}}, "")
	if _, err := st.AcceptEvent(ctx, "key-v1", check("v1"), plan); err != nil {
		t.Fatal(err)
	}
	version := func() string {
		t.Helper()
		got, err := st.CheckVersions(ctx, []string{"v1", "nothing"})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := got["nothing"]; ok || len(got) != 1 {
			t.Fatalf("versions = %v, want v1's only", got)
		}
		return got["v1"]
	}
	queued := version()
	if again := version(); again != queued {
		t.Fatalf("an unchanged check's version changed: %s, then %s", queued, again)
	}
	scan := jobs.ScanTaskID("v1", "s")
	if _, err := st.ClaimTask(ctx, scan); err != nil {
		t.Fatal(err)
	}
	running := version()
	if _, err := st.CompleteTask(ctx, scan, handler.Result{}); err != nil {
		t.Fatal(err)
	}
	done := version()
	if running == queued || done == running || done == queued {
		t.Fatalf("versions queued %s, running %s, done %s: want each different", queued, running, done)
	}
}
