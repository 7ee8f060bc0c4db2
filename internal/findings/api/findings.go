package api

import (
	"encoding/json"
	"errors"
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/input"
)

// Page sizes: DefectDojo's default, and a bound on one page.
const (
	defaultLimit = 25
	maxLimit     = 10000
)

// page is DefectDojo's paginated list.
type page struct {
	Count    int     `json:"count"`
	Next     *string `json:"next"`
	Previous *string `json:"previous"`
	Results  any     `json:"results"`
}

// pageLinks builds next and previous URLs with the request's other
// parameters kept. offset may be as large as a client likes: the
// comparisons never add to it.
func pageLinks(c *fiber.Ctx, count, limit, offset int) (next, prev *string) {
	link := func(off int) *string {
		q := url.Values{}
		c.Context().QueryArgs().VisitAll(func(k, v []byte) { q.Set(string(k), string(v)) })
		q.Set("limit", strconv.Itoa(limit))
		q.Set("offset", strconv.Itoa(off))
		s := c.BaseURL() + c.Path() + "?" + q.Encode()
		return &s
	}
	if offset < count-limit {
		next = link(offset + limit)
	}
	if offset > 0 {
		prev = link(max(offset-limit, 0))
	}
	return next, prev
}

// paging reads limit and offset. limit=0 is the default page, as Django
// REST framework answers it: defectdojo-cli asks for as many findings as
// it counted, 0 when there are none.
func paging(c *fiber.Ctx, errs input.Errors) (int, int) {
	raw := c.Query("limit")
	if raw == "0" {
		raw = ""
	}
	limit := min(errs.Int("limit", raw, defaultLimit, 1, math.MaxInt), maxLimit)
	offset := errs.Int("offset", c.Query("offset"), 0, 0, math.MaxInt)
	return limit, offset
}

// queryText checks every query value as text, so no filter hands
// PostgreSQL what it cannot hold.
func queryText(c *fiber.Ctx, errs input.Errors) {
	c.Context().QueryArgs().VisitAll(func(k, v []byte) { errs.Text(string(k), string(v)) })
}

func (a *API) listFindings(c *fiber.Ctx) error {
	errs := input.Errors{}
	queryText(c, errs)
	if len(errs) > 0 {
		return c.Status(fiber.StatusBadRequest).JSON(errs)
	}
	flt := findings.Filter{Bools: map[string]bool{}, IDs: map[string][]int{},
		VulnIDFromTool: c.Query("vuln_id_from_tool"), ProductName: c.Query("product_name"),
		Title: c.Query("title"), FilePath: c.Query("file_path"), HashCode: c.Query("hash_code"),
		TestTag: c.Query("test__tags"), Order: c.Query("o")}
	for _, key := range []string{"active", "verified", "duplicate", "false_p", "is_mitigated", "out_of_scope", "risk_accepted", "static_finding", "dynamic_finding"} {
		if raw := c.Query(key); raw != "" {
			b, ok := findings.ParseFilterBool(raw)
			if !ok {
				errs.Add(key, "Must be a valid boolean.")
				continue
			}
			flt.Bools[key] = b
		}
	}
	for _, key := range []string{"id", "test", "duplicate_finding", "test__engagement", "test__engagement__product", "test__test_type"} {
		if raw := c.Query(key); raw != "" {
			if ids := errs.IDs(key, raw); ids != nil {
				flt.IDs[key] = ids
			}
		}
	}
	if raw := c.Query("severity"); raw != "" {
		for _, s := range strings.Split(raw, ",") {
			flt.Severities = append(flt.Severities, findings.NormalizeSeverity(s))
		}
	}
	if raw := c.Query("validity"); raw != "" {
		for _, v := range strings.Split(raw, ",") {
			if !findings.IsValidity(v) {
				errs.Add("validity", "Select a valid choice. "+v+" is not one of the available choices: "+strings.Join(findings.Validities, ", ")+".")
				continue
			}
			flt.Validities = append(flt.Validities, v)
		}
	}
	flt.Limit, flt.Offset = paging(c, errs)
	if len(errs) > 0 {
		return c.Status(fiber.StatusBadRequest).JSON(errs)
	}
	viewer := caller(c)
	flt.Viewer = &viewer
	list, count, err := a.Service.Findings(c.UserContext(), flt)
	if err != nil {
		return err
	}
	next, prev := pageLinks(c, count, flt.Limit, flt.Offset)
	return c.JSON(page{Count: count, Next: next, Previous: prev, Results: list})
}

// findingID is the finding id of the path; false for one that cannot
// exist (answered 404, as DefectDojo does).
func findingID(c *fiber.Ctx) (int, bool) { return input.ParseID(c.Params("id")) }

func (a *API) getFinding(c *fiber.Ctx) error {
	id, ok := findingID(c)
	if !ok {
		return detail(c, fiber.StatusNotFound, "Not found.")
	}
	f, err := a.Service.Finding(c.UserContext(), id)
	if err == nil {
		err = a.Service.Check(c.UserContext(), caller(c), findings.View, f.Product)
	}
	if err != nil {
		return answerError(c, err)
	}
	return c.JSON(f)
}

