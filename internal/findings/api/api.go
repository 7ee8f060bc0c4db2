// Package api serves the findings service as DefectDojo's API v2, so
// clients written for DefectDojo work unchanged.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/input"
	"github.com/secbot/secbot/internal/httpapi"
)

// Service is what the API needs of the findings service.
type Service interface {
	Authenticate(ctx context.Context, key string) (findings.User, error)
	ImportFrom(ctx context.Context, opt findings.ImportOptions, src findings.Source) (findings.ImportResult, error)
	ReimportFrom(ctx context.Context, opt findings.ReimportOptions, src findings.Source) (findings.ReimportResult, error)
	Findings(ctx context.Context, flt findings.Filter) ([]findings.Stored, int, error)
	Finding(ctx context.Context, id int) (findings.Stored, error)
	Update(ctx context.Context, id, userID int, c findings.Change) (findings.Stored, error)
	List(ctx context.Context, kind string, u findings.User, params map[string]string, limit, offset int) ([]json.RawMessage, int, error)
	Object(ctx context.Context, kind string, id int, u findings.User) (json.RawMessage, error)
	CreateObject(ctx context.Context, kind string, u findings.User, body findings.Values) (json.RawMessage, error)
	ChangeObject(ctx context.Context, kind string, id int, u findings.User, body findings.Values, partial bool) (json.RawMessage, error)
	DeleteObject(ctx context.Context, kind string, id int, u findings.User) error
	Check(ctx context.Context, u findings.User, want findings.Permission, product int) error
	CheckFinding(ctx context.Context, u findings.User, want findings.Permission, finding int) error
	AuthorizeImport(ctx context.Context, u findings.User, t findings.Target, testID int) error
	Tokens(ctx context.Context, u findings.User) ([]findings.Token, error)
	CreateToken(ctx context.Context, u findings.User, name string, expires *time.Time) (string, findings.Token, error)
	RevokeToken(ctx context.Context, u findings.User, id int) error
	Notes(ctx context.Context, finding int) (json.RawMessage, error)
	AddNote(ctx context.Context, finding, userID int, n findings.Note) (json.RawMessage, error)
}

// Accounts is what api-token-auth needs: the throttled password check
// and the user's one token.
type Accounts interface {
	SignIn(ctx context.Context, username, password, addr string) (findings.User, error)
	Token(ctx context.Context, u findings.User) (string, error)
}

// API serves /api/v2.
type API struct {
	Service  Service
	Accounts Accounts
	Log      *slog.Logger
	// Schema is the OpenAPI document of /api/v2/, served at
	// /api/v2/oa3/schema/ as DefectDojo serves its own (nil: 404).
	Schema []byte
}

type userKey struct{}

// StreamPaths are the routes whose bodies (reports, up to
// SECBOT_MAX_REPORT_BYTES) are read as streams; see httpapi.BodyStream.
var StreamPaths = []string{"/api/v2/import-scan", "/api/v2/reimport-scan"}

// Register adds the routes to app. Under /api/v2/, a path the API does
// not have is 404 {"detail": "Not found."} and a method it does not take
// there 405, with or without a token, as DefectDojo answers.
func (a *API) Register(app *fiber.App) {
	v2 := &routes{Router: app.Group("/api/v2")}
	v2.Use(v2.unknown)
	v2.Post("/api-token-auth", a.tokenAuth)
	v2.Use(a.authenticate)
	v2.Get("/user_profile", a.userProfile)
	v2.Post("/import-scan", a.importScan)
	v2.Post("/reimport-scan", a.reimportScan)
	v2.Get("/findings", a.listFindings)
	v2.Get("/findings/:id", a.getFinding)
	v2.Put("/findings/:id", a.putFinding)
	v2.Patch("/findings/:id", a.patchFinding)
	v2.Post("/findings/:id/close", a.closeFinding)
	v2.Get("/findings/:id/notes", a.listNotes)
	v2.Post("/findings/:id/notes", a.addNote)
	v2.Get("/oa3/schema", a.schema)
	v2.Get("/api_tokens", a.listTokens)
	v2.Post("/api_tokens", a.createToken)
	v2.Delete("/api_tokens/:id", a.revokeToken)
	a.registerObjects(v2)
}

// detail answers DefectDojo-style: {"detail": "..."}.
func detail(c *fiber.Ctx, status int, msg string) error {
	return c.Status(status).JSON(fiber.Map{"detail": msg})
}

