package store_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/jobs"
	"github.com/secbot/secbot/internal/store"
	"github.com/secbot/secbot/internal/testenv"
)

// A batch gives each event what it would get alone: duplicates within
// the batch and in the database, two events of one new check, and a
// retry of an existing check's failed work.
func TestAcceptEventsBatch(t *testing.T) {
	st, _ := testenv.Store(t)
	one := config.Job{Name: "j", Scans: []string{"s"}, Outputs: []string{"o"}, Notifications: []string{"n"}}
	if _, err := st.AcceptEvent(ctx, "seen", check("old"), jobs.Plan("old", one, "")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ClaimTask(ctx, jobs.ScanTaskID("old", "s")); err != nil {
		t.Fatal(err)
	}
	if err := st.FailTask(ctx, jobs.ScanTaskID("old", "s"), "clone failed"); err != nil {
		t.Fatal(err)
	}
	mr := check("a")
	mr.EventType, mr.Event = "merge_request", []byte(`{"type":"merge_request","merge_request":{"iid":7}}`)
	accs, err := st.AcceptEvents(ctx, []store.Event{
		{DeliveryKey: "a1", Check: check("a"), Plan: jobs.Plan("a", job2x2x1, "")},
		{DeliveryKey: "a1", Check: check("a"), Plan: jobs.Plan("a", job2x2x1, "")},
		{DeliveryKey: "a-mr", Check: mr, Plan: jobs.Plan("a", job2x2x1, "!7")},
		{DeliveryKey: "seen", Check: check("old"), Plan: jobs.Plan("old", one, "")},
		{DeliveryKey: "old-2", Check: check("old"), Plan: jobs.Plan("old", one, "")},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		dup, newCheck bool
		ready         []string
	}{
		{false, true, []string{jobs.ScanTaskID("a", "s1"), jobs.ScanTaskID("a", "s2")}},
		{true, false, nil},
		{false, false, nil}, // its scans are the first event's
		{true, false, nil},
		{false, false, []string{jobs.ScanTaskID("old", "s")}}, // the failed scan runs again
	}
	for i, w := range want {
		got := accs[i]
		if got.Duplicate != w.dup || got.NewCheck != w.newCheck || !equal(ids(got.Ready), w.ready) {
			t.Errorf("event %d: %+v (ready %v), want duplicate=%v new=%v ready=%v", i, got, ids(got.Ready), w.dup, w.newCheck, w.ready)
		}
	}
	// The merge request's notifications wait for the same outputs as the
	// push's and are released with them.
	run(t, st, jobs.ScanTaskID("a", "s1"), 0)
	run(t, st, jobs.ScanTaskID("a", "s2"), 0)
	run(t, st, jobs.OutputTaskID("a", "s1", "o1"), 0)
	released := ids(run(t, st, jobs.OutputTaskID("a", "s2", "o1"), 0))
	if want := []string{jobs.NotificationTaskID("a", "o1", "n", ""), jobs.NotificationTaskID("a", "o1", "n", "!7")}; !equal(released, want) {
		t.Fatalf("released %v, want %v", released, want)
	}
	claimed, err := st.ClaimTask(ctx, jobs.NotificationTaskID("a", "o1", "n", "!7"))
	var event struct{ Type string }
	_ = json.Unmarshal(claimed.Event, &event)
	if err != nil || len(claimed.Inputs) != 2 || event.Type != "merge_request" {
		t.Fatalf("merge request notification: inputs %+v, event %s, %v", claimed.Inputs, claimed.Event, err)
	}
	info, _ := st.GetCheck(ctx, "old")
	for _, task := range info.Tasks {
		if task.ID != jobs.ScanTaskID("old", "s") && task.State != jobs.StateWaiting {
			t.Errorf("%s is %s after the retry, want waiting for the scan", task.ID, task.State)
		}
	}
}

// holdCheck keeps check id's row locked until the returned func is called,
// and returns once a committer of in waits for that lock.
func holdCheck(t *testing.T, st *store.Store, in *store.Intake, dsn, id string) (accepted <-chan error, release func()) {
	t.Helper()
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if _, err := st.AcceptEvent(ctx, id+"-first", check(id), nil); err != nil {
		t.Fatal(err)
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT 1 FROM checks WHERE id = $1 FOR UPDATE`, id); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := in.AcceptEvent(ctx, id+"-blocked", check(id), nil)
		done <- err
	}()
	waitFor(t, "a committer waiting for the lock", func() bool {
		var n int
		_ = pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n)
		return n == 1
	})
	return done, func() { _ = tx.Rollback(ctx) }
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// arriveTogether hands n events (for checks c00…) to an intake while its
// only committer waits for a lock, then lets it go; event bad (if ≥ 0)
// carries an event PostgreSQL refuses.
func arriveTogether(t *testing.T, n, bad int) (*testenv.DB, []store.Accepted, []error) {
	st, dsn := testenv.Store(t)
	in := store.NewIntake(st, 1, 64)
	defer in.Close()
	blocked, release := holdCheck(t, st, in, dsn, "held")

	job := config.Job{Name: "j", Scans: []string{"s"}, Outputs: []string{"o"}}
	results := make([]store.Accepted, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := check(fmt.Sprintf("c%02d", i))
			if i == bad {
				c.Event = []byte(`{"not json`)
			}
			results[i], errs[i] = in.AcceptEvent(ctx, c.ID, c, jobs.Plan(c.ID, job, ""))
		}()
	}
	waitFor(t, "all events handed over", func() bool { return store.IntakeWaiting(in) == n })
	release()
	if err := <-blocked; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	return &testenv.DB{Pool: st.Pool()}, results, errs
}

// Events that arrive while a transaction runs are committed together in
// the next, each with what it would get alone.
func TestIntakeGroupsEventsThatArriveTogether(t *testing.T) {
	const n = 20
	db, results, errs := arriveTogether(t, n, -1)
	for i := range n {
		if errs[i] != nil || !results[i].NewCheck || len(results[i].Ready) != 1 {
			t.Errorf("event %d: %+v, %v; want a new check with its scan ready", i, results[i], errs[i])
		}
	}
	if got := db.Count(t, `SELECT count(DISTINCT xmin::text) FROM deliveries WHERE key LIKE 'c%'`); got != 1 {
		t.Fatalf("the %d events took %d transactions, want 1", n, got)
	}
	if got := db.Count(t, `SELECT count(*) FROM tasks WHERE check_id LIKE 'c%' AND state = 'queued'`); got != n {
		t.Fatalf("%d scans queued, want %d", got, n)
	}
}

// An event the database refuses fails alone: the others of its batch are
// recorded.
func TestIntakeEventFailsAlone(t *testing.T) {
	const n, bad = 10, 7
	db, results, errs := arriveTogether(t, n, bad)
	for i := range n {
		switch {
		case i == bad && errs[i] == nil:
			t.Errorf("event %d carries broken JSON and was accepted", i)
		case i != bad && (errs[i] != nil || !results[i].NewCheck):
			t.Errorf("event %d: %+v, %v; want it recorded", i, results[i], errs[i])
		}
	}
	if got := db.Count(t, `SELECT count(*) FROM deliveries WHERE key LIKE 'c%'`); got != n-1 {
		t.Fatalf("%d deliveries recorded, want %d", got, n-1)
	}
}

func TestIntakeClosed(t *testing.T) {
	st, _ := testenv.Store(t)
	in := store.NewIntake(st, 2, 8)
	if _, err := in.AcceptEvent(ctx, "k", check("c"), nil); err != nil {
		t.Fatal(err)
	}
	in.Close()
	in.Close() // twice is fine
	if _, err := in.AcceptEvent(ctx, "k2", check("c"), nil); !errors.Is(err, store.ErrIntakeClosed) {
		t.Fatalf("after Close: %v, want ErrIntakeClosed", err)
	}
}

// Events of one new commit recorded at once by separate transactions (two
// receivers, or two committers) create its check and plan once.
func TestConcurrentEventsOfOneNewCheck(t *testing.T) {
	st, _ := testenv.Store(t)
	const n = 10
	results := make([]store.Accepted, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			results[i], err = st.AcceptEvent(ctx, fmt.Sprintf("key-%d", i), check("c"), jobs.Plan("c", job2x2x1, ""))
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	created, ready := 0, 0
	for _, r := range results {
		if r.NewCheck {
			created++
		}
		ready += len(r.Ready)
	}
	if created != 1 || ready != 2 {
		t.Fatalf("%d events created the check and %d tasks were readied; want 1 and the 2 scans", created, ready)
	}
	db := &testenv.DB{Pool: st.Pool()}
	if got := db.Count(t, `SELECT count(*) FROM tasks WHERE state = 'waiting' AND deps_pending = 0`); got != 0 {
		t.Fatalf("%d tasks wait for nothing", got)
	}
}

// With the database gone every event fails, at once; once it is back the
// next is recorded.
func TestIntakeDatabaseGone(t *testing.T) {
	st, proxy := proxiedStore(t)
	in := store.NewIntake(st, 1, 64)
	defer in.Close()

	proxy.Stop()
	const n = 10
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, err := in.AcceptEvent(ctx, fmt.Sprint("k", i), check(fmt.Sprint("c", i)), nil)
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err == nil {
			t.Fatal("an event was accepted with the database gone")
		}
	}
	proxy.Start()
	if acc, err := in.AcceptEvent(ctx, "after", check("after"), nil); err != nil || !acc.NewCheck {
		t.Fatalf("after the database came back: %+v, %v", acc, err)
	}
}

// proxiedStore opens a migrated store on a fresh database reached through
// a proxy the test can cut.
func proxiedStore(t *testing.T) (*store.Store, *testenv.Proxy) {
	t.Helper()
	u, err := url.Parse(testenv.MigratedDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := testenv.NewProxy(t, u.Host)
	u.Host = proxy.Addr
	return testenv.OpenStore(t, u.String()), proxy
}

// Right after the database restarts, a read through Retry succeeds at
// once: the pool's dead connections are not handed out again.
func TestRetryAfterDatabaseRestart(t *testing.T) {
	st, proxy := proxiedStore(t)
	if _, err := st.AcceptEvent(ctx, "k", check("c"), nil); err != nil {
		t.Fatal(err)
	}
	read := func() error { _, err := st.GetCheck(ctx, "c"); return err }
	if err := read(); err != nil {
		t.Fatal(err)
	}
	// The pool's four connections, idle, all to die with the restart.
	var conns []*pgxpool.Conn
	for range 4 {
		c, err := st.Pool().Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Release()
	}
	proxy.Stop()
	if err := st.Retry(ctx, read); !store.ConnectionLost(err) {
		t.Fatalf("with the database gone: %v, want a lost connection", err)
	}
	proxy.Start()
	if err := st.Retry(ctx, read); err != nil {
		t.Fatalf("right after the database came back: %v", err)
	}
	if _, err := st.GetCheck(ctx, "missing"); store.ConnectionLost(err) {
		t.Fatalf("a missing check counted as a lost connection: %v", err)
	}
}
