package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/input"
)

// Messages of DefectDojo's (Django REST framework's) answers.
const (
	notFound  = "Not found."
	forbidden = "You do not have permission to perform this action."
)

// registerObjects adds the routes of product types, products,
// engagements, tests, test types and users: list and read for all;
// create, replace, change and delete where DefectDojo's API has them.
func (a *API) registerObjects(v2 *routes) {
	for _, kind := range findings.ObjectKinds() {
		path := "/" + kind
		v2.Get(path, a.list(kind))
		v2.Get(path+"/:id", a.getObject(kind))
		if findings.Creatable(kind) {
			v2.Post(path, a.createObject(kind))
		}
		if findings.Changeable(kind) {
			v2.Put(path+"/:id", a.changeObject(kind, false))
			v2.Patch(path+"/:id", a.changeObject(kind, true))
			v2.Delete(path+"/:id", a.deleteObject(kind))
		}
	}
	v2.Post("/engagements/:id/close", a.setEngagementStatus("Completed", false))
	v2.Post("/engagements/:id/reopen", a.setEngagementStatus("In Progress", true))
}

// adminOnly says whether a user may not do this: users are listed,
// read and created by superusers only.
func adminOnly(c *fiber.Ctx, kind string) bool {
	user := c.Locals(userKey{}).(findings.User)
	return !user.IsSuperuser && kind == "users"
}

// caller is the request's user.
func caller(c *fiber.Ctx) findings.User { return c.Locals(userKey{}).(findings.User) }

func (a *API) getObject(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if adminOnly(c, kind) {
			return detail(c, fiber.StatusForbidden, forbidden)
		}
		id, ok := input.ParseID(c.Params("id"))
		if !ok {
			return detail(c, fiber.StatusNotFound, notFound)
		}
		raw, err := a.Service.Object(c.UserContext(), kind, id, caller(c))
		return a.answerObject(c, fiber.StatusOK, raw, err)
	}
}

func (a *API) createObject(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if adminOnly(c, kind) {
			return detail(c, fiber.StatusForbidden, forbidden)
		}
		body, err := readBody(c)
		if err != nil {
			return bodyErrorAnswer(c, err)
		}
		raw, err := a.Service.CreateObject(c.UserContext(), kind, caller(c), body)
		return a.answerObject(c, fiber.StatusCreated, raw, err)
	}
}

func (a *API) changeObject(kind string, partial bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, ok := input.ParseID(c.Params("id"))
		if !ok {
			return detail(c, fiber.StatusNotFound, notFound)
		}
		body, err := readBody(c)
		if err != nil {
			return bodyErrorAnswer(c, err)
		}
		raw, err := a.Service.ChangeObject(c.UserContext(), kind, id, caller(c), body, partial)
		return a.answerObject(c, fiber.StatusOK, raw, err)
	}
}

func (a *API) deleteObject(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if adminOnly(c, kind) {
			return detail(c, fiber.StatusForbidden, forbidden)
		}
		id, ok := input.ParseID(c.Params("id"))
		if !ok {
			return detail(c, fiber.StatusNotFound, notFound)
		}
		err := a.Service.DeleteObject(c.UserContext(), kind, id, caller(c))
		if err != nil {
			return answerError(c, err)
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
}

// setEngagementStatus closes or reopens an engagement: DefectDojo answers
// 200 with an empty body.
func (a *API) setEngagementStatus(status string, active bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, ok := input.ParseID(c.Params("id"))
		if !ok {
			return detail(c, fiber.StatusNotFound, notFound)
		}
		_, err := a.Service.ChangeObject(c.UserContext(), "engagements", id, caller(c),
			findings.Values{"status": status, "active": active}, true)
		if err != nil {
			return answerError(c, err)
		}
		return c.Status(fiber.StatusOK).Send(nil)
	}
}

// answerObject answers with an object, or the error's DefectDojo answer.
func (a *API) answerObject(c *fiber.Ctx, status int, raw json.RawMessage, err error) error {
	if err != nil {
		return answerError(c, err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Status(status).Send(raw)
}

// answerError answers the service's errors as DefectDojo does: 404 for
// what does not exist or may not be seen, 403 for what may not be done,
// 400 with the fields for a refused body; others are the app's.
func answerError(c *fiber.Ctx, err error) error {
	var ve *findings.ValidationError
	switch {
	case errors.Is(err, findings.ErrNotFound):
		return detail(c, fiber.StatusNotFound, notFound)
	case errors.Is(err, findings.ErrForbidden):
		return detail(c, fiber.StatusForbidden, forbidden)
	case errors.As(err, &ve):
		return c.Status(fiber.StatusBadRequest).JSON(ve.Errors)
	}
	return err
}

// bodyError is a body the API cannot read, answered as DefectDojo does.
type bodyError struct {
	status int
	detail string
}

func (e *bodyError) Error() string { return e.detail }

// readBody reads a create or change request: a JSON object, or a form
// (urlencoded or multipart), as Django REST framework accepts them.
func readBody(c *fiber.Ctx) (findings.Values, error) {
	mediaType, _, _ := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	switch mediaType {
	case fiber.MIMEApplicationJSON:
		return readJSON(c.Body())
	case fiber.MIMEApplicationForm, fiber.MIMEMultipartForm:
		vals := findings.Values{}
		if mediaType == fiber.MIMEApplicationForm {
			c.Context().PostArgs().VisitAll(func(k, v []byte) { appendValue(vals, string(k), string(v)) })
			return vals, nil
		}
		form, err := c.MultipartForm()
		if err != nil {
			return nil, &bodyError{fiber.StatusBadRequest, "Multipart form parse error - " + err.Error()}
		}
		for k, list := range form.Value {
			for _, v := range list {
				appendValue(vals, k, v)
			}
		}
		return vals, nil
	case "":
		if len(bytes.TrimSpace(c.Body())) == 0 {
			return findings.Values{}, nil
		}
	}
	return nil, &bodyError{fiber.StatusUnsupportedMediaType,
		fmt.Sprintf("Unsupported media type %q in request.", c.Get(fiber.HeaderContentType))}
}

func appendValue(vals findings.Values, k, v string) {
	list, _ := vals[k].([]string)
	vals[k] = append(list, v)
}

// readJSON reads a JSON object, numbers kept as written.
func readJSON(body []byte) (findings.Values, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return findings.Values{}, nil
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, &bodyError{fiber.StatusBadRequest, "JSON parse error - " + err.Error()}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, &bodyError{fiber.StatusBadRequest, "Invalid data. Expected a dictionary, but got " + jsonType(v) + "."}
	}
	return findings.Values(obj), nil
}

func jsonType(v any) string {
	switch v.(type) {
	case []any:
		return "list"
	case string:
		return "str"
	case json.Number:
		return "int"
	case bool:
		return "bool"
	}
	return "NoneType"
}

// bodyErrorAnswer answers a body readBody refused as DefectDojo does:
// a body that is no JSON object is a non-field error, others a detail.
func bodyErrorAnswer(c *fiber.Ctx, err error) error {
	var be *bodyError
	if !errors.As(err, &be) {
		return err
	}
	if be.status == fiber.StatusBadRequest && strings.HasPrefix(be.detail, "Invalid data.") {
		return c.Status(be.status).JSON(fiber.Map{"non_field_errors": []string{be.detail}})
	}
	return detail(c, be.status, be.detail)
}
