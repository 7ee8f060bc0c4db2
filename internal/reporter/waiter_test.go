package reporter_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secbot/secbot/internal/reporter"
	"github.com/secbot/secbot/internal/store"
)

// askAll sends n waits on id at once and returns a channel that receives
// their answers.
func (g *gate) askAll(n int, from func(i int) string, id func(i int) string, wait string) <-chan answer {
	out := make(chan answer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out <- g.ask(from(i), id(i), wait)
		}()
	}
	go func() { wg.Wait(); close(out) }()
	return out
}

func same(s string) func(int) string { return func(int) string { return s } }

// collect reads every answer and fails the test unless each is 200 want.
func collect(t *testing.T, answers <-chan answer, n int, want string) {
	t.Helper()
	got := 0
	for a := range answers {
		if a.err != nil || a.code != http.StatusOK || a.status != want {
			t.Fatalf("a wait answered %d %v (%v), want 200 %s", a.code, a.body, a.err, want)
		}
		got++
	}
	if got != n {
		t.Fatalf("%d waits answered, want %d", got, n)
	}
}

// One change of a check that 200 requests wait on is read once, not once
// per request: the waits share the process's listener and its reads.
func TestManyWaitsShareOneReadPerChange(t *testing.T) {
	t.Parallel()
	const waiters = 200
	g := newGate(t, reporter.Limits{Waits: waiters, WaitsPerClient: waiters}, time.Hour) // no poll: notifications only
	id := "secbot_many_waits"
	g.check(id)
	answers := g.askAll(waiters, same("127.0.0.1"), same(id), "1m")
	g.until("every wait to be held and to have made its own first read", func() bool {
		return g.waits() == waiters && g.st.reads.Load() >= waiters
	})
	g.listening(id)
	before := g.st.reads.Load()
	g.finish(id) // one change, one notification
	collect(t, answers, waiters, "success")
	if reads := g.st.reads.Load() - before; reads > 2 {
		t.Fatalf("one change with %d waiting requests made %d reads of the check, want one (shared)", waiters, reads)
	}
}

