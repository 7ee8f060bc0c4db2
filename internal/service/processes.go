package service

import (
	"context"
	"embed"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/secbot/secbot/internal/httpapi"
	"github.com/secbot/secbot/internal/jobs"
	"github.com/secbot/secbot/internal/metrics"
	"github.com/secbot/secbot/internal/queue"
	"github.com/secbot/secbot/internal/receiver"
	"github.com/secbot/secbot/internal/reporter"
	"github.com/secbot/secbot/internal/store"
	"github.com/secbot/secbot/internal/worker"
)

//go:embed openapi/*.json
var openapi embed.FS

func spec(name string) []byte {
	data, err := openapi.ReadFile("openapi/" + name + ".json")
	if err != nil {
		panic(err) // embedded at build time
	}
	return data
}

func readyFunc(st *store.Store, q *queue.Client) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := st.Ping(ctx); err != nil {
			return err
		}
		return q.Ping()
	}
}

// Receiver is the receiver process: the webhook endpoint on :5000.
type Receiver struct {
	App   *fiber.App
	Store *store.Store
	Queue *queue.Client
}

// NewReceiver builds the receiver; every configuration error surfaces here.
func NewReceiver(ctx context.Context, b *Base) (*Receiver, error) {
	if err := b.Settings.RequireInstances(); err != nil {
		return nil, err
	}
	cfg, err := b.LoadConfig()
	if err != nil {
		return nil, err
	}
	matcher, err := jobs.NewMatcher(cfg.Jobs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Path, err)
	}
	st, err := b.OpenStore(ctx)
	if err != nil {
		return nil, err
	}
	q, err := queue.NewClient(b.Settings.RedisURL)
	if err != nil {
		st.Close()
		return nil, err
	}
	m := metrics.New()
	app := httpapi.New(httpapi.Options{Service: "receiver", Log: b.Log, Metrics: m, Ready: readyFunc(st, q),
		OpenAPI: spec("receiver"), DocsEnabled: b.Settings.DocsEnabled, BodyLimit: b.Settings.MaxBodyBytes})
	rcv := &receiver.Receiver{Instances: b.Settings.Instances, Matcher: matcher, Store: st,
		Queue: queue.Dispatcher{Queue: q, Store: st}, Metrics: m, Log: b.Log}
	rcv.Register(app)
	return &Receiver{App: app, Store: st, Queue: q}, nil
}

// Close releases the receiver's connections.
func (r *Receiver) Close() {
	r.Queue.Close()
	r.Store.Close()
}

// RunReceiver serves the receiver until ctx ends.
func RunReceiver(ctx context.Context, b *Base) error {
	r, err := NewReceiver(ctx, b)
	if err != nil {
		return err
	}
	defer r.Close()
	b.Log.Info("receiver listening", "addr", b.Settings.ReceiverAddr)
	return httpapi.Serve(ctx, r.App, b.Settings.ReceiverAddr)
}

// Reporter is the reporter process: the pipeline gate on :5001.
type Reporter struct {
	App      *fiber.App
	Store    *store.Store
	Queue    *queue.Client
	Reporter *reporter.Reporter
}

// NewReporter builds the reporter.
func NewReporter(ctx context.Context, b *Base) (*Reporter, error) {
	st, err := b.OpenStore(ctx)
	if err != nil {
		return nil, err
	}
	q, err := queue.NewClient(b.Settings.RedisURL)
	if err != nil {
		st.Close()
		return nil, err
	}
	m := metrics.New()
	app := httpapi.New(httpapi.Options{Service: "reporter", Log: b.Log, Metrics: m, Ready: readyFunc(st, q),
		OpenAPI: spec("reporter"), DocsEnabled: b.Settings.DocsEnabled, BodyLimit: b.Settings.MaxBodyBytes})
	rep := reporter.New(st, m, b.Log)
	rep.Register(app)
	return &Reporter{App: app, Store: st, Queue: q, Reporter: rep}, nil
}

// Close releases the reporter's connections.
func (r *Reporter) Close() {
	r.Queue.Close()
	r.Store.Close()
}

// RunReporter serves the reporter until ctx ends.
func RunReporter(ctx context.Context, b *Base) error {
	r, err := NewReporter(ctx, b)
	if err != nil {
		return err
	}
	defer r.Close()
	go r.Reporter.Run(ctx, r.Store)
	b.Log.Info("reporter listening", "addr", b.Settings.ReporterAddr)
	return httpapi.Serve(ctx, r.App, b.Settings.ReporterAddr)
}

// RunWorker runs tasks with the handlers of reg until ctx ends; its probes
// and metrics are served on SECBOT_WORKER_ADDR.
func RunWorker(ctx context.Context, b *Base, reg *worker.Registry) error {
	if err := b.Settings.RequireInstances(); err != nil {
		return err
	}
	cfg, err := b.LoadConfig()
	if err != nil {
		return err
	}
	handlers, err := reg.Build(cfg)
	if err != nil {
		return fmt.Errorf("%s: %w", cfg.Path, err)
	}
	st, err := b.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	redis, err := queue.RedisOpt(b.Settings.RedisURL)
	if err != nil {
		return err
	}
	q, err := queue.NewClient(b.Settings.RedisURL)
	if err != nil {
		return err
	}
	defer q.Close()
	m := metrics.New()
	app := httpapi.New(httpapi.Options{Service: "worker", Log: b.Log, Metrics: m, Ready: readyFunc(st, q), BodyLimit: 1 << 10})
	go func() {
		if err := httpapi.Serve(ctx, app, b.Settings.WorkerAddr); err != nil {
			b.Log.Error("worker probe server stopped", "error", err)
		}
	}()
	w := worker.New(st, q, handlers, b.Settings.Instances, m, b.Log)
	b.Log.Info("worker running", "concurrency", b.Settings.WorkerConcurrency, "probes", b.Settings.WorkerAddr)
	return w.Run(ctx, redis, b.Settings.WorkerConcurrency, b.Settings.SweepInterval)
}
