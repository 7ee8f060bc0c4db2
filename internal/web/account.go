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

// apiKey shows the user's API token, as DefectDojo's /api/key-v2 does:
// the one api-token-auth hands out.
func (p *Pages) apiKey(c *fiber.Ctx) error {
	token, err := p.Accounts.Token(c.UserContext(), session(c).User)
	if err != nil {
		return err
	}
	return p.render(c, fiber.StatusOK, "apikey", "API key", map[string]any{"Token": token, "Done": c.Query("done") == "rotated"})
}

// rotateAPIKey replaces the user's API token: the old one stops working.
func (p *Pages) rotateAPIKey(c *fiber.Ctx) error {
	ss := session(c)
	if _, err := p.Accounts.RotateToken(c.UserContext(), ss.User); err != nil {
		return err
	}
	p.Log.Info("API token rotated", "user", ss.User.Username)
	return c.Redirect("/api/key-v2?done=rotated", fiber.StatusSeeOther)
}
