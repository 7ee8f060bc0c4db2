package reporter_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/handler"
	"github.com/secbot/secbot/internal/jobs"
	"github.com/secbot/secbot/internal/metrics"
	"github.com/secbot/secbot/internal/reporter"
	"github.com/secbot/secbot/internal/store"
	"github.com/secbot/secbot/internal/testenv"
)

var ctx = context.Background()

// countingStore is the real store, counting the reads the gate makes:
// GetCheck once per status read, CheckVersions once per poll.
type countingStore struct {
	*store.Store
	reads, polls atomic.Int64
}

func (c *countingStore) GetCheck(ctx context.Context, id string) (store.CheckInfo, error) {
	c.reads.Add(1)
	return c.Store.GetCheck(ctx, id)
}

func (c *countingStore) CheckVersions(ctx context.Context, ids []string) (map[string]string, error) {
	c.polls.Add(1)
	return c.Store.CheckVersions(ctx, ids)
}

// gate is a reporter serving the gate on a loopback port, with its
// listener running, on a fresh database.
type gate struct {
	t       *testing.T
	st      *countingStore
	metrics *metrics.Metrics
	url     string
	port    string
}

func newGate(t *testing.T, limits reporter.Limits, poll time.Duration) *gate {
	t.Helper()
	st, _ := testenv.Store(t)
	g := &gate{t: t, st: &countingStore{Store: st}, metrics: metrics.New()}
	logs := &testenv.Logs{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("reporter log:\n%s", logs)
		}
	})
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rep := reporter.New(g.st, findings.NewService(st.Pool()), g.metrics, log, limits)
	reporter.SetPollInterval(rep, poll)
	runCtx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	go rep.Run(runCtx, st)
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	rep.Register(app)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.ShutdownWithTimeout(time.Second) })
	g.url = "http://" + ln.Addr().String()
	_, g.port, _ = net.SplitHostPort(ln.Addr().String())
	return g
}

// check records a check whose job has one scan, s, and starts the scan:
// the check is in progress until finish.
func (g *gate) check(id string) {
	g.t.Helper()
	c := store.Check{ID: id, InstanceHost: "git.example", Project: "g/p", ProjectKey: "git.example:g/p",
		CommitSHA: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7", EventType: "push", JobName: "j", Event: []byte(`{"type":"push"}`)}
	if _, err := g.st.AcceptEvent(ctx, "delivery-"+id, c, jobs.Plan(id, config.Job{Name: "j", Scans: []string{"s"}}, "")); err != nil {
		g.t.Fatal(err)
	}
	if _, err := g.st.ClaimTask(ctx, jobs.ScanTaskID(id, "s")); err != nil {
		g.t.Fatal(err)
	}
}

// finish completes the check's scan, as a worker does (with its
// notification): the check is then final, success.
func (g *gate) finish(id string) {
	g.t.Helper()
	if _, err := g.st.CompleteTask(ctx, jobs.ScanTaskID(id, "s"), handler.Result{}); err != nil {
		g.t.Fatal(err)
	}
}

// answer is what the gate said.
type answer struct {
	code       int
	status     string
	retryAfter string
	body       map[string]any
	err        error
}

// ask asks the gate about id from the loopback address from (127.0.0.x),
// with ?wait=wait when wait is not empty.
func (g *gate) ask(from, id, wait string) answer {
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	client := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{DialContext: dialer.DialContext}}
	defer client.CloseIdleConnections()
	url := "http://127.0.0.1:" + g.port + "/v1/security/gitlab/check/" + id
	if wait != "" {
		url += "?wait=" + wait
	}
	resp, err := client.Get(url)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	a := answer{code: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &a.body); err != nil {
		a.err = err
	}
	a.status, _ = a.body["status"].(string)
	return a
}

// waits is how many ?wait= requests the gate holds now.
func (g *gate) waits() int { return int(testutil.ToFloat64(g.metrics.GateWaits)) }

// until polls cond (bounded); the bound only stops a broken test.
func (g *gate) until(what string, cond func() bool) {
	g.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			g.t.Fatalf("waited 30s for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestParseWaitAnswersWithoutWaiting(t *testing.T) {
	t.Parallel()
	g := newGate(t, reporter.Limits{}, time.Hour)
	for _, tt := range []struct {
		wait string
		code int
	}{{"soon", http.StatusBadRequest}, {"-1s", http.StatusBadRequest}, {"", http.StatusOK}, {"0", http.StatusOK}} {
		if a := g.ask("127.0.0.1", "unknown", tt.wait); a.code != tt.code {
			t.Errorf("?wait=%s: %d %v, want %d", tt.wait, a.code, a.body, tt.code)
		}
	}
}

// An id no check can have (percent-encoded NUL or bytes that are not
// UTF-8, an id of 2 KiB) is an unknown id: not_started, as the
// original answers, never a 500 from the database.
func TestHostileIDsAreUnknown(t *testing.T) {
	t.Parallel()
	g := newGate(t, reporter.Limits{}, time.Hour)
	for _, id := range []string{"secbot_%00", "secbot_%ff%fe", "secbot_a%00b", strings.Repeat("a", 2<<10)} {
		for _, wait := range []string{"", "1s"} {
			if a := g.ask("127.0.0.1", id, wait); a.err != nil || a.code != http.StatusOK || a.status != "not_started" {
				t.Errorf("id %.20q wait %q: %d %v (%v), want 200 not_started", id, wait, a.code, a.body, a.err)
			}
		}
	}
}