// listening returns once the reporter's listener hears notifications
// (it may still be connecting): it notifies id, which requests wait on,
// until a read follows, and until the reads it caused are over.
func (g *gate) listening(id string) {
	g.t.Helper()
	reads := g.st.reads.Load()
	g.until("the listener to hear a notification", func() bool {
		if g.st.reads.Load() > reads {
			return true
		}
		if _, err := g.st.Pool().Exec(ctx, `SELECT pg_notify($1, $2)`, store.NotifyChannel, id); err != nil {
			g.t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
		return false
	})
	g.until("reads after the probe to settle", func() bool { return !g.reading() })
}

// reading reports whether the gate is reading a check now: the reads
// counter holds still for a poll's time.
func (g *gate) reading() bool {
	n := g.st.reads.Load()
	time.Sleep(100 * time.Millisecond)
	return g.st.reads.Load() != n
}

// With notifications missed (a change written without one), the waits are
// still answered, by one poll query for all of them; unchanged checks, and
// ids no check has, are not read again however long they are waited on.
func TestPollBackstopQueriesOnceForAllWaits(t *testing.T) {
	t.Parallel()
	const unknown, onOne = 50, 50
	g := newGate(t, reporter.Limits{Waits: 1000, WaitsPerClient: 1000}, 50*time.Millisecond)
	id := "secbot_polled"
	g.check(id)
	idle := g.askAll(unknown, same("127.0.0.1"), func(i int) string { return fmt.Sprintf("secbot_unknown_%d", i) }, "2s")
	waiting := g.askAll(onOne, same("127.0.0.1"), same(id), "1m")
	g.until("every wait to be held", func() bool { return g.waits() == unknown+onOne })
	polls := g.st.polls.Load()
	g.until("ten polls", func() bool { return g.st.polls.Load() >= polls+10 })
	// Each request read once itself; the poll read the one existing check
	// once on first sight; nothing else was read.
	if reads := g.st.reads.Load(); reads > unknown+onOne+2 {
		t.Fatalf("%d waits over ten polls made %d reads, want %d (one each) and the poll's first look",
			unknown+onOne, reads, unknown+onOne)
	}
	// A change without its notification, as while the listener reconnects.
	before := g.st.reads.Load()
	if _, err := g.st.Pool().Exec(ctx, `UPDATE tasks SET state = 'done', finished_at = now() WHERE check_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	collect(t, waiting, onOne, "success")
	if reads := g.st.reads.Load() - before; reads > 2 {
		t.Fatalf("the polled change made %d reads for %d waits, want one", reads, onOne)
	}
	collect(t, idle, unknown, "not_started")
}

// Waits are bounded per client address and in all; one over a bound is
// answered 429 with Retry-After at once, unless its check is final.
func TestWaitLimitsAnswer429(t *testing.T) {
	t.Parallel()
	g := newGate(t, reporter.Limits{Waits: 5, WaitsPerClient: 3}, 100*time.Millisecond)
	held, done := "secbot_held", "secbot_done"
	g.check(held)
	g.check(done)
	g.finish(done)
	first := g.askAll(3, same("127.0.0.1"), same(held), "1m")
	g.until("three waits from 127.0.0.1", func() bool { return g.waits() == 3 })

	a := g.ask("127.0.0.1", held, "1m")
	if a.code != http.StatusTooManyRequests || a.retryAfter != "5" || a.body["code"] != "TOO_MANY_WAITS" ||
		!strings.Contains(fmt.Sprint(a.body["message"]), "this address already holds 3 ?wait= requests") {
		t.Fatalf("a fourth wait from one address: %d Retry-After %q %v, want 429 naming the per-client bound",
			a.code, a.retryAfter, a.body)
	}
	if a := g.ask("127.0.0.1", held, ""); a.code != http.StatusOK || a.status != "in_progress" {
		t.Fatalf("asking without ?wait= over the bound: %d %v", a.code, a.body)
	}
	if a := g.ask("127.0.0.1", done, "1m"); a.code != http.StatusOK || a.status != "success" {
		t.Fatalf("a wait over the bound on a finished check: %d %v, want its verdict", a.code, a.body)
	}

	second := g.askAll(2, same("127.0.0.2"), same(held), "1m")
	g.until("five waits in all", func() bool { return g.waits() == 5 })
	a = g.ask("127.0.0.3", held, "1m")
	if a.code != http.StatusTooManyRequests || a.retryAfter != "5" ||
		!strings.Contains(fmt.Sprint(a.body["message"]), "the reporter already holds 5 ?wait= requests") {
		t.Fatalf("a wait over the overall bound: %d Retry-After %q %v, want 429 naming it", a.code, a.retryAfter, a.body)
	}

	g.finish(held)
	collect(t, first, 3, "success")
	collect(t, second, 2, "success")
	g.until("the waits to be released", func() bool { return g.waits() == 0 })
	if a := g.ask("127.0.0.3", held, "1m"); a.code != http.StatusOK {
		t.Fatalf("a wait after the others ended: %d %v", a.code, a.body)
	}
}

// A watch outlives the request that made it: the id it is kept by must
// not change when that request's buffers serve the next requests.
func TestWatchKeepsItsIDAfterTheFirstWaiterLeaves(t *testing.T) {
	t.Parallel()
	g := newGate(t, reporter.Limits{}, time.Hour) // no poll: notifications only
	id := "secbot_first_waiter_leaves"
	g.check(id)
	first := g.askAll(1, same("127.0.0.1"), same(id), "1s") // makes the watch
	g.until("the first wait", func() bool { return g.waits() == 1 })
	second := g.askAll(1, same("127.0.0.1"), same(id), "15s")
	g.until("the second wait", func() bool { return g.waits() == 2 })
	g.listening(id)
	collect(t, first, 1, "in_progress")
	// Requests for other ids of the same length reuse the first one's
	// buffers.
	for i := range 20 {
		if a := g.ask("127.0.0.1", fmt.Sprintf("secbot_other_waiter_num_%03d", i), ""); a.code != http.StatusOK {
			t.Fatalf("asking about another check: %d %v", a.code, a.body)
		}
	}
	g.finish(id)
	collect(t, second, 1, "success") // not in_progress after 15s: the change woke it
}
