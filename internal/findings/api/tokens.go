package api

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/input"
)

// SecBot's own routes, beside DefectDojo's: a user's named API tokens.
// DefectDojo gives a user one token; a team gives each pipeline its own,
// named, with an expiry, and revokes one without touching the others.

func (a *API) listTokens(c *fiber.Ctx) error {
	list, err := a.Service.Tokens(c.UserContext(), caller(c))
	if err != nil {
		return err
	}
	return c.JSON(page{Count: len(list), Results: list})
}

// createToken makes a named token: {"name": "...", "expires": RFC 3339
// or YYYY-MM-DD, optional}. The answer holds its key, this once.
func (a *API) createToken(c *fiber.Ctx) error {
	body, err := readBody(c)
	if err != nil {
		return bodyErrorAnswer(c, err)
	}
	name, _ := findings.Single(body["name"]).(string)
	var expires *time.Time
	if raw, _ := findings.Single(body["expires"]).(string); raw != "" {
		t, err := time.Parse(time.RFC3339, raw)
		if err != nil {
			t, err = time.Parse(time.DateOnly, raw)
		}
		if err != nil {
			return c.Status(fiber.StatusBadRequest).JSON(input.Errors{"expires": {"Send a time as 2027-01-31T00:00:00Z or a date as 2027-01-31."}})
		}
		expires = &t
	}
	key, t, err := a.Service.CreateToken(c.UserContext(), caller(c), name, expires)
	if err != nil {
		return answerError(c, err)
	}
	return c.Status(fiber.StatusCreated).JSON(struct {
		findings.Token
		Key string `json:"key"`
	}{t, key})
}

func (a *API) revokeToken(c *fiber.Ctx) error {
	id, ok := input.ParseID(c.Params("id"))
	if !ok {
		return detail(c, fiber.StatusNotFound, notFound)
	}
	switch err := a.Service.RevokeToken(c.UserContext(), caller(c), id); {
	case errors.Is(err, findings.ErrNotFound):
		return detail(c, fiber.StatusNotFound, notFound)
	case errors.Is(err, findings.ErrEnvToken):
		return detail(c, fiber.StatusBadRequest, err.Error())
	case err != nil:
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
