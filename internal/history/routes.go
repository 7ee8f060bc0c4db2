package history

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/httpapi"
	"github.com/secbot/secbot/internal/store"
)

// Authenticator finds the user of an API token (findings.Service).
type Authenticator interface {
	Authenticate(ctx context.Context, key string) (findings.User, error)
}

// Routes serve the history scans' API on the reporter, to superusers of
// the findings service (the admin of DEFECTDOJO__TOKEN and the others).
type Routes struct {
	Store     *store.Store
	Users     Authenticator
	Instances []config.Instance
	Log       *slog.Logger
}

// Path is where the history scans' API lives.
const Path = "/v1/security/gitlab/history-scans"

// Register adds the routes to app.
func (r *Routes) Register(app *fiber.App) {
	g := app.Group(Path, r.superuser)
	g.Post("/", r.create)
	g.Get("/", r.list)
	g.Get("/:id", r.get)
	g.Post("/:id/cancel", r.cancel)
}

// superuser lets through requests with the API token of a superuser
// ("Authorization: Token <key>").
func (r *Routes) superuser(c *fiber.Ctx) error {
	scheme, key, _ := strings.Cut(strings.TrimSpace(c.Get(fiber.HeaderAuthorization)), " ")
	key = strings.TrimSpace(key)
	if !strings.EqualFold(scheme, "Token") || key == "" {
		return httpapi.Error(c, fiber.StatusUnauthorized, "UNAUTHORIZED",
			"send a superuser's API token as \"Authorization: Token <key>\" (DEFECTDOJO__TOKEN is the admin's)", nil)
	}
	u, err := r.Users.Authenticate(c.UserContext(), key)
	switch {
	case errors.Is(err, findings.ErrBadCredentials), errors.Is(err, findings.ErrTokenExpired):
		return httpapi.Error(c, fiber.StatusUnauthorized, "UNAUTHORIZED", "the API token is unknown or expired", nil)
	case err != nil:
		return err
	case !u.IsSuperuser:
		return httpapi.Error(c, fiber.StatusForbidden, "FORBIDDEN", "history scans are for superusers", nil)
	}
	c.Locals(userKey{}, u.Username)
	return c.Next()
}

type userKey struct{}

// Limits of a request.
const (
	maxRefs   = 500
	maxRefLen = 255
)

// Request is the body of POST /v1/security/gitlab/history-scans.
type Request struct {
	// Instance is the host of an instance of GITLAB_CONFIGS; it may be
	// left out when there is only one.
	Instance string `json:"instance"`
	// Job names the config.yml job whose plan scans each project; without
	// it, the job whose rules match the history event.
	Job string `json:"job"`
	// Groups (ids or full paths, subgroups included) and Projects (ids
	// or full paths) narrow the run; with neither it covers the instance.
	Groups          []string `json:"groups"`
	Projects        []string `json:"projects"`
	IncludeArchived bool     `json:"include_archived"`
	IncludeEmpty    bool     `json:"include_empty"`
}

