// Package web serves the findings pages on the reporter: sign-in, the
// dashboard, product, product type, finding and check pages, triage, and
// the management of users and members. Pages are
// rendered on the server with html/template; the CSS is embedded; nothing
// is loaded from elsewhere and no JavaScript is needed.
package web

import (
	"context"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/input"
	"github.com/secbot/secbot/internal/reporter"
	"github.com/secbot/secbot/internal/store"
)

// Findings is what the pages need of the findings service.
type Findings interface {
	StartSession(ctx context.Context, u findings.User, ttl time.Duration) (string, findings.Session, error)
	SessionOf(ctx context.Context, key string) (findings.Session, error)
	EndSession(ctx context.Context, key string) error
	Overview(ctx context.Context, u findings.User) (findings.Open, []findings.ProductSummary, error)
	ProductSummaryOf(ctx context.Context, u findings.User, id int) (findings.ProductSummary, error)
	Check(ctx context.Context, u findings.User, want findings.Permission, product int) error
	CheckFinding(ctx context.Context, u findings.User, want findings.Permission, finding int) error
	ScanTypesOf(ctx context.Context, product int) ([]string, error)
	Findings(ctx context.Context, flt findings.Filter) ([]findings.Stored, int, error)
	BlockingIDs(ctx context.Context, ids []int) (map[int]bool, error)
	Finding(ctx context.Context, id int) (findings.Stored, error)
	Update(ctx context.Context, id, userID int, c findings.Change) (findings.Stored, error)
	Events(ctx context.Context, finding int) ([]findings.Event, error)
	ProductHistory(ctx context.Context, product, limit int) ([]findings.HistoryEntry, error)
	Tokens(ctx context.Context, u findings.User) ([]findings.Token, error)
	CreateToken(ctx context.Context, u findings.User, name string, expires *time.Time) (string, findings.Token, error)
	RevokeToken(ctx context.Context, u findings.User, id int) error
	OriginOf(ctx context.Context, f findings.Stored) (findings.Origin, error)
	PermissionOn(ctx context.Context, u findings.User, product int) (findings.Permission, error)
	PermissionOnProductType(ctx context.Context, u findings.User, productType int) (findings.Permission, error)
	ProductTypeName(ctx context.Context, id int) (string, error)
	Members(ctx context.Context, u findings.User, kind string, in int) ([]findings.Member, error)
	Roles(ctx context.Context) ([]findings.Role, error)
	UserIDByName(ctx context.Context, username string) (int, error)
	List(ctx context.Context, kind string, u findings.User, params map[string]string, limit, offset int) ([]json.RawMessage, int, error)
	CreateObject(ctx context.Context, kind string, u findings.User, body findings.Values) (json.RawMessage, error)
	ChangeObject(ctx context.Context, kind string, id int, u findings.User, body findings.Values, partial bool) (json.RawMessage, error)
	DeleteObject(ctx context.Context, kind string, id int, u findings.User) error
}

// Accounts signs people in: the password check behind the sign-in
// throttle, and each user's API token.
type Accounts interface {
	SignIn(ctx context.Context, username, password, addr string) (findings.User, error)
	Token(ctx context.Context, u findings.User) (string, error)
	RotateToken(ctx context.Context, u findings.User) (string, error)
}

// Checks is what the pages need to know of checks.
type Checks interface {
	Status(ctx context.Context, id string) (reporter.CheckResponse, error)
	RecentChecks(ctx context.Context, limit int) ([]store.CheckSummary, error)
	BuiltinFindings(ctx context.Context, checkID string) (map[string]store.BuiltinIDs, error)
}

// Pages serves the findings pages.
type Pages struct {
	Findings Findings
	Accounts Accounts
	Checks   Checks
	// PushEvents, when set, adds push protection to the dashboard.
	PushEvents PushEvents
	Log        *slog.Logger
	// SessionTTL is how long a sign-in lasts (default 12 hours).
	SessionTTL time.Duration
	tmpl       map[string]*template.Template
}

// cookieName holds the session key; the key is random and only its hash
// is stored.
const cookieName = "secbot_session"

//go:embed templates/*.html static/*
var assets embed.FS

type sessionKey struct{}

// Register adds the pages to app.
func (p *Pages) Register(app *fiber.App) {
	if p.SessionTTL <= 0 {
		p.SessionTTL = 12 * time.Hour
	}
	p.tmpl = parseTemplates()
	style, _ := assets.ReadFile("static/style.css")
	app.Get("/static/style.css", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, "text/css; charset=utf-8")
		c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
		return c.Send(style)
	})
	app.Get("/login", p.headers, p.loginPage)
	app.Post("/login", p.headers, p.sameOrigin, p.login)
	app.Post("/logout", p.headers, p.sameOrigin, p.signedIn, p.csrf, p.logout)
	// Ids are checked by the handlers (input.ParseID), so that every id,
	// however large, is answered by a page.
	app.Get("/", p.headers, p.signedIn, p.query, p.dashboard)
	app.Get("/product/:id", p.headers, p.signedIn, p.query, p.product)
	app.Post("/product/:id/members", p.headers, p.sameOrigin, p.signedIn, p.csrf, p.changeMembers(productMembership))
	app.Get("/product-type/:id", p.headers, p.signedIn, p.query, p.productType)
	app.Post("/product-type/:id/members", p.headers, p.sameOrigin, p.signedIn, p.csrf, p.changeMembers(productTypeMembership))
	app.Get("/users", p.headers, p.signedIn, p.superuserOnly, p.query, p.users)
	app.Post("/users", p.headers, p.sameOrigin, p.signedIn, p.csrf, p.superuserOnly, p.changeUsers)
	app.Get("/finding/:id", p.headers, p.signedIn, p.query, p.finding)
	app.Post("/finding/:id/triage", p.headers, p.sameOrigin, p.signedIn, p.csrf, p.triage)
	app.Get("/check/:id", p.headers, p.signedIn, p.query, p.check)
	// DefectDojo's page for a user's API key.
	app.Get("/api/key-v2", p.headers, p.signedIn, p.query, p.apiKey)
	app.Post("/api/key-v2", p.headers, p.sameOrigin, p.signedIn, p.csrf, p.changeAPIKey)
}

