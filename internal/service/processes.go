package service

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"runtime/debug"

	"github.com/gofiber/fiber/v2"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/api"
	"github.com/secbot/secbot/internal/findings/parsers"
	"github.com/secbot/secbot/internal/handler"
	"github.com/secbot/secbot/internal/history"
	"github.com/secbot/secbot/internal/httpapi"
	"github.com/secbot/secbot/internal/jobs"
	"github.com/secbot/secbot/internal/metrics"
	"github.com/secbot/secbot/internal/queue"
	"github.com/secbot/secbot/internal/receiver"
	"github.com/secbot/secbot/internal/reporter"
	"github.com/secbot/secbot/internal/service/openapi"
	"github.com/secbot/secbot/internal/store"
	"github.com/secbot/secbot/internal/web"
	"github.com/secbot/secbot/internal/worker"
)

// Server is what every process runs on: the store, the queue client, its
// metrics and an HTTP app with the shared endpoints.
type Server struct {
	App     *fiber.App
	Store   *store.Store
	Queue   *queue.Client
	Metrics *metrics.Metrics
	// closers run first in Close, for what uses Store or Queue.
	closers []func()
}

// newServer connects to PostgreSQL (migrating) and Redis and builds the
// app; doc names its OpenAPI document (see package openapi), "" for none.
// Bodies of streamPaths are read as streams of up to streamLimit bytes,
// within SECBOT_UPLOAD_TIMEOUT; the rest within SECBOT_HEADER_TIMEOUT.
func newServer(ctx context.Context, b *Base, name, doc string, bodyLimit int,
	streamPaths []string, streamLimit int) (*Server, error) {
	var spec []byte
	if doc != "" {
		var err error
		if spec, err = openapi.Document(doc); err != nil {
			return nil, err
		}
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
	app := httpapi.New(httpapi.Options{Service: name, Log: b.Log, Metrics: m, OpenAPI: spec,
		DocsEnabled: b.Settings.DocsEnabled, BodyLimit: bodyLimit, Context: ctx,
		HeaderTimeout: b.Settings.Limits.HeaderTimeout, UploadTimeout: b.Settings.Limits.UploadTimeout,
		StreamPaths: streamPaths, StreamLimit: streamLimit, Pprof: b.Settings.Pprof,
		TrustedProxies: b.Settings.TrustedProxies,
		Ready: func(ctx context.Context) error {
			if err := st.Ping(ctx); err != nil {
				return err
			}
			return q.Ping()
		}})
	// Starting leaves garbage behind (the worker builds gitleaks' rules,
	// and with gore2regex decodes and compiles go-re2's WebAssembly module;
	// config files are parsed): collect it and hand the pages back now,
	// rather than keep them until the runtime's scavenger gets to them.
	debug.FreeOSMemory()
	return &Server{App: app, Store: st, Queue: q, Metrics: m}, nil
}

// Close releases the server's connections.
func (s *Server) Close() {
	for _, c := range s.closers {
		c()
	}
	s.Queue.Close()
	s.Store.Close()
}

// NewReceiver builds the receiver process (the webhook endpoint on :5000);
// every configuration error surfaces here, unknown handlers included (reg
// names them).
func NewReceiver(ctx context.Context, b *Base, reg *handler.Registry) (*Server, error) {
	if err := b.Settings.RequireInstances(); err != nil {
		return nil, err
	}
	cfg, err := b.LoadConfig(reg)
	if cfg == nil {
		return nil, err
	}
	matcher, matchErr := jobs.NewMatcher(cfg.Jobs)
	if err := errors.Join(err, matchErr); err != nil {
		return nil, err
	}
	// The receiver speaks for config.yml: workers read the same file and
	// keep quiet about it, so each warning shows once.
	for _, w := range cfg.Warnings {
		b.Warn(w)
	}
	for _, w := range matcher.Warnings() {
		b.Warn(w)
	}
	srv, err := newServer(ctx, b, "receiver", "receiver", b.Settings.MaxBodyBytes, nil, 0)
	if err != nil {
		return nil, err
	}
	// Hooks that arrive together share a transaction (group commit); each
	// is answered after its commit.
	intake := store.NewIntake(srv.Store, intakeCommitters, intakeBatch)
	srv.closers = append(srv.closers, intake.Close)
	rcv := &receiver.Receiver{Instances: b.Settings.Instances, Matcher: matcher, Store: intake,
		Queue: queue.Dispatcher{Queue: srv.Queue, Store: srv.Store}, Metrics: srv.Metrics, Log: b.Log}
	rcv.Register(srv.App)
	(&receiver.PushReports{Token: b.Settings.PushProtectionToken, Store: srv.Store, Metrics: srv.Metrics, Log: b.Log}).Register(srv.App)
	return srv, nil
}

// The receiver's group commit: transactions at once, and events in one.
// Two keep both cores of a small machine busy; a batch is whatever
// arrived during the previous transaction, so it stays small unless
// hooks arrive faster than PostgreSQL commits them one by one.
const (
	intakeCommitters = 2
	intakeBatch      = 64
)

// receiverGCPercent is the receiver's GOGC unless the environment sets
// one. Its live heap is a few MB while every hook allocates tens of KB, so
// at Go's default (100) it collected dozens of times a second under load:
// 400 took 13% off its CPU per hook for about 16 MB more at peak.
const receiverGCPercent = 400

// RunReceiver serves the receiver until ctx ends.
func RunReceiver(ctx context.Context, b *Base, reg *handler.Registry) error {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(receiverGCPercent)
	}
	srv, err := NewReceiver(ctx, b, reg)
	if err != nil {
		return err
	}
	defer srv.Close()
	b.Log.Info("receiver listening", "addr", b.Settings.ReceiverAddr)
	return httpapi.Serve(ctx, srv.App, b.Settings.ReceiverAddr)
}

