package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/handler"
	"github.com/secbot/secbot/internal/jobs"
	"github.com/secbot/secbot/internal/store"
	"github.com/secbot/secbot/internal/testenv"
)

var ctx = context.Background()

func check(id string) store.Check {
	return store.Check{ID: id, InstanceHost: "git.example", Project: "g/p", ProjectKey: "git.example:g/p",
		CommitSHA: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7", EventType: "push", JobName: "j", Event: []byte(`{"type":"push"}`)}
}

var job2x2x1 = config.Job{Name: "j", Scans: []string{"s1", "s2"}, Outputs: []string{"o1", "o2"}, Notifications: []string{"n"}}

func ids(ready []store.ReadyTask) []string {
	var out []string
	for _, r := range ready {
		out = append(out, r.ID)
	}
	sort.Strings(out)
	return out
}

func equal(a, b []string) bool {
	sort.Strings(b)
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestMigrateIsIdempotentAndLocked(t *testing.T) {
	st, _ := testenv.Store(t) // migrated once already
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for range 3 {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- st.Migrate(ctx) }()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestAcceptEventPlansAndDeduplicates(t *testing.T) {
	st, _ := testenv.Store(t)
	plan := jobs.Plan("c1", job2x2x1, "")
	acc, err := st.AcceptEvent(ctx, "key-1", check("c1"), plan)
	if err != nil {
		t.Fatal(err)
	}
	if !acc.NewCheck || acc.Duplicate {
		t.Fatalf("first delivery: %+v", acc)
	}
	if want := []string{jobs.ScanTaskID("c1", "s1"), jobs.ScanTaskID("c1", "s2")}; !equal(ids(acc.Ready), want) {
		t.Fatalf("ready = %v, want only the scans %v", ids(acc.Ready), want)
	}
	again, err := st.AcceptEvent(ctx, "key-1", check("c1"), plan)
	if err != nil || !again.Duplicate || len(again.Ready) != 0 {
		t.Fatalf("repeat delivery: %+v, %v", again, err)
	}
	other, err := st.AcceptEvent(ctx, "key-2", check("c1"), plan)
	if err != nil || other.Duplicate || other.NewCheck || len(other.Ready) != 0 {
		t.Fatalf("second event for the same commit must reuse the check and plan nothing new: %+v, %v", other, err)
	}
	info, err := st.GetCheck(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Tasks) != 2+4+2 {
		t.Fatalf("tasks = %d, want 8", len(info.Tasks))
	}
}

func TestConcurrentDuplicateDeliveries(t *testing.T) {
	st, _ := testenv.Store(t)
	plan := jobs.Plan("c1", job2x2x1, "")
	var wg sync.WaitGroup
	results := make(chan store.Accepted, 10)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			acc, err := st.AcceptEvent(ctx, "same-key", check("c1"), plan)
			if err != nil {
				t.Error(err)
			}
			results <- acc
		}()
	}
	wg.Wait()
	close(results)
	var accepted, enqueued int
	for acc := range results {
		if !acc.Duplicate {
			accepted++
		}
		enqueued += len(acc.Ready)
	}
	if accepted != 1 || enqueued != 2 {
		t.Fatalf("accepted %d deliveries and readied %d tasks, want 1 and 2", accepted, enqueued)
	}
}

func run(t *testing.T, st *store.Store, id string, active int) []store.ReadyTask {
	t.Helper()
	if _, err := st.ClaimTask(ctx, id); err != nil {
		t.Fatalf("claiming %s: %v", id, err)
	}
	ready, err := st.CompleteTask(ctx, id, handler.Result{Findings: active, ActiveFindings: active})
	if err != nil {
		t.Fatal(err)
	}
	return ready
}

func TestFanOutFanIn(t *testing.T) {
	st, _ := testenv.Store(t)
	if _, err := st.AcceptEvent(ctx, "k", check("c"), jobs.Plan("c", job2x2x1, "")); err != nil {
		t.Fatal(err)
	}
	got := ids(run(t, st, jobs.ScanTaskID("c", "s1"), 1))
	if want := []string{jobs.OutputTaskID("c", "s1", "o1"), jobs.OutputTaskID("c", "s1", "o2")}; !equal(got, want) {
		t.Fatalf("after scan s1: ready %v, want %v", got, want)
	}
	if again, err := st.CompleteTask(ctx, jobs.ScanTaskID("c", "s1"), handler.Result{}); err != nil || len(again) != 0 {
		t.Fatalf("completing a task twice must release nothing: %v, %v", again, err)
	}
	if _, err := st.ClaimTask(ctx, jobs.ScanTaskID("c", "s1")); !errors.Is(err, store.ErrTaskFinished) {
		t.Fatalf("claiming a done task: err = %v, want ErrTaskFinished", err)
	}
	if _, err := st.ClaimTask(ctx, jobs.NotificationTaskID("c", "o1", "n", "")); !errors.Is(err, store.ErrTaskNotReady) {
		t.Fatalf("claiming a waiting task: err = %v, want ErrTaskNotReady", err)
	}
	run(t, st, jobs.ScanTaskID("c", "s2"), 0)
	if r := run(t, st, jobs.OutputTaskID("c", "s1", "o1"), 1); len(r) != 0 {
		t.Fatalf("notification released before every scan's output: %v", ids(r))
	}
	r := run(t, st, jobs.OutputTaskID("c", "s2", "o1"), 0)
	if want := []string{jobs.NotificationTaskID("c", "o1", "n", "")}; !equal(ids(r), want) {
		t.Fatalf("ready = %v, want %v", ids(r), want)
	}
	claimed, err := st.ClaimTask(ctx, jobs.NotificationTaskID("c", "o1", "n", ""))
	if err != nil {
		t.Fatal(err)
	}
	if len(claimed.Inputs) != 2 || claimed.Inputs[0].TaskID != jobs.OutputTaskID("c", "s1", "o1") || claimed.Inputs[1].Output != "o1" {
		t.Fatalf("notification inputs = %+v, want both scans' o1 results", claimed.Inputs)
	}
	info, _ := st.GetCheck(ctx, "c")
	if v := jobs.Verdict(info.Tasks); v != jobs.StatusInProgress {
		t.Fatalf("verdict with o2 outputs pending = %s", v)
	}
	run(t, st, jobs.OutputTaskID("c", "s1", "o2"), 0)
	run(t, st, jobs.OutputTaskID("c", "s2", "o2"), 0)
	info, _ = st.GetCheck(ctx, "c")
	if v := jobs.Verdict(info.Tasks); v != jobs.StatusFail {
		t.Fatalf("verdict = %s, want fail (o1 saw an active finding); notifications still running must not matter", v)
	}
}

func TestFailTaskSkipsDependents(t *testing.T) {
	st, _ := testenv.Store(t)
	if _, err := st.AcceptEvent(ctx, "k", check("c"), jobs.Plan("c", job2x2x1, "")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ClaimTask(ctx, jobs.ScanTaskID("c", "s1")); err != nil {
		t.Fatal(err)
	}
	if err := st.FailTask(ctx, jobs.ScanTaskID("c", "s1"), "bad revision"); err != nil {
		t.Fatal(err)
	}
	info, _ := st.GetCheck(ctx, "c")
	states := map[string]jobs.State{}
	for _, task := range info.Tasks {
		states[task.ID] = task.State
	}
	for _, id := range []string{jobs.OutputTaskID("c", "s1", "o1"), jobs.NotificationTaskID("c", "o1", "n", ""), jobs.NotificationTaskID("c", "o2", "n", "")} {
		if states[id] != jobs.StateSkipped {
			t.Errorf("%s = %s, want skipped", id, states[id])
		}
	}
	if states[jobs.ScanTaskID("c", "s2")] != jobs.StateQueued {
		t.Errorf("the other scan must still run, state %s", states[jobs.ScanTaskID("c", "s2")])
	}
	run(t, st, jobs.ScanTaskID("c", "s2"), 0)
	run(t, st, jobs.OutputTaskID("c", "s2", "o1"), 0)
	run(t, st, jobs.OutputTaskID("c", "s2", "o2"), 0)
	info, _ = st.GetCheck(ctx, "c")
	if v := jobs.Verdict(info.Tasks); v != jobs.StatusError {
		t.Fatalf("verdict = %s, want error", v)
	}
	// A later event retries what failed: the scan is queued again, what it
	// skipped waits for it, and what succeeded stays done.
	acc, err := st.AcceptEvent(ctx, "k2", check("c"), jobs.Plan("c", job2x2x1, ""))
	if want := []string{jobs.ScanTaskID("c", "s1")}; err != nil || !equal(ids(acc.Ready), want) {
		t.Fatalf("later event after a failure: ready %v, %v; want %v", ids(acc.Ready), err, want)
	}
	info, _ = st.GetCheck(ctx, "c")
	if v := jobs.Verdict(info.Tasks); v != jobs.StatusInProgress {
		t.Fatalf("verdict while retrying = %s", v)
	}
	run(t, st, jobs.ScanTaskID("c", "s1"), 0)
	run(t, st, jobs.OutputTaskID("c", "s1", "o1"), 0)
	r := run(t, st, jobs.OutputTaskID("c", "s1", "o2"), 0)
	if want := []string{jobs.NotificationTaskID("c", "o2", "n", "")}; !equal(ids(r), want) {
		t.Fatalf("released %v, want %v", ids(r), want)
	}
	info, _ = st.GetCheck(ctx, "c")
	if v := jobs.Verdict(info.Tasks); v != jobs.StatusSuccess {
		t.Fatalf("verdict after the retry = %s", v)
	}
	if again, _ := st.AcceptEvent(ctx, "k3", check("c"), jobs.Plan("c", job2x2x1, "")); len(again.Ready) != 0 {
		t.Fatalf("an event after success re-ran %v", ids(again.Ready))
	}
}

func TestLaterEventAddsOnlyNewWork(t *testing.T) {
	st, _ := testenv.Store(t)
	one := config.Job{Name: "j", Scans: []string{"s"}, Outputs: []string{"o"}}
	if _, err := st.AcceptEvent(ctx, "push", check("c"), jobs.Plan("c", one, "")); err != nil {
		t.Fatal(err)
	}
	run(t, st, jobs.ScanTaskID("c", "s"), 0)
	run(t, st, jobs.OutputTaskID("c", "s", "o"), 0)
	withNotifier := one
	withNotifier.Notifications = []string{"n"}
	acc, err := st.AcceptEvent(ctx, "mr", check("c"), jobs.Plan("c", withNotifier, ""))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{jobs.NotificationTaskID("c", "o", "n", "")}; !equal(ids(acc.Ready), want) {
		t.Fatalf("ready = %v, want only the new notification %v (its output is done)", ids(acc.Ready), want)
	}
	info, _ := st.GetCheck(ctx, "c")
	if v := jobs.Verdict(info.Tasks); v != jobs.StatusSuccess {
		t.Fatalf("a repeat event must not reopen a finished verdict, got %s", v)
	}
}

func TestUnfinishedTasks(t *testing.T) {
	st, _ := testenv.Store(t)
	acc, err := st.AcceptEvent(ctx, "k", check("c"), jobs.Plan("c", job2x2x1, ""))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := st.UnfinishedTasks(ctx, time.Hour, 10); len(got) != 0 {
		t.Fatalf("freshly enqueued tasks listed as lost: %v", ids(got))
	}
	if err := st.MarkNotEnqueued(ctx, ids(acc.Ready)); err != nil {
		t.Fatal(err)
	}
	got, err := st.UnfinishedTasks(ctx, time.Hour, 10)
	if err != nil || !equal(ids(got), ids(acc.Ready)) {
		t.Fatalf("unfinished = %v, %v; want %v", ids(got), err, ids(acc.Ready))
	}
	if err := st.MarkEnqueued(ctx, ids(acc.Ready)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	if got, _ := st.UnfinishedTasks(ctx, 10*time.Millisecond, 10); !equal(ids(got), ids(acc.Ready)) {
		t.Fatalf("stale tasks = %v, want %v", ids(got), ids(acc.Ready))
	}
}

func TestGetCheckNotFound(t *testing.T) {
	st, _ := testenv.Store(t)
	if _, err := st.GetCheck(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}

func TestMergeRequestOnPushedCommitGetsItsOwnNotification(t *testing.T) {
	st, _ := testenv.Store(t)
	job := config.Job{Name: "j", Scans: []string{"s"}, Outputs: []string{"o"}, Notifications: []string{"n"}}
	if _, err := st.AcceptEvent(ctx, "push", check("c"), jobs.Plan("c", job, "")); err != nil {
		t.Fatal(err)
	}
	run(t, st, jobs.ScanTaskID("c", "s"), 0)
	run(t, st, jobs.OutputTaskID("c", "s", "o"), 1)
	run(t, st, jobs.NotificationTaskID("c", "o", "n", ""), 0)

	mr := check("c")
	mr.EventType, mr.Event = "merge_request", []byte(`{"type":"merge_request","merge_request":{"iid":7}}`)
	acc, err := st.AcceptEvent(ctx, "mr", mr, jobs.Plan("c", job, "!7"))
	if err != nil {
		t.Fatal(err)
	}
	scoped := jobs.NotificationTaskID("c", "o", "n", "!7")
	if want := []string{scoped}; !equal(ids(acc.Ready), want) {
		t.Fatalf("ready = %v, want only %v: the scan and output are done", ids(acc.Ready), want)
	}
	claimed, err := st.ClaimTask(ctx, scoped)
	if err != nil {
		t.Fatal(err)
	}
	var got, first struct{ Type string }
	_ = json.Unmarshal(claimed.Event, &got)
	_ = json.Unmarshal(claimed.Check.Event, &first)
	if got.Type != "merge_request" || first.Type != "push" {
		t.Fatalf("the merge request's task runs for %s (check event %s), want the merge request's event", claimed.Event, claimed.Check.Event)
	}
	if len(claimed.Inputs) != 1 || claimed.Inputs[0].TaskID != jobs.OutputTaskID("c", "s", "o") {
		t.Fatalf("inputs = %+v, want the output done for the push", claimed.Inputs)
	}
	scan, err := st.ClaimTask(ctx, jobs.ScanTaskID("c", "s"))
	if !errors.Is(err, store.ErrTaskFinished) {
		t.Fatalf("the scan is claimable again (%+v, %v): it must not run twice", scan.Task, err)
	}
}

func TestCheckMarks(t *testing.T) {
	st, _ := testenv.Store(t)
	if _, err := st.AcceptEvent(ctx, "k", check("c"), jobs.Plan("c", job2x2x1, "")); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := st.Marked(ctx, "c", "n/status"); ok || err != nil {
		t.Fatalf("unset mark: ok=%v err=%v", ok, err)
	}
	var wg sync.WaitGroup
	var winners sync.Map
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			changed, err := st.Swap(ctx, "c", "n/status", "running")
			if err != nil {
				t.Error(err)
			}
			if changed {
				winners.Store(i, true)
			}
		}()
	}
	wg.Wait()
	n := 0
	winners.Range(func(any, any) bool { n++; return true })
	if n != 1 {
		t.Fatalf("%d racing swaps to one value changed it, want exactly 1", n)
	}
	if changed, _ := st.Swap(ctx, "c", "n/status", "failed"); !changed {
		t.Fatal("a swap to a new value reported no change")
	}
	if v, ok, _ := st.Marked(ctx, "c", "n/status"); !ok || v != "failed" {
		t.Fatalf("mark = %q, %v; want failed", v, ok)
	}
}

func TestPoolPlansWithParameters(t *testing.T) {
	st, _ := testenv.Store(t)
	var mode string
	if err := st.Pool().QueryRow(ctx, `SELECT current_setting('plan_cache_mode')`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "force_custom_plan" {
		t.Fatalf("plan_cache_mode = %q: generic plans of id = ANY($1) scan whole tables", mode)
	}
}

// Migration 6 moves dependencies from task_deps into the task rows: a
// check planned before it still releases its tasks after.
func TestMigrationMovesDependenciesIntoTasks(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := store.MigrateTo(ctx, st, 5); err != nil {
		t.Fatal(err)
	}
	_, err = st.Pool().Exec(ctx, `
		INSERT INTO checks (id, instance_host, project, project_key, commit_sha, event_type, job_name, event)
		VALUES ('c', 'h', 'g/p', 'h:g/p', 'sha', 'push', 'j', '{}');
		INSERT INTO tasks (id, check_id, kind, scan, output, notifier, state, deps_pending) VALUES
			('c:scan:s1', 'c', 'scan', 's1', '', '', 'queued', 0),
			('c:scan:s2', 'c', 'scan', 's2', '', '', 'queued', 0),
			('c:output:s1:o', 'c', 'output', 's1', 'o', '', 'waiting', 1),
			('c:output:s2:o', 'c', 'output', 's2', 'o', '', 'waiting', 1),
			('c:notify:o:n', 'c', 'notification', '', 'o', 'n', 'waiting', 2);
		INSERT INTO task_deps (task_id, dep_id) VALUES
			('c:output:s1:o', 'c:scan:s1'), ('c:output:s2:o', 'c:scan:s2'),
			('c:notify:o:n', 'c:output:s1:o'), ('c:notify:o:n', 'c:output:s2:o');`)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	db := &testenv.DB{Pool: st.Pool()}
	if n := db.Count(t, `SELECT count(*) FROM information_schema.tables WHERE table_name = 'task_deps'`); n != 0 {
		t.Fatal("task_deps is still there")
	}
	run(t, st, "c:scan:s1", 0)
	run(t, st, "c:scan:s2", 0)
	run(t, st, "c:output:s1:o", 0)
	if got := ids(run(t, st, "c:output:s2:o", 0)); !equal(got, []string{"c:notify:o:n"}) {
		t.Fatalf("released %v after both outputs, want the notification", got)
	}
	claimed, err := st.ClaimTask(ctx, "c:notify:o:n")
	if err != nil || len(claimed.Inputs) != 2 {
		t.Fatalf("notification inputs %+v, %v; want both outputs", claimed.Inputs, err)
	}
}
