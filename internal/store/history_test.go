package store_test

import (
	"testing"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/handler"
	"github.com/secbot/secbot/internal/jobs"
	"github.com/secbot/secbot/internal/store"
	"github.com/secbot/secbot/internal/testenv"
)

// A history run's projects: started once (a second start is told the
// project is scanning), settled with their scans' findings once their
// check's tasks end, found again by a later run's lookup of the head;
// cancelling skips the projects left and the tasks not started, refuses
// a second cancel, and a page listed after it records nothing.
func TestHistoryRunLifecycle(t *testing.T) {
	t.Parallel()
	st, _ := testenv.Store(t)
	run, err := st.CreateHistoryRun(ctx, store.HistoryRequest{InstanceHost: "git.example", Groups: []string{"g"}})
	if err != nil || run.State != store.HistoryListing {
		t.Fatalf("create: %+v %v", run, err)
	}
	page := []store.HistoryProject{{ProjectID: 1, Path: "g/a", DefaultBranch: "main"}, {ProjectID: 2, Path: "g/b", DefaultBranch: "main"},
		{ProjectID: 3, Path: "g/old", State: store.ProjectSkipped, Reason: "archived"}}
	if err := st.AddHistoryPage(ctx, run.ID, append(page, page[0]), 1, 1, false); err != nil {
		t.Fatal(err)
	}
	got, err := st.GetHistoryRun(ctx, run.ID)
	if err != nil || got.State != store.HistoryScanning || got.Progress.Listed != 3 || got.Progress.Pending != 2 || got.Progress.Skipped != 1 {
		t.Fatalf("after the page: %s %+v %v", got.State, got.Progress, err)
	}

	job := config.Job{Name: "j", Scans: []string{"s"}}
	c := check("history:c1")
	c.EventType = "history"
	if _, err := st.AcceptEvent(ctx, "h1", c, jobs.Plan(c.ID, job, "")); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := st.StartHistoryProject(ctx, run.ID, 1, c.CommitSHA, c.ID); !ok || err != nil {
		t.Fatalf("start: %v %v", ok, err)
	}
	if ok, state, err := st.StartHistoryProject(ctx, run.ID, 1, c.CommitSHA, c.ID); ok || state != store.ProjectScanning || err != nil {
		t.Fatalf("second start: %v %q %v; want told it is scanning", ok, state, err)
	}
	if n, err := st.SettleHistoryProjects(ctx, run.ID); n != 0 || err != nil {
		t.Fatalf("settled %d (%v) before the scan ended", n, err)
	}
	scan := jobs.ScanTaskID(c.ID, "s")
	if _, err := st.ClaimTask(ctx, scan); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CompleteTask(ctx, scan, handler.Result{Findings: 4}); err != nil {
		t.Fatal(err)
	}
	if n, err := st.SettleHistoryProjects(ctx, run.ID); n != 1 || err != nil {
		t.Fatalf("settled %d, %v; want 1", n, err)
	}
	if earlier, ok, err := st.HistoryHeadScanned(ctx, "git.example", 1, c.CommitSHA); !ok || earlier != run.ID || err != nil {
		t.Errorf("head scanned: %d %v %v", earlier, ok, err)
	}
	if _, ok, _ := st.HistoryHeadScanned(ctx, "other.example", 1, c.CommitSHA); ok {
		t.Errorf("a head of another instance counts as scanned")
	}

	// Project 2 starts, then the run is cancelled.
	c2 := check("history:c2")
	c2.EventType = "history"
	if _, err := st.AcceptEvent(ctx, "h2", c2, jobs.Plan(c2.ID, job, "")); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := st.StartHistoryProject(ctx, run.ID, 2, c2.CommitSHA, c2.ID); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, err := st.CancelHistoryRun(ctx, run.ID); !ok || err != nil {
		t.Fatalf("cancel: %v %v", ok, err)
	}
	if ok, err := st.CancelHistoryRun(ctx, run.ID); ok || err != nil {
		t.Errorf("second cancel: %v %v; want refused", ok, err)
	}
	info, err := st.GetCheck(ctx, c2.ID)
	if err != nil || info.Tasks[0].State != jobs.StateSkipped {
		t.Errorf("the cancelled project's scan: %+v %v; want skipped", info.Tasks, err)
	}
	if err := st.AddHistoryPage(ctx, run.ID, []store.HistoryProject{{ProjectID: 9, Path: "g/late"}}, 1, 1, false); err != nil {
		t.Fatal(err)
	}
	end, err := st.GetHistoryRun(ctx, run.ID)
	if err != nil || end.State != store.HistoryCancelled || end.Progress.Listed != 3 || end.Progress.Done != 1 ||
		end.Progress.Findings != 4 || end.Progress.Skipped != 2 {
		t.Errorf("after the cancel: %s %+v %v", end.State, end.Progress, err)
	}
	if _, err := st.GetHistoryRun(ctx, run.ID+100); err == nil {
		t.Errorf("an unknown run was found")
	}

	// The dashboard's recent checks are the hooks'.
	if _, err := st.AcceptEvent(ctx, "push", check("live"), jobs.Plan("live", job, "")); err != nil {
		t.Fatal(err)
	}
	recent, err := st.RecentChecks(ctx, 10)
	if err != nil || len(recent) != 1 || recent[0].ID != "live" {
		t.Errorf("recent checks %+v, %v; want the push's alone", recent, err)
	}
}