func (a *API) patchFinding(c *fiber.Ctx) error {
	body, err := readBody(c)
	if err != nil {
		return bodyErrorAnswer(c, err)
	}
	ch, errs := changeFrom(body)
	if len(errs) > 0 {
		return c.Status(fiber.StatusBadRequest).JSON(errs)
	}
	return a.update(c, ch)
}

// changeFrom reads a finding's change from a JSON or form body: booleans
// as DefectDojo reads them ("true", "True", "1"…), numbers as numbers or
// text, a form field's last value. Unknown fields are ignored.
func changeFrom(body findings.Values) (findings.Change, input.Errors) {
	var ch findings.Change
	errs := input.Errors{}
	for name, dst := range map[string]**bool{"active": &ch.Active, "verified": &ch.Verified, "false_p": &ch.FalseP,
		"risk_accepted": &ch.RiskAccepted, "is_mitigated": &ch.IsMitigated, "out_of_scope": &ch.OutOfScope} {
		if raw, ok := body[name]; ok {
			b, ok := findings.ParseBool(findings.Single(raw))
			if !ok {
				errs.Add(name, "Must be a valid boolean.")
			}
			*dst = &b
		}
	}
	for name, dst := range map[string]**string{"title": &ch.Title, "severity": &ch.Severity, "description": &ch.Description,
		"mitigation": &ch.Mitigation, "impact": &ch.Impact, "references": &ch.References, "file_path": &ch.FilePath,
		"component_name": &ch.ComponentName, "component_version": &ch.ComponentVersion} {
		if raw, ok := body[name]; ok {
			switch v := findings.Single(raw).(type) {
			case string:
				*dst = &v
			case json.Number:
				s := v.String()
				*dst = &s
			default:
				errs.Add(name, "Not a valid string.")
			}
		}
	}
	for name, dst := range map[string]**int{"cwe": &ch.CWE, "line": &ch.Line} {
		if raw, ok := body[name]; ok && raw != nil {
			var n int
			var err error
			switch v := findings.Single(raw).(type) {
			case json.Number:
				n, err = strconv.Atoi(v.String())
			case string:
				n, err = strconv.Atoi(strings.TrimSpace(v))
			default:
				err = errors.New("not a number")
			}
			if err != nil || n < 0 || n > math.MaxInt32 {
				errs.Add(name, input.NotInteger)
			}
			*dst = &n
		}
	}
	if raw, ok := body["tags"]; ok {
		var tags []string
		switch v := raw.(type) {
		case []string:
			tags = v
		case []any:
			for _, t := range v {
				if s, ok := t.(string); ok {
					tags = append(tags, s)
				}
			}
		case string:
			tags = strings.Split(v, ",")
		}
		ch.Tags = &tags
	}
	return ch, errs
}

func (a *API) closeFinding(c *fiber.Ctx) error {
	return a.update(c, findings.Change{IsMitigated: findings.Bool(true)})
}

func (a *API) update(c *fiber.Ctx, ch findings.Change) error {
	id, ok := findingID(c)
	if !ok {
		return detail(c, fiber.StatusNotFound, "Not found.")
	}
	user := caller(c)
	if err := a.Service.CheckFinding(c.UserContext(), caller(c), findings.Write, id); err != nil {
		return answerError(c, err)
	}
	f, err := a.Service.Update(c.UserContext(), id, user.ID, ch)
	var ce *findings.ChangeError
	switch {
	case errors.Is(err, findings.ErrNotFound):
		return detail(c, fiber.StatusNotFound, "Not found.")
	case errors.As(err, &ce):
		return c.Status(fiber.StatusBadRequest).JSON(fiber.Map{ce.Field: []string{ce.Message}})
	case err != nil:
		return err
	}
	return c.JSON(f)
}

// list serves the lists of product types, products, engagements,
// tests, test types and users.
func (a *API) list(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if adminOnly(c, kind) {
			return detail(c, fiber.StatusForbidden, forbidden)
		}
		errs := input.Errors{}
		queryText(c, errs)
		limit, offset := paging(c, errs)
		if len(errs) > 0 {
			return c.Status(fiber.StatusBadRequest).JSON(errs)
		}
		params := map[string]string{}
		c.Context().QueryArgs().VisitAll(func(k, v []byte) { params[string(k)] = string(v) })
		list, count, err := a.Service.List(c.UserContext(), kind, caller(c), params, limit, offset)
		var le *findings.ListError
		if errors.As(err, &le) {
			return c.Status(fiber.StatusBadRequest).JSON(fiber.Map{le.Param: []string{le.Message}})
		}
		if err != nil {
			return err
		}
		next, prev := pageLinks(c, count, limit, offset)
		return c.JSON(page{Count: count, Next: next, Previous: prev, Results: list})
	}
}
