package worker_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/handler"
	"github.com/secbot/secbot/internal/jobs"
	"github.com/secbot/secbot/internal/metrics"
	"github.com/secbot/secbot/internal/queue"
	"github.com/secbot/secbot/internal/store"
	"github.com/secbot/secbot/internal/testenv"
	"github.com/secbot/secbot/internal/worker"
)

func TestSweepRequeuesLostAndArchivedTasks(t *testing.T) {
	ctx := context.Background()
	st, _ := testenv.Store(t)
	redisURL := testenv.RedisURL(t)
	q, err := queue.NewClient(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	opt, _ := queue.RedisOpt(redisURL)
	inspector := asynq.NewInspector(opt)
	defer inspector.Close()

	job := config.Job{Name: "j", Scans: []string{"a", "b"}}
	acc, err := st.AcceptEvent(ctx, "k", store.Check{ID: "c", InstanceHost: "h", Project: "p", ProjectKey: "h:p",
		CommitSHA: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7", EventType: "push", JobName: "j", Event: []byte(`{}`)}, jobs.Plan("c", job, ""))
	if err != nil || len(acc.Ready) != 2 {
		t.Fatalf("accept: %+v %v", acc, err)
	}
	// Task a reached Redis and was archived after its last retry while
	// PostgreSQL missed the outcome; task b never reached Redis.
	if _, err := q.Enqueue(ctx, acc.Ready[:1]); err != nil {
		t.Fatal(err)
	}
	if err := inspector.ArchiveTask(queue.Name, acc.Ready[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkNotEnqueued(ctx, []string{acc.Ready[1].ID}); err != nil {
		t.Fatal(err)
	}
	key, _ := store.NewReportKey("test")
	w := worker.New(st, q, &handler.Handlers{}, nil, key, metrics.New(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	n, err := w.Sweep(ctx, 0)
	if err != nil || n != 2 {
		t.Fatalf("Sweep = %d, %v; want both tasks enqueued", n, err)
	}
	for _, r := range acc.Ready {
		info, err := inspector.GetTaskInfo(queue.Name, r.ID)
		if err != nil || info.State != asynq.TaskStatePending {
			t.Fatalf("%s: %v, %v; want pending", r.ID, info, err)
		}
	}
	// A second sweep finds both tasks still queued and duplicates nothing.
	if n, err := w.Sweep(ctx, 0); err != nil || n != 2 {
		t.Fatalf("second Sweep = %d, %v", n, err)
	}
	qinfo, err := inspector.GetQueueInfo(queue.Name)
	if err != nil || qinfo.Pending != 2 {
		t.Fatalf("queue: %+v, %v; want 2 pending", qinfo, err)
	}
}