// query refuses a query string PostgreSQL could not take as text.
func (p *Pages) query(c *fiber.Ctx) error {
	errs := input.Errors{}
	c.Context().QueryArgs().VisitAll(func(k, v []byte) { errs.Text(string(k), string(v)) })
	if len(errs) > 0 {
		return p.badRequest(c, errs)
	}
	return c.Next()
}

// formValue reads a field of a posted form's body only: unlike fiber's
// FormValue it never falls back to the query string, so a link cannot
// fill in a form (its CSRF token above all).
func formValue(c *fiber.Ctx, key string) string {
	return string(c.Request().PostArgs().Peek(key))
}

// headers keep pages out of caches and frames and allow nothing to load
// from elsewhere.
func (p *Pages) headers(c *fiber.Ctx) error {
	c.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "same-origin")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Next()
}

// signedIn lets a request through with a live session, and sends others
// to the sign-in page, which brings them back.
func (p *Pages) signedIn(c *fiber.Ctx) error {
	key := c.Cookies(cookieName)
	if key != "" {
		ss, err := p.Findings.SessionOf(c.UserContext(), key)
		switch {
		case err == nil:
			c.Locals(sessionKey{}, ss)
			return c.Next()
		case !errors.Is(err, findings.ErrBadCredentials):
			return err
		}
	}
	if c.Method() != fiber.MethodGet {
		return p.render(c, fiber.StatusForbidden, "error", "Signed out", map[string]any{
			"Message": "Your session has ended. Sign in again and repeat what you were doing."})
	}
	return c.Redirect("/login?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
}

// csrfHeader carries the CSRF token for clients that post without a
// form.
const csrfHeader = "X-CSRF-Token"

// csrf checks the token of the form's body (or of the X-CSRF-Token
// header) against the session's, in constant time.
func (p *Pages) csrf(c *fiber.Ctx) error {
	ss := session(c)
	token := c.Get(csrfHeader)
	if token == "" {
		token = formValue(c, "csrf")
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(ss.CSRF)) != 1 || ss.CSRF == "" {
		p.Log.Warn("page form refused: bad CSRF token", "path", c.Path(), "user", ss.User.Username)
		return p.render(c, fiber.StatusForbidden, "error", "Form expired", map[string]any{
			"Message": "This form did not come from a page of this session. Reload the page and try again."})
	}
	return c.Next()
}

// sameOrigin refuses a form posted from another site when the browser
// says where it came from (a second guard besides the CSRF token and the
// SameSite cookie; the sign-in form has no session token yet).
func (p *Pages) sameOrigin(c *fiber.Ctx) error {
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" || origin == "null" && c.Get("Sec-Fetch-Site") == "same-origin" {
		return c.Next()
	}
	u, err := url.Parse(origin)
	if err != nil || !strings.EqualFold(u.Host, c.Hostname()) {
		p.Log.Warn("page form refused: cross-site post", "path", c.Path(), "origin", origin)
		return p.render(c, fiber.StatusForbidden, "error", "Refused", map[string]any{
			"Message": "This form was sent from another site."})
	}
	return c.Next()
}

func session(c *fiber.Ctx) findings.Session {
	ss, _ := c.Locals(sessionKey{}).(findings.Session)
	return ss
}

// render writes a page: the layout around the named template, with the
// session (for the header and the forms' CSRF token).
func (p *Pages) render(c *fiber.Ctx, status int, name, title string, data map[string]any) error {
	if data == nil {
		data = map[string]any{}
	}
	data["Title"] = title
	if ss := session(c); ss.User.ID != 0 {
		data["Session"] = ss
	}
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return p.tmpl[name].ExecuteTemplate(c.Response().BodyWriter(), "layout", data)
}

// localPath keeps a next= target on this site: a path of printable ASCII
// that parses as a path alone. Anything else is "/": control characters
// (CR and LF would end the Location header; browsers drop tab, CR and LF
// from URLs, so "/\t/host" is "//host"), spaces, non-ASCII, a backslash
// (browsers read "/\host" as "//host"), and "//host" itself.
func localPath(next string) string {
	for i := 0; i < len(next); i++ {
		if b := next[i]; b <= ' ' || b >= 0x7f || b == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return "/"
	}
	return next
}
