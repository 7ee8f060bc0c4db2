// Package receiver is the webhook endpoint: it turns GitLab hooks into
// checks and task plans, persisted before it answers.
package receiver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/gitlab"
	"github.com/secbot/secbot/internal/httpapi"
	"github.com/secbot/secbot/internal/jobs"
	"github.com/secbot/secbot/internal/metrics"
	"github.com/secbot/secbot/internal/store"
)

// EventStore records accepted events and their task plans.
type EventStore interface {
	AcceptEvent(ctx context.Context, deliveryKey string, c store.Check, plan []jobs.Task) (store.Accepted, error)
}

// Dispatcher hands ready tasks to the workers (see queue.Dispatcher).
type Dispatcher interface {
	Dispatch(ctx context.Context, tasks []store.ReadyTask) error
}

// Receiver handles POST /v1/gitlab/webhook.
type Receiver struct {
	Instances []config.Instance
	Matcher   *jobs.Matcher
	Store     EventStore
	Queue     Dispatcher
	Metrics   *metrics.Metrics
	Log       *slog.Logger
}

// Register adds the webhook route to app.
func (r *Receiver) Register(app *fiber.App) {
	app.Post("/v1/gitlab/webhook", r.handleWebhook)
}

func (r *Receiver) handleWebhook(c *fiber.Ctx) error {
	start := time.Now()
	defer func() { r.Metrics.HookDuration.Observe(time.Since(start).Seconds()) }()
	header := c.Get(gitlab.HeaderEvent)
	label := eventLabel(header)

	// 1. Verify: the token names the instance.
	inst, err := gitlab.VerifyToken(r.Instances, c.Get(gitlab.HeaderToken), c.Get(gitlab.HeaderInstance))
	if err != nil {
		r.count(label, "forbidden")
		r.Log.Warn("webhook refused: bad token", "event", header, "remote", c.IP())
		return httpapi.Error(c, fiber.StatusForbidden, "FORBIDDEN", "X-Gitlab-Token header is invalid", nil)
	}
	log := hookLog{log: r.Log, attrs: []any{"instance", inst.Host}}

	// 2. Parse and validate.
	body := c.Body()
	ev, err := gitlab.ParseHook(header, body)
	var invalid *gitlab.ValidationError
	switch {
	case errors.Is(err, gitlab.ErrIgnoredEvent):
		r.count(label, "ignored")
		log.Info("webhook ignored", "reason", err.Error())
		return c.JSON(fiber.Map{"status": "ok"})
	case errors.As(err, &invalid):
		r.count(label, "invalid")
		log.Warn("webhook malformed", "event", header, "error", invalid.Error())
		details := invalid.Details
		if details == nil {
			details = []gitlab.FieldError{}
		}
		return httpapi.Error(c, fiber.StatusBadRequest, "VALIDATION_FAILED", invalid.Message, details)
	case err != nil:
		return err
	}
	checkID := ev.SecurityCheckID(inst.Prefix)
	log.with("security_check_id", checkID, "event", ev.Type, "project", ev.Project.PathWithNamespace)

	// 3. Match the one job for this event.
	job, err := r.Matcher.Match(ev.Payload)
	var conflict *jobs.ConflictError
	switch {
	case errors.Is(err, jobs.ErrNoJob):
		r.count(string(ev.Type), "no_job")
		log.Info("no job matches the event")
		return c.JSON(fiber.Map{"status": "ok"})
	case errors.As(err, &conflict):
		r.count(string(ev.Type), "error")
		log.Error("config.yml: two jobs match one event", "error", err)
		return httpapi.Error(c, fiber.StatusInternalServerError, "JOB_CONFLICT", err.Error(), nil)
	case err != nil:
		return err
	}

	// 4. Persist the delivery, the check and the task plan in one transaction.
	// Recording is short and must finish even while the process shuts
	// down: GitLab has sent the event once.
	ctx := context.WithoutCancel(c.UserContext())
	acc, err := r.persist(ctx, c.Get(gitlab.HeaderIdempotencyKey), inst, ev, checkID, job, body)
	if err != nil {
		r.count(string(ev.Type), "error")
		log.Error("recording the event failed", "error", err)
		return httpapi.Error(c, fiber.StatusServiceUnavailable, "UNAVAILABLE",
			"the event could not be recorded (database unavailable); GitLab may resend it", nil)
	}
	if acc.Duplicate {
		r.count(string(ev.Type), "duplicate")
		log.Info("duplicate delivery")
		return c.JSON(fiber.Map{"status": "ok", "security_check_id": checkID})
	}

	// 5. Enqueue what is ready. A failure loses nothing: the sweeper
	// enqueues from PostgreSQL later.
	if err := r.Queue.Dispatch(ctx, acc.Ready); err != nil {
		log.Warn("enqueue failed; the sweeper will enqueue the tasks", "error", err)
	}
	r.count(string(ev.Type), "accepted")
	log.Info("webhook accepted", "job", job.Name, "new_check", acc.NewCheck, "tasks_ready", len(acc.Ready))

	// 6. Answer.
	return c.JSON(fiber.Map{"status": "ok", "security_check_id": checkID})
}

func (r *Receiver) persist(ctx context.Context, idempotencyKey string, inst config.Instance, ev *gitlab.Event,
	checkID string, job config.Job, body []byte) (store.Accepted, error) {
	event, err := json.Marshal(ev)
	if err != nil {
		return store.Accepted{}, err
	}
	check := store.Check{
		ID: checkID, InstanceHost: inst.Host, Project: ev.Project.PathWithNamespace,
		ProjectKey: gitlab.ProjectKey(ev.Project.GitSSHURL), CommitSHA: ev.CommitSHA,
		EventType: string(ev.Type), JobName: job.Name, Event: event,
	}
	return r.Store.AcceptEvent(ctx, deliveryKey(inst, idempotencyKey, body), check, jobs.Plan(checkID, job, ev.NotificationScope()))
}

// deliveryKey identifies a delivery: GitLab's Idempotency-Key (the same on
// retries and resends), else a hash of the body.
func deliveryKey(inst config.Instance, idempotencyKey string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(inst.Host + "\x00"))
	if idempotencyKey != "" {
		h.Write([]byte("key\x00" + idempotencyKey))
	} else {
		h.Write([]byte("body\x00"))
		h.Write(body)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (r *Receiver) count(event, outcome string) {
	r.Metrics.HooksTotal.WithLabelValues(event, outcome).Inc()
}

// eventLabel maps the X-Gitlab-Event header to a bounded set of metric
// label values, so a hostile header cannot create new series.
func eventLabel(header string) string {
	if typ, ok := gitlab.EventOfHeader(header); ok {
		return string(typ)
	}
	switch header {
	case gitlab.SystemHookEvent:
		return "system"
	case "":
		return "none"
	}
	return "other"
}

// hookLog logs with the attributes of the hook known so far. slog's With
// would format them for every hook, a few percent of the receiver's CPU,
// even when the level leaves every line out.
type hookLog struct {
	log   *slog.Logger
	attrs []any
}

func (l *hookLog) with(attrs ...any) { l.attrs = append(l.attrs, attrs...) }

func (l *hookLog) Info(msg string, args ...any)  { l.log.Info(msg, l.args(args)...) }
func (l *hookLog) Warn(msg string, args ...any)  { l.log.Warn(msg, l.args(args)...) }
func (l *hookLog) Error(msg string, args ...any) { l.log.Error(msg, l.args(args)...) }

func (l *hookLog) args(more []any) []any { return append(l.attrs[:len(l.attrs):len(l.attrs)], more...) }
