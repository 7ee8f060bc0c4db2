// Package queue hands tasks to workers through Redis (asynq). It carries
// only task ids: everything durable is in PostgreSQL, so a task lost with
// Redis is enqueued again from there.
package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hibiken/asynq"

	"github.com/secbot/secbot/internal/gitlab"
	"github.com/secbot/secbot/internal/jobs"
	"github.com/secbot/secbot/internal/store"
)

// Name is the asynq queue of the work hooks bring.
const Name = "secbot"

// HistoryName is the asynq queue of history scans' tasks (onboarding).
// Workers take from it only while Name is empty (strict priority), so
// live hook work always runs first.
const HistoryName = "secbot-history"

// Queues are the queues a worker serves, with their priorities.
func Queues() map[string]int { return map[string]int{Name: 2, HistoryName: 1} }

// For is the queue of a task: HistoryName for the tasks of a history
// scan's check, Name for every other.
func For(taskID string) string {
	if gitlab.IsHistoryCheck(taskID) {
		return HistoryName
	}
	return Name
}

// MaxRetry is how many times a task failing with a transient error is retried.
const MaxRetry = 8

// TypeName is the asynq task type of a task kind.
func TypeName(kind jobs.Kind) string { return "secbot:" + string(kind) }

// Payload is the body of an asynq task.
type Payload struct {
	TaskID string `json:"task_id"`
}

// RedisOpt parses a Redis URL (redis://host:port/db) into asynq options with
// short timeouts, so an unreachable Redis fails fast instead of stalling a
// webhook.
func RedisOpt(redisURL string) (asynq.RedisClientOpt, error) {
	opt, err := asynq.ParseRedisURI(redisURL)
	if err != nil {
		return asynq.RedisClientOpt{}, fmt.Errorf("queue: parsing Redis URL: %w", err)
	}
	client, ok := opt.(asynq.RedisClientOpt)
	if !ok {
		return asynq.RedisClientOpt{}, fmt.Errorf("queue: only a single Redis server (redis:// or rediss://) is supported")
	}
	client.DialTimeout = 2 * time.Second
	client.ReadTimeout = 2 * time.Second
	client.WriteTimeout = 2 * time.Second
	return client, nil
}

// Client enqueues tasks.
type Client struct {
	client    *asynq.Client
	inspector *asynq.Inspector
}

// NewClient connects a client to Redis.
func NewClient(redisURL string) (*Client, error) {
	opt, err := RedisOpt(redisURL)
	if err != nil {
		return nil, err
	}
	return &Client{client: asynq.NewClient(opt), inspector: asynq.NewInspector(opt)}, nil
}

// Close releases the connections.
func (c *Client) Close() error {
	c.inspector.Close()
	return c.client.Close()
}

// Ping checks that Redis answers.
func (c *Client) Ping() error {
	if err := c.client.Ping(); err != nil {
		return fmt.Errorf("queue: Redis unreachable: %w", err)
	}
	return nil
}

// Enqueue hands tasks to the queue under their own ids, so a task that is
// already queued, running or waiting for a retry is not queued twice. A
// task the queue archived (it failed for good earlier, and PostgreSQL now
// wants it run again) is taken out of the archive and queued. It returns
// the ids the queue now holds and the first error.
func (c *Client) Enqueue(ctx context.Context, tasks []store.ReadyTask) ([]string, error) {
	var done []string
	var firstErr error
	for _, t := range tasks {
		err := c.enqueue(ctx, t)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		if err == nil {
			done = append(done, t.ID)
		}
	}
	return done, firstErr
}

func (c *Client) enqueue(ctx context.Context, t store.ReadyTask) error {
	payload, err := json.Marshal(Payload{TaskID: t.ID})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	task := asynq.NewTask(TypeName(t.Kind), payload)
	name := For(t.ID)
	opts := []asynq.Option{asynq.TaskID(t.ID), asynq.Queue(name), asynq.MaxRetry(MaxRetry), asynq.Timeout(30 * time.Minute)}
	_, err = c.client.EnqueueContext(ctx, task, opts...)
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		info, ierr := c.inspector.GetTaskInfo(name, t.ID)
		if ierr != nil || (info.State != asynq.TaskStateArchived && info.State != asynq.TaskStateCompleted) {
			return nil // queued, running or retrying: it will run
		}
		if err := c.inspector.DeleteTask(name, t.ID); err != nil && !errors.Is(err, asynq.ErrTaskNotFound) {
			return fmt.Errorf("queue: removing finished task %s: %w", t.ID, err)
		}
		_, err = c.client.EnqueueContext(ctx, task, opts...)
		if errors.Is(err, asynq.ErrTaskIDConflict) {
			return nil // someone queued it meanwhile
		}
	}
	if err != nil {
		return fmt.Errorf("queue: enqueueing task %s: %w", t.ID, err)
	}
	return nil
}

// RetryDelay is an exponential backoff with a cap: 2s, 4s, 8s, … 5m.
func RetryDelay(n int, _ error, _ *asynq.Task) time.Duration {
	d := 2 * time.Second << min(n, 10)
	return min(d, 5*time.Minute)
}

// Marker records tasks the queue did not take, for the sweeper.
type Marker interface {
	MarkNotEnqueued(ctx context.Context, ids []string) error
}

// Dispatcher enqueues tasks and records those the queue did not take, so
// nothing is lost while Redis is away.
type Dispatcher struct {
	Queue *Client
	Store Marker
}

// Dispatch enqueues tasks; the error says what went wrong, but the tasks
// are safe either way: the ones not enqueued are marked for the sweeper
// (or, if even that fails, found by it once stale).
func (d Dispatcher) Dispatch(ctx context.Context, tasks []store.ReadyTask) error {
	if len(tasks) == 0 {
		return nil
	}
	done, err := d.Queue.Enqueue(ctx, tasks)
	if err == nil {
		return nil
	}
	var missed []string
	for _, t := range tasks {
		if !slices.Contains(done, t.ID) {
			missed = append(missed, t.ID)
		}
	}
	if markErr := d.Store.MarkNotEnqueued(ctx, missed); markErr != nil {
		return fmt.Errorf("%w; and recording that failed too (the sweeper finds them once stale): %w", err, markErr)
	}
	return err
}