// Reporter is the reporter process: the pipeline gate on :5001.
type Reporter struct {
	*Server
	Reporter *reporter.Reporter
}

// NewReporter builds the reporter: the pipeline gate and the findings
// service's DefectDojo API, whose admin it bootstraps.
func NewReporter(ctx context.Context, b *Base) (*Reporter, error) {
	// Reports can be large: their uploads get SECBOT_UPLOAD_TIMEOUT.
	srv, err := newServer(ctx, b, "reporter", "reporter", b.Settings.MaxBodyBytes,
		api.StreamPaths, b.Settings.MaxReportBytes)
	if err != nil {
		return nil, err
	}
	opts := []findings.Option{findings.WithPasswordCost(b.Settings.PasswordCost)}
	if n := b.Settings.ImportMemoryBytes; n > 0 {
		opts = append(opts, findings.WithImportMemory(int64(n)))
	}
	svc := findings.NewService(srv.Store.Pool(), opts...)
	password := b.Settings.AdminPassword
	if password == "" {
		// No password given: the admin logs in with DEFECTDOJO__TOKEN only.
		password = rand.Text()
	}
	if err := svc.EnsureAdmin(ctx, b.Settings.AdminUser, password, b.Settings.AdminToken); err != nil {
		srv.Close()
		return nil, err
	}
	if tok := b.Settings.WorkerToken; tok != "" {
		var hosts []string
		for _, in := range b.Settings.Instances {
			hosts = append(hosts, in.Hostname())
		}
		if err := svc.EnsureWorker(ctx, tok, hosts); err != nil {
			srv.Close()
			return nil, err
		}
	}
	if err := svc.EnsureTestTypes(ctx, parsers.ScanTypes()); err != nil {
		srv.Close()
		return nil, err
	}
	schema, err := openapi.Subset("reporter", "/api/v2/")
	if err != nil {
		srv.Close()
		return nil, err
	}
	l := b.Settings.Login
	accounts := svc.Accounts(findings.AccountOptions{Secret: b.sharedSecret("the tokens api-token-auth hands out change when the reporter restarts, and differ between replicas"), TokenTTL: b.Settings.APITokenTTL,
		Throttle: findings.Throttle{UserAttempts: l.UserAttempts, AddressAttempts: l.AddressAttempts, Backoff: l.Backoff, BackoffMax: l.BackoffMax}})
	rep := reporter.New(srv.Store, svc, srv.Metrics, b.Log,
		reporter.Limits{Waits: b.Settings.Limits.MaxWaits, WaitsPerClient: b.Settings.Limits.MaxWaitsPerClient})
	rep.Register(srv.App)
	(&api.API{Service: svc, Accounts: accounts, Log: b.Log, Schema: schema}).Register(srv.App)
	(&history.Routes{Store: srv.Store, Users: svc, Instances: b.Settings.Instances, Log: b.Log}).Register(srv.App)
	pages := &web.Pages{Findings: svc, Accounts: accounts, Checks: checks{rep, srv.Store}, PushEvents: srv.Store, Log: b.Log}
	pages.Register(srv.App)
	(&web.HistoryPages{Pages: pages, Scans: history.Scans{Store: srv.Store}, Instances: b.Settings.Instances}).Register(srv.App)
	return &Reporter{Server: srv, Reporter: rep}, nil
}

