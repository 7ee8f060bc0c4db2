package store

import (
	"context"
	"errors"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/secbot/secbot/internal/jobs"
)

// ErrIntakeClosed is returned by Intake.AcceptEvent after Close.
var ErrIntakeClosed = errors.New("store: intake closed")

// Intake is AcceptEvent for many callers at once (group commit): the
// events that arrive while a transaction runs go together into the next
// one. Each caller still returns only after its event is committed, so
// nothing is answered before it is durable; under load a batch of events
// costs one transaction instead of one each.
type Intake struct {
	store    *Store
	maxBatch int
	wg       sync.WaitGroup

	// mu guards closed; senders hold it to read so that Close can close
	// requests once no send is under way.
	mu       sync.RWMutex
	closed   bool
	requests chan *intakeRequest
}

type intakeRequest struct {
	event Event
	done  chan intakeResult
}

type intakeResult struct {
	acc Accepted
	err error
}

// NewIntake starts committers goroutines, each running one transaction at
// a time of at most maxBatch events. Close stops them.
func NewIntake(s *Store, committers, maxBatch int) *Intake {
	committers, maxBatch = max(1, committers), max(1, maxBatch)
	in := &Intake{store: s, maxBatch: maxBatch, requests: make(chan *intakeRequest, committers*maxBatch)}
	for range committers {
		in.wg.Add(1)
		go in.run()
	}
	return in
}

// AcceptEvent records the event as Store.AcceptEvent does, in a
// transaction shared with the events that arrive with it. Once handed
// over, the event is recorded or fails on its own, and AcceptEvent waits
// for that even if ctx ends.
func (in *Intake) AcceptEvent(ctx context.Context, deliveryKey string, c Check, plan []jobs.Task) (Accepted, error) {
	req := &intakeRequest{event: Event{DeliveryKey: deliveryKey, Check: c, Plan: plan}, done: make(chan intakeResult, 1)}
	in.mu.RLock()
	if in.closed {
		in.mu.RUnlock()
		return Accepted{}, ErrIntakeClosed
	}
	select {
	case in.requests <- req:
		in.mu.RUnlock()
	case <-ctx.Done():
		in.mu.RUnlock()
		return Accepted{}, ctx.Err()
	}
	r := <-req.done
	return r.acc, r.err
}

// Close refuses new events, commits those handed over, and stops the
// committers.
func (in *Intake) Close() {
	in.mu.Lock()
	if !in.closed {
		in.closed = true
		close(in.requests)
	}
	in.mu.Unlock()
	in.wg.Wait()
}

func (in *Intake) run() {
	defer in.wg.Done()
	for first := range in.requests {
		in.commit(in.gather(first))
	}
}

// gather takes the requests already waiting, up to maxBatch; it never
// waits for more, so a lone event is not delayed.
func (in *Intake) gather(first *intakeRequest) []*intakeRequest {
	batch := []*intakeRequest{first}
	for len(batch) < in.maxBatch {
		select {
		case r, ok := <-in.requests:
			if !ok {
				return batch
			}
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

// commit records a batch. If the database refuses the batch, each event
// is tried alone, so an event it refuses fails alone, and a deadlock with
// another batch fails none.
func (in *Intake) commit(batch []*intakeRequest) {
	ctx := context.Background()
	events := make([]Event, len(batch))
	for i, r := range batch {
		events[i] = r.event
	}
	accs, err := in.store.AcceptEvents(ctx, events)
	if err == nil {
		for i, r := range batch {
			r.done <- intakeResult{acc: accs[i]}
		}
		return
	}
	if ConnectionLost(err) || (len(batch) == 1 && !retryable(err)) {
		// With the database out of reach every event would meet the same,
		// so they fail at once, not one by one; a lone event the database
		// refused has had its answer.
		for _, r := range batch {
			r.done <- intakeResult{err: err}
		}
		return
	}
	for _, r := range batch {
		acc, err := in.store.AcceptEvent(ctx, r.event.DeliveryKey, r.event.Check, r.event.Plan)
		r.done <- intakeResult{acc: acc, err: err}
	}
}

// retryable reports a serialization failure or a deadlock, which a second
// try of the same transaction may not meet.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40001" || pgErr.Code == "40P01")
}
