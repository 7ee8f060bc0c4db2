package web

import (
	"context"
	"errors"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/input"
	"github.com/secbot/secbot/internal/jobs"
)

func (p *Pages) dashboard(c *fiber.Ctx) error {
	ctx := c.UserContext()
	user := session(c).User
	open, products, err := p.Findings.Overview(ctx, user)
	if err != nil {
		return err
	}
	recent, err := p.Checks.RecentChecks(ctx, 15)
	if err != nil {
		return err
	}
	// A check is listed to those who may see its project's product.
	seen := map[string]bool{}
	for _, prod := range products {
		seen[prod.Name] = true
	}
	type row struct {
		ID, Project, Commit, Event string
		Status                     jobs.Status
		At                         time.Time
	}
	var checks []row
	for _, rc := range recent {
		if !user.IsSuperuser && !seen[rc.Project] {
			continue
		}
		st, err := p.Checks.Status(ctx, rc.ID)
		if err != nil {
			return err
		}
		checks = append(checks, row{ID: rc.ID, Project: rc.Project, Commit: rc.CommitSHA, Event: rc.EventType, Status: st.Status, At: rc.UpdatedAt})
	}
	push, err := p.pushProtection(ctx, user, products)
	if err != nil {
		return err
	}
	return p.render(c, fiber.StatusOK, "dashboard", "Dashboard", map[string]any{
		"Open": open, "Severities": severities, "Products": products, "Checks": checks, "PushProtection": push})
}

var severities = []string{findings.Critical, findings.High, findings.Medium, findings.Low, findings.Info}

// historyLength is how many of the latest changes to a product (made
// through the API: the product, its engagements and tests) its page lists.
const historyLength = 20

// statusFilters are the product page's status choices.
var statusFilters = []struct{ Value, Label string }{
	{"open", "Open"}, {"all", "All"}, {"duplicate", "Duplicates"}, {"false_p", "False positives"},
	{"risk_accepted", "Risk accepted"}, {"mitigated", "Mitigated"},
}

// validityFilters are the product page's choices of secrets.
var validityFilters = []struct{ Value, Label string }{
	{"", "Any"}, {findings.Valid, "Live"}, {findings.Unknown, "Unknown"}, {findings.Invalid, "Dead"}, {findings.NotChecked, "Not checked"},
}

const pageSize = 25

func (p *Pages) product(c *fiber.Ctx) error {
	ctx := c.UserContext()
	id, ok := input.ParseID(c.Params("id"))
	if !ok {
		return p.notFound(c, "There is no product with this id.")
	}
	errs := input.Errors{}
	page := errs.Int("page", c.Query("page"), 1, 1, input.MaxID)
	if len(errs) > 0 {
		return p.badRequest(c, errs)
	}
	user := session(c).User
	prod, err := p.Findings.ProductSummaryOf(ctx, user, id)
	if errors.Is(err, findings.ErrNotFound) {
		return p.notFound(c, "There is no product with this id.")
	}
	if err != nil {
		return err
	}
	scanTypes, err := p.Findings.ScanTypesOf(ctx, id)
	if err != nil {
		return err
	}
	q := struct{ Severity, Status, Scanner, Text, Validity string }{c.Query("severity"), c.Query("status", "open"), c.Query("scanner"), c.Query("q"), c.Query("validity")}
	flt := findings.Filter{IDs: map[string][]int{"test__engagement__product": {id}}, Bools: map[string]bool{},
		Text: q.Text, ScanType: q.Scanner, Order: "-id", Limit: pageSize, Viewer: &user}
	if q.Severity != "" {
		flt.Severities = []string{findings.NormalizeSeverity(q.Severity)}
	}
	if q.Validity != "" {
		if !findings.IsValidity(q.Validity) {
			return p.badRequest(c, input.Errors{"validity": {"choose one of " + strings.Join(findings.Validities, ", ")}})
		}
		flt.Validities = []string{q.Validity}
	}
	switch q.Status {
	case "open":
		flt.Bools["active"], flt.Bools["duplicate"] = true, false
	case "duplicate", "false_p", "risk_accepted":
		flt.Bools[q.Status] = true
	case "mitigated":
		flt.Bools["is_mitigated"] = true
	}
	flt.Offset = (page - 1) * pageSize
	list, count, err := p.Findings.Findings(ctx, flt)
	if err != nil {
		return err
	}
	link := func(pg int) string {
		v := url.Values{"severity": {q.Severity}, "status": {q.Status}, "scanner": {q.Scanner}, "q": {q.Text}, "validity": {q.Validity}, "page": {strconv.Itoa(pg)}}
		return "?" + v.Encode()
	}
	history, err := p.Findings.ProductHistory(ctx, id, historyLength)
	if err != nil {
		return err
	}
	data, err := p.members(c, productMembership, id)
	if err != nil {
		return err
	}
	maps.Copy(data, map[string]any{"Product": prod, "Findings": list, "Count": count, "Query": q, "ScanTypes": scanTypes,
		"Severities": severities, "Statuses": statusFilters, "Page": page, "Pages": (count + pageSize - 1) / pageSize,
		"History": history, "Done": c.Query("done"), "ValidityFilters": validityFilters})
	if page > 1 {
		data["Prev"] = link(page - 1)
	}
	if page*pageSize < count {
		data["Next"] = link(page + 1)
	}
	return p.render(c, fiber.StatusOK, "product", prod.Name, data)
}

