package api

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/secbot/secbot/internal/findings"
)

// listNotes answers a finding's notes as DefectDojo does:
// {"finding_id": id, "notes": [...]}.
func (a *API) listNotes(c *fiber.Ctx) error {
	id, ok := findingID(c)
	if !ok {
		return detail(c, fiber.StatusNotFound, notFound)
	}
	if err := a.Service.CheckFinding(c.UserContext(), caller(c), findings.View, id); err != nil {
		return answerError(c, err)
	}
	notes, err := a.Service.Notes(c.UserContext(), id)
	if errors.Is(err, findings.ErrNotFound) {
		return detail(c, fiber.StatusNotFound, notFound)
	}
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"finding_id": id, "notes": notes})
}

// addNote adds a note to a finding: {"entry": "...", "private": false}
// as JSON or a form; the answer is the note, 201.
func (a *API) addNote(c *fiber.Ctx) error {
	id, ok := findingID(c)
	if !ok {
		return detail(c, fiber.StatusNotFound, notFound)
	}
	body, err := readBody(c)
	if err != nil {
		return bodyErrorAnswer(c, err)
	}
	var note findings.Note
	errs := map[string][]string{}
	switch v := findings.Single(body["entry"]).(type) {
	case string:
		note.Entry = v
	case nil:
		errs["entry"] = []string{"This field is required."}
	default:
		errs["entry"] = []string{"Not a valid string."}
	}
	if raw, sent := body["private"]; sent {
		b, ok := findings.ParseBool(findings.Single(raw))
		if !ok {
			errs["private"] = []string{"Must be a valid boolean."}
		}
		note.Private = b
	}
	if len(errs) > 0 {
		return c.Status(fiber.StatusBadRequest).JSON(errs)
	}
	if err := a.Service.CheckFinding(c.UserContext(), caller(c), findings.Write, id); err != nil {
		return answerError(c, err)
	}
	raw, err := a.Service.AddNote(c.UserContext(), id, caller(c).ID, note)
	return a.answerObject(c, fiber.StatusCreated, raw, err)
}

// putFinding replaces a finding's fields (DefectDojo's PUT): the title,
// severity and description must be sent; fields not sent keep their
// values, as Django REST framework's update keeps them.
func (a *API) putFinding(c *fiber.Ctx) error {
	body, err := readBody(c)
	if err != nil {
		return bodyErrorAnswer(c, err)
	}
	errs := map[string][]string{}
	for _, f := range []string{"title", "severity", "description"} {
		if _, ok := body[f]; !ok {
			errs[f] = []string{"This field is required."}
		}
	}
	if len(errs) > 0 {
		return c.Status(fiber.StatusBadRequest).JSON(errs)
	}
	ch, errs2 := changeFrom(body)
	if len(errs2) > 0 {
		return c.Status(fiber.StatusBadRequest).JSON(errs2)
	}
	return a.update(c, ch)
}