// FieldError is one problem of a request, in the error envelope's details.
type FieldError struct {
	Code    string `json:"code"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Validate checks a request against the configured instances and returns
// what to record, or the problems.
func (req Request) Validate(instances []config.Instance) (store.HistoryRequest, []FieldError) {
	var errs []FieldError
	out := store.HistoryRequest{Job: strings.TrimSpace(req.Job), IncludeArchived: req.IncludeArchived, IncludeEmpty: req.IncludeEmpty}
	switch inst, ok := pickInstance(instances, strings.TrimSpace(req.Instance)); {
	case ok:
		out.InstanceHost = inst.Host
	case req.Instance == "":
		errs = append(errs, FieldError{"missing_field", "instance", "required: name the GitLab instance (" + hosts(instances) + ")"})
	default:
		errs = append(errs, FieldError{"invalid", "instance", fmt.Sprintf("%q is not an instance of GITLAB_CONFIGS (%s)", req.Instance, hosts(instances))})
	}
	if len(out.Job) > maxRefLen {
		errs = append(errs, FieldError{"invalid", "job", fmt.Sprintf("longer than %d characters", maxRefLen)})
	}
	out.Groups, errs = refs("groups", req.Groups, errs)
	out.Projects, errs = refs("projects", req.Projects, errs)
	return out, errs
}

func refs(field string, list []string, errs []FieldError) ([]string, []FieldError) {
	if len(list) > maxRefs {
		return nil, append(errs, FieldError{"invalid", field, fmt.Sprintf("%d items; at most %d", len(list), maxRefs)})
	}
	var out []string
	for i, ref := range list {
		ref = strings.Trim(strings.TrimSpace(ref), "/")
		if ref == "" || len(ref) > maxRefLen || strings.ContainsAny(ref, "\x00\n\r") {
			errs = append(errs, FieldError{"invalid", fmt.Sprintf("%s[%d]", field, i),
				fmt.Sprintf("want an id or a full path such as group/subgroup, of at most %d characters", maxRefLen)})
			continue
		}
		out = append(out, ref)
	}
	return out, errs
}

// pickInstance finds the instance a request names, by its host as
// configured or its host name; "" names the only one.
func pickInstance(instances []config.Instance, name string) (config.Instance, bool) {
	if name == "" {
		if len(instances) == 1 {
			return instances[0], true
		}
		return config.Instance{}, false
	}
	for _, inst := range instances {
		if inst.Host == name || strings.TrimSuffix(inst.Host, "/") == strings.TrimSuffix(name, "/") {
			return inst, true
		}
	}
	for _, inst := range instances {
		if inst.SameHost(name) {
			return inst, true
		}
	}
	return config.Instance{}, false
}

func hosts(instances []config.Instance) string {
	names := make([]string, len(instances))
	for i, inst := range instances {
		names[i] = inst.Host
	}
	if len(names) == 0 {
		return "GITLAB_CONFIGS lists none"
	}
	return "configured: " + strings.Join(names, ", ")
}

func (r *Routes) create(c *fiber.Ctx) error {
	var req Request
	dec := json.NewDecoder(strings.NewReader(string(c.Body())))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return httpapi.Error(c, fiber.StatusBadRequest, "VALIDATION_FAILED",
			"the body must be a JSON object with instance, and optionally job, groups, projects, include_archived, include_empty: "+err.Error(),
			[]FieldError{})
	}
	hr, errs := req.Validate(r.Instances)
	if len(errs) > 0 {
		return httpapi.Error(c, fiber.StatusBadRequest, "VALIDATION_FAILED", "the history scan request is invalid", errs)
	}
	hr.RequestedBy, _ = c.Locals(userKey{}).(string)
	run, err := Start(c.UserContext(), r.Store, hr)
	if err != nil {
		return err
	}
	r.Log.Info("history scan requested", "history_scan", run.ID, "instance", run.InstanceHost, "by", hr.RequestedBy,
		"groups", len(hr.Groups), "projects", len(hr.Projects))
	c.Location(fmt.Sprintf("%s/%d", Path, run.ID))
	return c.Status(fiber.StatusAccepted).JSON(run)
}

// Scans are the history scans as the pages read and change them.
type Scans struct{ Store *store.Store }

// Start records a run (see Start).
func (s Scans) Start(ctx context.Context, hr store.HistoryRequest) (Report, error) {
	return Start(ctx, s.Store, hr)
}

// List returns the latest runs (see List).
func (s Scans) List(ctx context.Context, limit int) ([]Report, error) {
	return List(ctx, s.Store, limit)
}

// Report returns a run's report, or store.ErrNotFound.
func (s Scans) Report(ctx context.Context, id int64) (Report, error) {
	return report(ctx, s.Store, id, time.Now())
}

// Cancel cancels an active run (store.Store.CancelHistoryRun).
func (s Scans) Cancel(ctx context.Context, id int64) (bool, error) {
	return s.Store.CancelHistoryRun(ctx, id)
}

// Projects lists a run's projects (store.Store.HistoryProjects).
func (s Scans) Projects(ctx context.Context, id int64, state string, limit int) ([]store.HistoryProject, error) {
	return s.Store.HistoryProjects(ctx, id, state, limit)
}

// Start records a run for the workers' pumps and returns its report.
func Start(ctx context.Context, st *store.Store, hr store.HistoryRequest) (Report, error) {
	run, err := st.CreateHistoryRun(ctx, hr)
	if err != nil {
		return Report{}, err
	}
	return reportOf(ctx, st, run, time.Now())
}

// List returns the latest runs' reports, newest first.
func List(ctx context.Context, st *store.Store, limit int) ([]Report, error) {
	runs, err := st.HistoryRuns(ctx, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Report, 0, len(runs))
	for _, run := range runs {
		rep, err := reportOf(ctx, st, run, time.Now())
		if err != nil {
			return nil, err
		}
		out = append(out, rep)
	}
	return out, nil
}

func (r *Routes) list(c *fiber.Ctx) error {
	reports, err := List(c.UserContext(), r.Store, 50)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"results": reports})
}

// runID reads the :id of a route, answering 404 for one that is no number.
func runID(c *fiber.Ctx) (int64, bool) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	return id, err == nil && id > 0
}

func (r *Routes) get(c *fiber.Ctx) error {
	id, ok := runID(c)
	if !ok {
		return notFound(c)
	}
	rep, err := report(c.UserContext(), r.Store, id, time.Now())
	if errors.Is(err, store.ErrNotFound) {
		return notFound(c)
	}
	if err != nil {
		return err
	}
	return c.JSON(rep)
}

func (r *Routes) cancel(c *fiber.Ctx) error {
	id, ok := runID(c)
	if !ok {
		return notFound(c)
	}
	cancelled, err := r.Store.CancelHistoryRun(c.UserContext(), id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound(c)
	}
	if err != nil {
		return err
	}
	rep, err := report(c.UserContext(), r.Store, id, time.Now())
	if err != nil {
		return err
	}
	if !cancelled {
		return httpapi.Error(c, fiber.StatusConflict, "CONFLICT", fmt.Sprintf("history scan %d has ended already (%s)", id, rep.State), nil)
	}
	r.Log.Info("history scan cancelled", "history_scan", id)
	return c.JSON(rep)
}

func notFound(c *fiber.Ctx) error {
	return httpapi.Error(c, fiber.StatusNotFound, "NOT_FOUND", "no such history scan", nil)
}
