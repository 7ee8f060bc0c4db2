package service_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// historyAnswers checks the answers of the history scans' routes: a run
// started, listed, read and cancelled (before the workers get far with an
// instance that is not there), and the refusals.
func historyAnswers(t *testing.T, h *harness, c *contract) {
	const path = "/v1/security/gitlab/history-scans"
	send := func(method, target, body, token string) answer {
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		req.Header.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		if token != "" {
			req.Header.Set(fiber.HeaderAuthorization, "Token "+token)
		}
		return call(t, h.reporter.App, req)
	}
	started := send(http.MethodPost, path, `{"instance": "https://example.com", "groups": ["team"], "job": "everything"}`, dojoToken)
	var run struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(started.raw, &run); err != nil || started.code != http.StatusAccepted || run.ID == 0 {
		t.Fatalf("starting a history scan: %d %s", started.code, started.raw)
	}
	one := fmt.Sprintf("%s/%d", path, run.ID)
	c.conform("POST", path, started)
	c.conform("POST", path, send(http.MethodPost, path, `{"instance": "gitlab.nowhere", "projects": [""]}`, dojoToken))
	c.conform("POST", path, send(http.MethodPost, path, `{"instance": `, dojoToken))
	c.conform("POST", path, send(http.MethodPost, path, `{}`, ""))
	c.conform("GET", path, send(http.MethodGet, path, "", dojoToken))
	c.conform("GET", path, send(http.MethodGet, path, "", "not-a-token"))
	c.conform("GET", path+"/{id}", send(http.MethodGet, one, "", dojoToken))
	c.conform("GET", path+"/{id}", send(http.MethodGet, path+"/999999", "", dojoToken))
	c.conform("POST", path+"/{id}/cancel", send(http.MethodPost, one+"/cancel", "", dojoToken))
	c.conform("POST", path+"/{id}/cancel", send(http.MethodPost, one+"/cancel", "", dojoToken))
	c.conform("POST", path+"/{id}/cancel", send(http.MethodPost, path+"/x/cancel", "", dojoToken))
}

// historyPageAnswers checks the history scans' page: the list and form, a
// scan started, its page, a form with problems, and a cancel.
func historyPageAnswers(t *testing.T, c *contract, page func(method, target, form string) answer, csrf string) {
	c.conform("GET", "/history-scans", page(http.MethodGet, "/history-scans", ""))
	c.conform("GET", "/history-scans", page(http.MethodGet, "/history-scans?q=%00", ""))
	started := page(http.MethodPost, "/history-scans", csrf+"&instance=https%3A%2F%2Fexample.com&projects=team%2Fapp")
	c.conform("POST", "/history-scans", started)
	at := started.header.Get(fiber.HeaderLocation)
	if started.code != http.StatusSeeOther || !strings.HasPrefix(at, "/history-scans/") {
		t.Fatalf("starting a history scan from the page: %d to %q", started.code, at)
	}
	c.conform("POST", "/history-scans", page(http.MethodPost, "/history-scans", csrf+"&instance=elsewhere"))
	c.conform("POST", "/history-scans", page(http.MethodPost, "/history-scans", "instance=elsewhere"))
	shown := page(http.MethodGet, at, "")
	c.conform("GET", "/history-scans/{id}", shown)
	if !strings.Contains(string(shown.raw), "team/app") {
		t.Errorf("the history scan's page does not name its project: %.500s", shown.raw)
	}
	c.conform("GET", "/history-scans/{id}", page(http.MethodGet, "/history-scans/999999", ""))
	c.conform("POST", "/history-scans/{id}/cancel", page(http.MethodPost, at+"/cancel", csrf))
	c.conform("POST", "/history-scans/{id}/cancel", page(http.MethodPost, "/history-scans/999999/cancel", csrf))
}