// sharedSecret is what the processes derive their keys from (the API
// tokens api-token-auth hands out, the seal of the scans' stored reports):
// SECBOT_SECRET_KEY, else DEFECTDOJO__TOKEN (which opens the admin's
// account already, so it gives away nothing more), else a random secret
// of this process only, with a warning saying what that costs.
func (b *Base) sharedSecret(without string) string {
	if s := b.Settings.SecretKey; s != "" {
		return s
	}
	if s := b.Settings.AdminToken; s != "" {
		return s
	}
	b.Log.Warn("neither SECBOT_SECRET_KEY nor DEFECTDOJO__TOKEN is set: " + without)
	return rand.Text()
}

// checks are the check reads the findings pages make: the verdict from
// the reporter, the rest from the store.
type checks struct {
	*reporter.Reporter
	*store.Store
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
func RunWorker(ctx context.Context, b *Base, reg *handler.Registry) error {
	if err := b.Settings.RequireInstances(); err != nil {
		return err
	}
	cfg, err := config.LoadFile(b.Settings.ConfigPath, b.Env)
	if cfg == nil {
		return err
	}
	// Every mistake at once: the file's own, then the handlers' settings
	// of the components it got right.
	handlers, buildErr := reg.Build(cfg)
	if err := errors.Join(err, buildErr); err != nil {
		return err
	}
	redis, err := queue.RedisOpt(b.Settings.RedisURL)
	if err != nil {
		return err
	}
	srv, err := newServer(ctx, b, "worker", "", 1<<10, nil, 0)
	if err != nil {
		return err
	}
	defer srv.Close()
	go func() {
		if err := httpapi.Serve(ctx, srv.App, b.Settings.WorkerAddr); err != nil {
			b.Log.Error("worker probe server stopped", "error", err)
		}
	}()
	key, err := store.NewReportKey(b.sharedSecret("the scans' reports kept for the outputs are sealed with a key of this worker only, " +
		"which other workers cannot read; set SECBOT_SECRET_KEY, the same on every worker"))
	if err != nil {
		return err
	}
	w := worker.New(srv.Store, srv.Queue, handlers, b.Settings.Instances, key, srv.Metrics, b.Log)
	pump, err := history.NewPump(history.Options{Store: srv.Store, Queue: queue.Dispatcher{Queue: srv.Queue, Store: srv.Store},
		Jobs: cfg.Jobs, Instances: b.Settings.Instances, Concurrency: b.Settings.HistoryConcurrency,
		Interval: b.Settings.HistoryInterval, Log: b.Log.With("component", "history")})
	if err != nil {
		return err
	}
	// The pump gives up its leases of history runs as it stops: it is
	// stopped and waited for before the store closes, so that a worker
	// started next resumes the runs at once, not when the leases expire.
	pumpCtx, stopPump := context.WithCancel(ctx)
	pumped := make(chan struct{})
	go func() {
		defer close(pumped)
		pump.Run(pumpCtx)
	}()
	defer func() {
		stopPump()
		<-pumped
	}()
	b.Log.Info("worker running", "concurrency", b.Settings.WorkerConcurrency, "probes", b.Settings.WorkerAddr)
	return w.Run(ctx, redis, b.Settings.WorkerConcurrency, b.Settings.SweepInterval)
}
