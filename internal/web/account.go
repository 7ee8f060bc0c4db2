package web

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/input"
	"github.com/secbot/secbot/internal/httpapi"
)

func (p *Pages) loginPage(c *fiber.Ctx) error {
	return p.render(c, fiber.StatusOK, "login", "Sign in", map[string]any{"Next": localPath(c.Query("next"))})
}

// login checks the form's user name and password (the throttle may refuse
// before checking) and starts a session. The form is read from the body
// only: a password never comes from a URL.
func (p *Pages) login(c *fiber.Ctx) error {
	username, password, next := formValue(c, "username"), formValue(c, "password"), localPath(formValue(c, "next"))
	form := map[string]any{"Next": next, "Username": username}
	if msg := input.TextProblem(username); msg != "" {
		form["Username"] = ""
		form["Error"] = "Username: " + msg + " Type the username again."
		return p.render(c, fiber.StatusBadRequest, "login", "Sign in", form)
	}
	u, err := p.Accounts.SignIn(c.UserContext(), username, password, httpapi.ClientIP(c))
	var throttled *findings.ThrottledError
	switch {
	case errors.As(err, &throttled):
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(throttled.Seconds()))
		form["Error"] = "Too many failed sign-ins for this user name or from this address. Try again in " +
			waitText(throttled.RetryAfter) + "."
		return p.render(c, fiber.StatusTooManyRequests, "login", "Sign in", form)
	case errors.Is(err, findings.ErrBadCredentials):
		form["Error"] = "The username or the password is wrong."
		return p.render(c, fiber.StatusUnauthorized, "login", "Sign in", form)
	case err != nil:
		return err
	}
	key, _, err := p.Findings.StartSession(c.UserContext(), u, p.SessionTTL)
	if err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{Name: cookieName, Value: key, Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode,
		Secure: c.Protocol() == "https", Expires: time.Now().Add(p.SessionTTL)})
	p.Log.Info("signed in", "user", u.Username)
	return c.Redirect(next, fiber.StatusSeeOther)
}

// waitText says how long to wait, for a person: rounded up, in the
// largest unit that is at least one.
func waitText(d time.Duration) string {
	unit := func(n int64, word string) string {
		if n == 1 {
			return "1 " + word
		}
		return fmt.Sprintf("%d %ss", n, word)
	}
	up := func(n, by int64) int64 { return (n + by - 1) / by }
	secs := max(up(int64(d), int64(time.Second)), 1)
	if secs < 60 {
		return unit(secs, "second")
	}
	if mins := up(secs, 60); mins < 60 {
		return unit(mins, "minute")
	}
	return unit(up(secs, 3600), "hour")
}

func (p *Pages) logout(c *fiber.Ctx) error {
	if err := p.Findings.EndSession(c.UserContext(), c.Cookies(cookieName)); err != nil {
		return err
	}
	c.ClearCookie(cookieName)
	return c.Redirect("/login", fiber.StatusSeeOther)
}

// apiKey shows the user's API token, as DefectDojo's /api/key-v2 does
// (the one api-token-auth hands out), and their named tokens.
func (p *Pages) apiKey(c *fiber.Ctx) error {
	return p.apiKeyPage(c, fiber.StatusOK, map[string]any{"Done": c.Query("done")})
}

func (p *Pages) apiKeyPage(c *fiber.Ctx, status int, data map[string]any) error {
	user := session(c).User
	token, err := p.Accounts.Token(c.UserContext(), user)
	if err != nil {
		return err
	}
	tokens, err := p.Findings.Tokens(c.UserContext(), findings.User{ID: user.ID}) // the user's own, even a superuser's
	if err != nil {
		return err
	}
	data["Token"], data["Tokens"] = token, tokens
	return p.render(c, status, "apikey", "API key", data)
}

// changeAPIKey does what the API key page's forms ask: action=rotate (the
// default) replaces the user's API token, and the old one stops working;
// action=create makes a named token (name, expires: YYYY-MM-DD or empty)
// and shows its key this once; action=revoke revokes the token of id
// token.
func (p *Pages) changeAPIKey(c *fiber.Ctx) error {
	ss := session(c)
	ctx := c.UserContext()
	switch action := formValue(c, "action"); action {
	case "", "rotate":
		if _, err := p.Accounts.RotateToken(ctx, ss.User); err != nil {
			return err
		}
		p.Log.Info("API token rotated", "user", ss.User.Username)
		return c.Redirect("/api/key-v2?done=rotated", fiber.StatusSeeOther)
	case "create":
		var expires *time.Time
		if raw := formValue(c, "expires"); raw != "" {
			t, err := time.Parse(time.DateOnly, raw)
			if err != nil {
				return p.apiKeyPage(c, fiber.StatusBadRequest, map[string]any{"Problem": "Give the expiry as a date, 2027-01-31, or leave it empty."})
			}
			expires = &t
		}
		key, t, err := p.Findings.CreateToken(ctx, ss.User, formValue(c, "name"), expires)
		var ve *findings.ValidationError
		if errors.As(err, &ve) {
			return p.apiKeyPage(c, fiber.StatusBadRequest, map[string]any{"Problem": ve.Errors.String()})
		}
		if err != nil {
			return err
		}
		p.Log.Info("named API token made", "user", ss.User.Username, "token", t.ID)
		return p.apiKeyPage(c, fiber.StatusOK, map[string]any{"NewKey": key, "NewName": t.Name})
	case "revoke":
		id, ok := input.ParseID(formValue(c, "token"))
		err := findings.ErrNotFound
		if ok {
			err = p.Findings.RevokeToken(ctx, findings.User{ID: ss.User.ID}, id)
		}
		if errors.Is(err, findings.ErrNotFound) || errors.Is(err, findings.ErrEnvToken) {
			msg := "You have no such token."
			if errors.Is(err, findings.ErrEnvToken) {
				msg = err.Error()
			}
			return p.apiKeyPage(c, fiber.StatusBadRequest, map[string]any{"Problem": msg})
		}
		if err != nil {
			return err
		}
		p.Log.Info("API token revoked", "user", ss.User.Username, "token", id)
		return c.Redirect("/api/key-v2?done=revoked", fiber.StatusSeeOther)
	default:
		return p.apiKeyPage(c, fiber.StatusBadRequest, map[string]any{"Problem": "The form asked for an action SecBot does not know: " + strconv.Quote(action)})
	}
}
