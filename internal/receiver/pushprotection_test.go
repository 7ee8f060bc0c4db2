package receiver

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/secbot/secbot/internal/metrics"
	"github.com/secbot/secbot/internal/pushreport"
)

// Without SECBOT_PUSH_PROTECTION_TOKEN every report is refused, whatever
// token it brings (an empty one included), and the answer says what to set.
func TestPushReportsOffWithoutAToken(t *testing.T) {
	app := fiber.New()
	(&PushReports{Metrics: metrics.New(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}).Register(app)
	for _, auth := range []string{"", "Bearer ", "Bearer anything"} {
		req := httptest.NewRequest(http.MethodPost, pushreport.Path, strings.NewReader(`{}`))
		req.Header.Set(fiber.HeaderAuthorization, auth)
		resp, err := app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "set SECBOT_PUSH_PROTECTION_TOKEN") {
			t.Fatalf("%q: %d %s", auth, resp.StatusCode, body)
		}
	}
}
