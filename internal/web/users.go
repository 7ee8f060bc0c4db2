package web

import (
	"encoding/json"
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/input"
)

// The users page is the superusers': every user, whether active, whether
// a superuser, and their global role; a form to create one; buttons to
// deactivate or reactivate them and to set their global role. It goes
// through the service's objects, as users/ and global_roles/ of the API
// do, so the same rules hold.

// usersPageSize bounds the users listed (the API pages through more).
const usersPageSize = 500

// userRow is one line of the users page.
type userRow struct {
	ID          int    `json:"id"`
	Username    string `json:"username"`
	Email       string `json:"email"`
	IsActive    bool   `json:"is_active"`
	IsSuperuser bool   `json:"is_superuser"`
	LastLogin   string `json:"last_login"`
	GlobalRole  int    `json:"-"`
	GlobalID    int    `json:"-"` // the global_roles row, 0 for none
}

// superuserOnly answers 403 to anyone else.
func (p *Pages) superuserOnly(c *fiber.Ctx) error {
	if !session(c).User.IsSuperuser {
		return p.render(c, fiber.StatusForbidden, "error", "Not allowed", map[string]any{
			"Message": "Only a superuser manages users. Ask one to create a user or give a role; a product's Maintainer manages its members on the product's page."})
	}
	return c.Next()
}

func (p *Pages) users(c *fiber.Ctx) error {
	return p.usersPage(c, fiber.StatusOK, map[string]any{"Done": c.Query("done")})
}

func (p *Pages) usersPage(c *fiber.Ctx, status int, data map[string]any) error {
	ctx := c.UserContext()
	u := session(c).User
	raw, count, err := p.Findings.List(ctx, "users", u, map[string]string{}, usersPageSize, 0)
	if err != nil {
		return err
	}
	rows := make([]userRow, 0, len(raw))
	index := map[int]int{}
	for _, r := range raw {
		var row userRow
		if err := json.Unmarshal(r, &row); err != nil {
			return err
		}
		index[row.ID] = len(rows)
		rows = append(rows, row)
	}
	globals, _, err := p.Findings.List(ctx, "global_roles", u, map[string]string{}, usersPageSize, 0)
	if err != nil {
		return err
	}
	for _, r := range globals {
		var g struct{ ID, User, Role int }
		if err := json.Unmarshal(r, &g); err != nil {
			return err
		}
		if i, ok := index[g.User]; ok {
			rows[i].GlobalRole, rows[i].GlobalID = g.Role, g.ID
		}
	}
	roles, err := p.Findings.Roles(ctx)
	if err != nil {
		return err
	}
	data["Users"], data["Count"], data["Roles"], data["Self"] = rows, count, roles, u.ID
	return p.render(c, status, "users", "Users", data)
}

// changeUsers does what the users page's forms ask: action=create
// (username, password, email, superuser), deactivate or activate (user),
// global_role (user, role; an empty role removes it).
func (p *Pages) changeUsers(c *fiber.Ctx) error {
	ctx := c.UserContext()
	ss := session(c)
	action := formValue(c, "action")
	user, userOK := input.ParseID(formValue(c, "user"))
	var err error
	switch action {
	case "create":
		body := findings.Values{"username": formValue(c, "username"), "email": formValue(c, "email"),
			"is_superuser": strconv.FormatBool(formValue(c, "superuser") == "on")}
		if pw := formValue(c, "password"); pw != "" {
			body["password"] = pw
		}
		_, err = p.Findings.CreateObject(ctx, "users", ss.User, body)
	case "deactivate", "activate":
		switch {
		case !userOK:
			err = findings.ErrNotFound
		case user == ss.User.ID && action == "deactivate":
			return p.usersPage(c, fiber.StatusBadRequest, map[string]any{"Problem": "You cannot deactivate yourself: you would lock yourself out. Another superuser can."})
		default:
			_, err = p.Findings.ChangeObject(ctx, "users", user, ss.User, findings.Values{"is_active": strconv.FormatBool(action == "activate")}, true)
		}
	case "global_role":
		err = findings.ErrNotFound
		if userOK {
			err = p.setGlobalRole(c, user, formValue(c, "role"))
		}
	default:
		return p.usersPage(c, fiber.StatusBadRequest, map[string]any{"Problem": "The form asked for an action SecBot does not know: " + strconv.Quote(action)})
	}
	var ve *findings.ValidationError
	switch {
	case errors.As(err, &ve):
		return p.usersPage(c, fiber.StatusBadRequest, map[string]any{"Problem": "SecBot did not change the users: " + ve.Errors.String() + "."})
	case errors.Is(err, findings.ErrNotFound):
		return p.usersPage(c, fiber.StatusBadRequest, map[string]any{"Problem": "There is no such user."})
	case err != nil:
		return err
	}
	p.Log.Info("users changed", "action", action, "by", ss.User.Username)
	return c.Redirect("/users?done="+action, fiber.StatusSeeOther)
}

// setGlobalRole gives user the role (a role id), or takes their global
// role away (role "").
func (p *Pages) setGlobalRole(c *fiber.Ctx, user int, role string) error {
	ctx := c.UserContext()
	u := session(c).User
	have, _, err := p.Findings.List(ctx, "global_roles", u, map[string]string{"user": strconv.Itoa(user)}, 1, 0)
	if err != nil {
		return err
	}
	var current struct{ ID int }
	if len(have) > 0 {
		if err := json.Unmarshal(have[0], &current); err != nil {
			return err
		}
	}
	switch {
	case role == "" && current.ID == 0:
		return nil
	case role == "":
		return p.Findings.DeleteObject(ctx, "global_roles", current.ID, u)
	case current.ID == 0:
		_, err = p.Findings.CreateObject(ctx, "global_roles", u, findings.Values{"user": strconv.Itoa(user), "role": role})
	default:
		_, err = p.Findings.ChangeObject(ctx, "global_roles", current.ID, u, findings.Values{"role": role}, true)
	}
	return err
}
