package reporter

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Listener delivers the ids of checks that changed (store.Store.Listen).
type Listener interface {
	Listen(ctx context.Context, fn func(checkID string)) error
}

// Limits bound the ?wait= requests one reporter holds open: anyone may
// ask the gate, so waits must cost connections in bounded number.
type Limits struct {
	// Waits bounds them in all (default DefaultWaits).
	Waits int
	// WaitsPerClient bounds those of one client address, as httpapi.ClientIP gives
	// it: the peer, or the address a trusted proxy forwarded (default
	// DefaultWaitsPerClient).
	WaitsPerClient int
}

// Defaults of Limits.
const (
	DefaultWaits          = 1000
	DefaultWaitsPerClient = 100
)

// retryAfter is how long a refused wait is told to wait before asking again.
const retryAfter = 5 * time.Second

// refusal is why a wait was not admitted.
type refusal struct {
	perClient bool
	limit     int
}

func (r *refusal) Error() string {
	if r.perClient {
		return fmt.Sprintf("this address already holds %d ?wait= requests, the most one client may", r.limit)
	}
	return fmt.Sprintf("the reporter already holds %d ?wait= requests, the most it may", r.limit)
}

// hub serves every ?wait= of the process from shared reads. Waits are
// kept by check id: one LISTEN connection names the checks that changed,
// and a changed check is read once, however many requests wait on it. A
// poll every pollInterval asks PostgreSQL in one query which of the
// waited-on checks changed (a backstop for notifications missed while the
// listener reconnects) and reads only those. So the database work of
// waits grows with the changes of checks, not with the waiting requests.
type hub struct {
	read     func(ctx context.Context, id string) (CheckResponse, error)
	versions func(ctx context.Context, ids []string) (map[string]string, error)
	limits   Limits
	poll     time.Duration
	gauge    prometheus.Gauge
	log      *slog.Logger

	mu      sync.Mutex
	watches map[string]*watch
	clients map[string]int
	waits   int
}

// watch is one check that requests wait on.
type watch struct {
	id      string
	waiters int
	// done is closed when latest is final; the watch then leaves the hub.
	done     chan struct{}
	finished bool
	// latest is the newest shared read of the check, started at latestAt.
	latest   *CheckResponse
	latestAt time.Time
	// reading is set while a shared read runs; again asks it for one
	// more, for a change that came during it.
	reading, again bool
	// version is the check's fingerprint at the last poll (polled: seen).
	version string
	polled  bool
}

// admit counts a wait of client against the limits; release uncounts it.
func (h *hub) admit(client string) (release func(), err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch { // the client's own bound first: it says what the client can change
	case h.clients[client] >= h.limits.WaitsPerClient:
		return nil, &refusal{perClient: true, limit: h.limits.WaitsPerClient}
	case h.waits >= h.limits.Waits:
		return nil, &refusal{limit: h.limits.Waits}
	}
	h.waits++
	h.clients[client]++
	h.gauge.Inc()
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.waits--
		if h.clients[client]--; h.clients[client] == 0 {
			delete(h.clients, client)
		}
		h.gauge.Dec()
	}, nil
}

// subscribe adds a waiter to the check's watch; stop removes it.
func (h *hub) subscribe(id string) (w *watch, stop func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	w = h.watches[id]
	if w == nil {
		w = &watch{id: id, done: make(chan struct{})}
		h.watches[id] = w
	}
	w.waiters++
	return w, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if w.waiters--; w.waiters == 0 && h.watches[id] == w {
			delete(h.watches, id)
		}
	}
}

// wait blocks until the watch's check is final, d has passed or ctx ends,
// and returns the newest answer: the shared read's if it began after
// since (when the caller read mine), else mine.
func (h *hub) wait(ctx context.Context, w *watch, d time.Duration, since time.Time, mine CheckResponse) CheckResponse {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-w.done:
	case <-timer.C:
	case <-ctx.Done():
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if w.latest != nil && (w.finished || w.latestAt.After(since)) {
		return *w.latest
	}
	return mine
}

// changed is called for each notification: the check is read again if
// anyone waits on it.
func (h *hub) changed(ctx context.Context, id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if w := h.watches[id]; w != nil {
		h.refresh(ctx, w)
	}
}

// refresh starts a shared read of the watch's check, or asks the running
// one to read once more. h.mu is held.
func (h *hub) refresh(ctx context.Context, w *watch) {
	if w.reading {
		w.again = true
		return
	}
	w.reading = true
	go h.reread(ctx, w)
}

func (h *hub) reread(ctx context.Context, w *watch) {
	for {
		started := time.Now()
		resp, err := h.read(ctx, w.id)
		h.mu.Lock()
		switch {
		case err != nil && ctx.Err() == nil:
			// The waits keep waiting: the next change or poll reads again.
			h.log.Warn("reading a waited-on check failed", "security_check_id", w.id, "error", err)
		case err == nil:
			w.latest, w.latestAt = &resp, started
			if final(resp.Status) {
				w.finished = true
				close(w.done)
				if h.watches[w.id] == w {
					delete(h.watches, w.id)
				}
			}
		}
		if !w.again || w.finished || w.waiters == 0 || ctx.Err() != nil {
			w.reading, w.again = false, false
			h.mu.Unlock()
			return
		}
		w.again = false
		h.mu.Unlock()
	}
}

// pollOnce asks for the versions of every waited-on check in one query
// and reads again those that changed since the last poll, or that it sees
// for the first time (a change may have come between a request's own read
// and its watch).
func (h *hub) pollOnce(ctx context.Context) {
	h.mu.Lock()
	ids := make([]string, 0, len(h.watches))
	for id := range h.watches {
		ids = append(ids, id)
	}
	h.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	versions, err := h.versions(ctx, ids)
	if err != nil {
		if ctx.Err() == nil {
			h.log.Warn("polling waited-on checks failed", "checks", len(ids), "error", err)
		}
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, v := range versions {
		w := h.watches[id]
		if w == nil || (w.polled && w.version == v) {
			continue
		}
		w.version, w.polled = v, true
		h.refresh(ctx, w)
	}
}

// run feeds the hub from the listener and the poll until ctx ends,
// reconnecting the listener after failures; while it is away the poll
// still answers the waits, a little later.
func (h *hub) run(ctx context.Context, l Listener) {
	go func() {
		tick := time.NewTicker(h.poll)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				h.pollOnce(ctx)
			}
		}
	}()
	for ctx.Err() == nil {
		err := l.Listen(ctx, func(id string) { h.changed(ctx, id) })
		if ctx.Err() != nil {
			return
		}
		h.log.Warn("check change listener stopped; reconnecting", "error", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}
