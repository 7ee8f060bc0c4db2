package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/history"
	"github.com/secbot/secbot/internal/store"
)

// HistoryScans are the history scans (onboarding) as the page reads and
// changes them (history.Scans).
type HistoryScans interface {
	Start(ctx context.Context, hr store.HistoryRequest) (history.Report, error)
	List(ctx context.Context, limit int) ([]history.Report, error)
	Report(ctx context.Context, id int64) (history.Report, error)
	Cancel(ctx context.Context, id int64) (bool, error)
	Projects(ctx context.Context, id int64, state string, limit int) ([]store.HistoryProject, error)
}

// HistoryPages serve the history scans' page, for superusers, with the
// sessions and forms of Pages: start a scan of an instance (or of groups
// and projects), follow its progress, cancel it. Register them after
// Pages.
type HistoryPages struct {
	*Pages
	Scans     HistoryScans
	Instances []config.Instance
}

// historyFuncs are the history page's own template functions.
var historyFuncs = template.FuncMap{
	"deref": func(p *int) int { return *p },
	"eta":   eta,
}

// eta words the time a run has left: "?" while unknown.
func eta(seconds *int64) string {
	if seconds == nil {
		return "?"
	}
	return (time.Duration(*seconds) * time.Second).String()
}

// historyProjectsShown bounds the projects a run's page lists.
const historyProjectsShown = 500

// Register adds the history pages to app.
func (h *HistoryPages) Register(app *fiber.App) {
	h.tmpl["history"] = template.Must(template.New("history").Funcs(funcs).Funcs(historyFuncs).
		ParseFS(assets, "templates/layout.html", "templates/history.html"))
	app.Get("/history-scans", h.headers, h.signedIn, h.query, h.superuser, h.list)
	app.Post("/history-scans", h.headers, h.sameOrigin, h.signedIn, h.csrf, h.superuser, h.start)
	app.Get("/history-scans/:id", h.headers, h.signedIn, h.query, h.superuser, h.show)
	app.Post("/history-scans/:id/cancel", h.headers, h.sameOrigin, h.signedIn, h.csrf, h.superuser, h.cancel)
}

// superuser lets superusers through: a history scan reads every project
// of an instance.
func (h *HistoryPages) superuser(c *fiber.Ctx) error {
	if !session(c).User.IsSuperuser {
		return h.render(c, fiber.StatusForbidden, "error", "Not allowed", map[string]any{
			"Message": "History scans are for superusers: ask one to start the scan."})
	}
	return c.Next()
}

func (h *HistoryPages) list(c *fiber.Ctx) error {
	return h.page(c, fiber.StatusOK, nil, history.Request{})
}

// page renders the list of runs with the form to start one, showing the
// form's problems when there are.
func (h *HistoryPages) page(c *fiber.Ctx, status int, problems []history.FieldError, req history.Request) error {
	runs, err := h.Scans.List(c.UserContext(), 50)
	if err != nil {
		return err
	}
	return h.render(c, status, "history", "History scans", map[string]any{"Runs": runs, "Instances": h.Instances,
		"Problems": problems, "Form": req, "Groups": strings.Join(req.Groups, "\n"), "Projects": strings.Join(req.Projects, "\n")})
}

func (h *HistoryPages) start(c *fiber.Ctx) error {
	req := history.Request{Instance: formValue(c, "instance"), Job: formValue(c, "job"),
		Groups: lines(formValue(c, "groups")), Projects: lines(formValue(c, "projects")),
		IncludeArchived: formValue(c, "include_archived") == "on", IncludeEmpty: formValue(c, "include_empty") == "on"}
	hr, problems := req.Validate(h.Instances)
	if len(problems) > 0 {
		return h.page(c, fiber.StatusBadRequest, problems, req)
	}
	hr.RequestedBy = session(c).User.Username
	rep, err := h.Scans.Start(c.UserContext(), hr)
	if err != nil {
		return err
	}
	h.Log.Info("history scan requested", "history_scan", rep.ID, "instance", rep.InstanceHost, "by", hr.RequestedBy)
	return c.Redirect(fmt.Sprintf("/history-scans/%d", rep.ID), fiber.StatusSeeOther)
}

// lines splits a text area into its non-empty lines.
func lines(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// runOf reads a run's id from the path, showing the not-found page for one
// that is no run.
func (h *HistoryPages) runOf(c *fiber.Ctx) (history.Report, bool, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return history.Report{}, false, h.notFound(c, "There is no such history scan.")
	}
	rep, err := h.Scans.Report(c.UserContext(), id)
	if errors.Is(err, store.ErrNotFound) {
		return rep, false, h.notFound(c, "There is no such history scan.")
	}
	return rep, err == nil, err
}

func (h *HistoryPages) show(c *fiber.Ctx) error {
	rep, ok, err := h.runOf(c)
	if !ok {
		return err
	}
	projects, err := h.Scans.Projects(c.UserContext(), rep.ID, "", historyProjectsShown)
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "history", fmt.Sprintf("History scan %d", rep.ID), map[string]any{
		"Run": rep, "Projects": projects, "More": rep.Progress.Listed > len(projects)})
}

func (h *HistoryPages) cancel(c *fiber.Ctx) error {
	rep, ok, err := h.runOf(c)
	if !ok {
		return err
	}
	if _, err := h.Scans.Cancel(c.UserContext(), rep.ID); err != nil {
		return err
	}
	h.Log.Info("history scan cancelled", "history_scan", rep.ID, "by", session(c).User.Username)
	return c.Redirect(fmt.Sprintf("/history-scans/%d", rep.ID), fiber.StatusSeeOther)
}
