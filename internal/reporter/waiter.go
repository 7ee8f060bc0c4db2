package reporter

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Listener delivers the ids of checks that changed (store.Store.Listen).
type Listener interface {
	Listen(ctx context.Context, fn func(checkID string)) error
}

// hub wakes requests waiting on a check when the check changes.
type hub struct {
	mu   sync.Mutex
	subs map[string]map[chan struct{}]struct{}
}

func newHub() *hub { return &hub{subs: map[string]map[chan struct{}]struct{}{}} }

// subscribe returns a channel that receives a signal when the check changes,
// and a function to stop listening.
func (h *hub) subscribe(checkID string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs[checkID] == nil {
		h.subs[checkID] = map[chan struct{}]struct{}{}
	}
	h.subs[checkID][ch] = struct{}{}
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.subs[checkID], ch)
		if len(h.subs[checkID]) == 0 {
			delete(h.subs, checkID)
		}
	}
}

func (h *hub) publish(checkID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs[checkID] {
		select {
		case ch <- struct{}{}:
		default: // already signalled
		}
	}
}

// run feeds the hub from the listener until ctx ends, reconnecting after
// failures. Waiting requests also poll, so a gap costs latency, not answers.
func (h *hub) run(ctx context.Context, l Listener, log *slog.Logger) {
	for ctx.Err() == nil {
		err := l.Listen(ctx, h.publish)
		if ctx.Err() != nil {
			return
		}
		log.Warn("check change listener stopped; reconnecting", "error", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}