// authenticate accepts "Authorization: Token <key>".
func (a *API) authenticate(c *fiber.Ctx) error {
	scheme, key, _ := strings.Cut(strings.TrimSpace(c.Get(fiber.HeaderAuthorization)), " ")
	if !strings.EqualFold(scheme, "Token") || strings.TrimSpace(key) == "" {
		return refuse(c, "Authentication credentials were not provided.")
	}
	user, err := a.Service.Authenticate(c.UserContext(), strings.TrimSpace(key))
	if errors.Is(err, findings.ErrBadCredentials) {
		return refuse(c, "Invalid token.")
	}
	if errors.Is(err, findings.ErrTokenExpired) {
		return refuse(c, "Token has expired: ask /api/v2/api-token-auth/ for the next one.")
	}
	if err != nil {
		return err
	}
	c.Locals(userKey{}, user)
	return c.Next()
}

// refusedBodyDrain is how much of a refused request's body is read before
// the answer: enough for most uploads, little for a stranger to spend.
const refusedBodyDrain = 4 << 20

// refuse answers a request without valid credentials, 403. An upload's
// body is read first (up to refusedBodyDrain): a client still sending
// its report then reads the answer, not a connection reset.
func refuse(c *fiber.Ctx, msg string) error {
	_, _ = io.Copy(io.Discard, io.LimitReader(httpapi.BodyStream(c), refusedBodyDrain))
	return detail(c, fiber.StatusForbidden, msg)
}

// tokenAuth is DefectDojo's api-token-auth: a username and password for
// the user's API token (the same one every time). Failed attempts are
// throttled with the sign-in page's, per user name and per address.
func (a *API) tokenAuth(c *fiber.Ctx) error {
	var creds struct {
		Username string `json:"username" form:"username"`
		Password string `json:"password" form:"password"`
	}
	if err := c.BodyParser(&creds); err != nil || creds.Username == "" || creds.Password == "" {
		return c.Status(fiber.StatusBadRequest).JSON(fiber.Map{"non_field_errors": []string{"Must include \"username\" and \"password\"."}})
	}
	if msg := input.TextProblem(creds.Username); msg != "" {
		return c.Status(fiber.StatusBadRequest).JSON(input.Errors{"username": {msg}})
	}
	u, err := a.Accounts.SignIn(c.UserContext(), creds.Username, creds.Password, httpapi.ClientIP(c))
	var throttled *findings.ThrottledError
	switch {
	case errors.As(err, &throttled):
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(throttled.Seconds()))
		return detail(c, fiber.StatusTooManyRequests, fmt.Sprintf("Request was throttled. Expected available in %d seconds.", throttled.Seconds()))
	case errors.Is(err, findings.ErrBadCredentials):
		return c.Status(fiber.StatusBadRequest).JSON(fiber.Map{"non_field_errors": []string{"Unable to log in with provided credentials."}})
	case err != nil:
		return err
	}
	key, err := a.Accounts.Token(c.UserContext(), u)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"token": key})
}

// schema serves the OpenAPI document of /api/v2/.
func (a *API) schema(c *fiber.Ctx) error {
	if a.Schema == nil {
		return detail(c, fiber.StatusNotFound, notFound)
	}
	c.Set(fiber.HeaderContentType, "application/vnd.oai.openapi+json")
	return c.Send(a.Schema)
}

// userProfile answers DefectDojo's profile: the user, their global role
// (or null) and their memberships of product types and products.
func (a *API) userProfile(c *fiber.Ctx) error {
	user := caller(c)
	system := findings.User{ID: user.ID, IsSuperuser: true} // the caller's own roles, whatever they may see
	mine := map[string]string{"user": strconv.Itoa(user.ID)}
	out := fiber.Map{"user": user, "global_role": nil, "dojo_group_member": []any{}}
	for key, kind := range map[string]string{"product_type_member": "product_type_members", "product_member": "product_members",
		"global_role": "global_roles"} {
		list, _, err := a.Service.List(c.UserContext(), kind, system, mine, maxLimit, 0)
		if err != nil {
			return err
		}
		switch {
		case key != "global_role":
			out[key] = list
		case len(list) > 0:
			out[key] = list[0]
		}
	}
	return c.JSON(out)
}
