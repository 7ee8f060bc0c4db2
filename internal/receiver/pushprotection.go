package receiver

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/secbot/secbot/internal/gitlab"
	"github.com/secbot/secbot/internal/httpapi"
	"github.com/secbot/secbot/internal/metrics"
	"github.com/secbot/secbot/internal/pushreport"
	"github.com/secbot/secbot/internal/store"
)

// PushEventStore records the pre-receive hook's reports.
type PushEventStore interface {
	RecordPushEvent(ctx context.Context, e store.PushEvent) (int64, error)
}

// PushReports handles POST /v1/push-protection/events: the pre-receive
// hook's report of a push it refused, let through on a bypass, or could
// not scan.
type PushReports struct {
	// Token is SECBOT_PUSH_PROTECTION_TOKEN; "" refuses every report.
	Token   string
	Store   PushEventStore
	Metrics *metrics.Metrics
	Log     *slog.Logger
}

// Register adds the route to app.
func (p *PushReports) Register(app *fiber.App) {
	app.Post(pushreport.Path, p.handle)
}

func (p *PushReports) handle(c *fiber.Ctx) error {
	// 1. Verify the bearer token, in constant time.
	if p.Token == "" {
		return httpapi.Error(c, fiber.StatusForbidden, "FORBIDDEN",
			"push protection reports are off: set SECBOT_PUSH_PROTECTION_TOKEN on the receiver and in the hook's settings", nil)
	}
	given, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(given), []byte(p.Token)) != 1 {
		p.Log.Warn("push protection report refused: bad token", "remote", c.IP())
		return httpapi.Error(c, fiber.StatusForbidden, "FORBIDDEN", "Authorization header is invalid: want Bearer and SECBOT_PUSH_PROTECTION_TOKEN", nil)
	}
	// 2. A small body, and a report as the hook sends it.
	body := c.Body()
	if len(body) > pushreport.MaxBody {
		return httpapi.Error(c, fiber.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE",
			fmt.Sprintf("a report is at most %d bytes", pushreport.MaxBody), nil)
	}
	var rep pushreport.Report
	err := json.Unmarshal(body, &rep)
	if err == nil {
		err = rep.Validate()
	}
	if err != nil {
		return httpapi.Error(c, fiber.StatusBadRequest, "VALIDATION_FAILED", "the report is invalid: "+err.Error(),
			[]gitlab.FieldError{{Code: "invalid", Field: "body", Message: err.Error()}})
	}
	// 3. Record it; recording is short and finishes even at shutdown.
	findings, err := json.Marshal(rep.Findings)
	if err != nil {
		return err
	}
	if rep.Findings == nil {
		findings = []byte("[]")
	}
	id, err := p.Store.RecordPushEvent(context.WithoutCancel(c.UserContext()), store.PushEvent{
		Kind: rep.Kind, Reason: rep.Reason, Project: rep.Project, Repository: rep.Repository, User: rep.User,
		Refs: rep.Refs, Commits: rep.Commits, Detail: rep.Detail, Findings: findings})
	if err != nil {
		p.Log.Error("recording a push protection report failed", "error", err)
		return httpapi.Error(c, fiber.StatusServiceUnavailable, "UNAVAILABLE", "the report could not be recorded (database unavailable)", nil)
	}
	p.Metrics.PushProtectionEvents.WithLabelValues(rep.Kind, rep.Reason).Inc()
	p.Log.Info("push protection report", "kind", rep.Kind, "reason", rep.Reason, "project", rep.Project,
		"user", rep.User, "commits", rep.Commits, "findings", len(rep.Findings))
	// 4. Answer.
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"status": "ok", "id": id})
}