func (p *Pages) finding(c *fiber.Ctx) error {
	ctx := c.UserContext()
	id, ok := input.ParseID(c.Params("id"))
	if !ok {
		return p.notFound(c, "There is no finding with this id.")
	}
	user := session(c).User
	f, err := p.Findings.Finding(ctx, id)
	if err == nil {
		err = p.Findings.Check(ctx, user, findings.View, f.Product)
	}
	if errors.Is(err, findings.ErrNotFound) {
		return p.notFound(c, "There is no finding with this id.")
	}
	if err != nil {
		return err
	}
	mayTriage := p.Findings.Check(ctx, user, findings.Write, f.Product) == nil
	origin, err := p.Findings.OriginOf(ctx, f)
	if err != nil {
		return err
	}
	dups, _, err := p.Findings.Findings(ctx, findings.Filter{IDs: map[string][]int{"duplicate_finding": {id}}, Limit: 100, Viewer: &user})
	if err != nil {
		return err
	}
	events, err := p.Findings.Events(ctx, id)
	if err != nil {
		return err
	}
	return p.render(c, fiber.StatusOK, "finding", f.Title, map[string]any{
		"Finding": f, "Origin": origin, "Duplicates": dups, "Events": events, "Done": c.Query("done"), "MayTriage": mayTriage})
}

// triageActions are the finding page's buttons.
var triageActions = map[string]findings.Change{
	"false_positive": {FalseP: findings.Bool(true), Verified: findings.Bool(false)},
	"risk_accepted":  {RiskAccepted: findings.Bool(true)},
	"mitigated":      {IsMitigated: findings.Bool(true)},
	"reopen":         {Active: findings.Bool(true)},
}

func (p *Pages) triage(c *fiber.Ctx) error {
	id, ok := input.ParseID(c.Params("id"))
	if !ok {
		return p.notFound(c, "There is no finding with this id.")
	}
	action := formValue(c, "action")
	change, ok := triageActions[action]
	if !ok {
		return p.render(c, fiber.StatusBadRequest, "error", "Unknown action", map[string]any{
			"Message": "The form asked for an action SecBot does not know: " + strconv.Quote(action)})
	}
	ss := session(c)
	err := p.Findings.CheckFinding(c.UserContext(), ss.User, findings.Write, id)
	if err == nil {
		_, err = p.Findings.Update(c.UserContext(), id, ss.User.ID, change)
	}
	if errors.Is(err, findings.ErrNotFound) {
		return p.notFound(c, "There is no finding with this id.")
	}
	if errors.Is(err, findings.ErrForbidden) {
		return p.render(c, fiber.StatusForbidden, "error", "Not allowed", map[string]any{
			"Message": "Your role on this finding's product does not let you triage it: a Writer, Maintainer or Owner may."})
	}
	if err != nil {
		return err
	}
	p.Log.Info("finding triaged", "finding", id, "action", action, "user", ss.User.Username)
	return c.Redirect("/finding/"+strconv.Itoa(id)+"?done="+action, fiber.StatusSeeOther)
}

func (p *Pages) check(c *fiber.Ctx) error {
	ctx := c.UserContext()
	id := c.Params("id")
	if input.TextProblem(id) != "" {
		return p.notFound(c, checkNotSeen)
	}
	st, err := p.Checks.Status(ctx, id)
	if err != nil {
		return err
	}
	if st.Status == jobs.StatusNotStarted && len(st.Tasks) == 0 {
		return p.notFound(c, checkNotSeen)
	}
	user := session(c).User
	groups, err := p.checkFindings(ctx, user, id)
	if err != nil {
		return err
	}
	return p.render(c, fiber.StatusOK, "check", "Check "+shortID(id), map[string]any{"Check": st, "Scans": groups})
}

// scanFindings are the findings one scan brought to a check, as its
// output stored them, each saying whether it blocks the commit now.
type scanFindings struct {
	Scan     string
	Findings []checkFinding
	Blocking int
}

type checkFinding struct {
	findings.Stored
	Blocks bool
}

// checkFindings groups a check's findings in the built-in service (those
// of products user may see) by scan, most blocking first within each; a
// finding blocks when the job's gate counts it and it is active or
// duplicates an active one.
func (p *Pages) checkFindings(ctx context.Context, user findings.User, id string) ([]scanFindings, error) {
	byTask, err := p.Checks.BuiltinFindings(ctx, id)
	if err != nil {
		return nil, err
	}
	var groups []scanFindings
	for _, task := range slices.Sorted(maps.Keys(byTask)) {
		ids := byTask[task]
		if len(ids.All) == 0 {
			continue
		}
		list, _, err := p.Findings.Findings(ctx, findings.Filter{IDs: map[string][]int{"id": ids.All}, Limit: 500, Viewer: &user})
		if err != nil {
			return nil, err
		}
		blocking, err := p.Findings.BlockingIDs(ctx, ids.Gated)
		if err != nil {
			return nil, err
		}
		g := scanFindings{Scan: ids.Scan}
		for _, f := range list {
			g.Findings = append(g.Findings, checkFinding{Stored: f, Blocks: blocking[f.ID]})
		}
		g.Blocking = len(blocking)
		slices.SortStableFunc(g.Findings, func(a, b checkFinding) int {
			if a.Blocks != b.Blocks {
				if a.Blocks {
					return -1
				}
				return 1
			}
			return findings.SeverityRank(a.Severity) - findings.SeverityRank(b.Severity)
		})
		groups = append(groups, g)
	}
	return groups, nil
}

const checkNotSeen = "SecBot has not seen this check: no GitLab event for this commit reached it yet."

func (p *Pages) notFound(c *fiber.Ctx, msg string) error {
	return p.render(c, fiber.StatusNotFound, "error", "Not found", map[string]any{"Message": msg})
}

// badRequest shows what was wrong with the request's parameters.
func (p *Pages) badRequest(c *fiber.Ctx, errs input.Errors) error {
	return p.render(c, fiber.StatusBadRequest, "error", "Bad request", map[string]any{
		"Message": "SecBot cannot read this address: " + errs.String() + ". Go back and change what it names."})
}
