package service_test

import (
	"bytes"
	"fmt"
	"html"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/gitlab"
)

// TestDocumentsNameEveryRoute keeps /openapi.json true to the routes:
// every route fiber has registered is in the process's document, and the
// document names no route that is not served.
func TestDocumentsNameEveryRoute(t *testing.T) {
	t.Parallel()
	h := newHarness(t, oneJob, nil)
	for name, app := range map[string]*fiber.App{"receiver": h.receiver.App, "reporter": h.reporter.App} {
		t.Run(name, func(t *testing.T) {
			routes := served(t, app)
			if len(routes) < 7 {
				t.Fatalf("the %s serves only %v: the routes were not read", name, routes)
			}
			doc := document(t, name)
			ops := documented(doc, app.Config().StrictRouting)
			for _, r := range routes {
				if !slices.Contains(ops, r) {
					t.Errorf("the %s serves %s, which its document lacks: add it to internal/service/openapi/%s/", name, r, name)
				}
			}
			for _, op := range ops {
				if !slices.Contains(routes, op) {
					t.Errorf("the %s's document names %s, which it does not serve", name, op)
				}
			}
			page := string(call(t, app, httptest.NewRequest(http.MethodGet, "/docs", nil)).raw)
			if n := strings.Count(page, `<section id="op-`); n != len(ops) {
				t.Errorf("/docs shows %d operations, the document has %d", n, len(ops))
			}
			for path := range doc.Paths.Map() {
				if !strings.Contains(page, `<span class="path">`+html.EscapeString(path)+`</span>`) {
					t.Errorf("/docs does not show %s", path)
				}
			}
		})
	}
}

const (
	adminPassword = "contract-test-password"
	// twoFindings and oneFinding are gitleaks reports; the second keeps
	// the first's first finding, so a reimport closes one.
	twoFindings = `[{"Description":"AWS","StartLine":2,"Secret":"REDACTED","File":"a.tf","RuleID":"aws-access-token"},
		{"Description":"GitLab PAT","StartLine":5,"Secret":"REDACTED","File":"b.env","RuleID":"gitlab-pat"}]`
	oneFinding = `[{"Description":"AWS","StartLine":2,"Secret":"REDACTED","File":"a.tf","RuleID":"aws-access-token"}]`
)

// TestAnswersMatchTheDocuments sends real requests to a real receiver and
// reporter (PostgreSQL, Redis, a worker, the findings service) and checks
// every answer against the documents: status, media type, headers and
// JSON fields. Every documented operation must be tried.
func TestAnswersMatchTheDocuments(t *testing.T) {
	t.Parallel()
	h := newHarness(t, oneJob, config.Env{"SECBOT_ADMIN_PASSWORD": adminPassword, "SECBOT_PASSWORD_COST": "4",
		"SECBOT_PUSH_PROTECTION_TOKEN": pushToken})
	h.startWorker()
	rcv, rep := newContract(t, "receiver"), newContract(t, "reporter")
	for _, c := range []struct {
		app *fiber.App
		doc *contract
	}{{h.receiver.App, rcv}, {h.reporter.App, rep}} {
		for _, path := range []string{"/ping", "/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"} {
			c.doc.conform("GET", path, call(t, c.app, httptest.NewRequest(http.MethodGet, path, nil)))
		}
	}
	checkID := hookAnswers(t, h, rcv)
	pushAnswers(t, h, rcv)
	gateAnswers(t, h, rep, checkID)
	ids := apiAnswers(t, h, rep)
	pageAnswers(t, h, rep, ids, checkID)
	historyAnswers(t, h, rep)
	rcv.allChecked()
	rep.allChecked()
}

// hookAnswers checks the webhook's answers and returns the id of a check
// that failed (a finding) once all its tasks are done.
func hookAnswers(t *testing.T, h *harness, c *contract) string {
	hook := func(token string, body []byte) answer {
		req := httptest.NewRequest(http.MethodPost, "/v1/gitlab/webhook", bytes.NewReader(body))
		req.Header.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		req.Header.Set(gitlab.HeaderToken, token)
		req.Header.Set(gitlab.HeaderEvent, "Push Hook")
		return call(t, h.receiver.App, req)
	}
	const path = "/v1/gitlab/webhook"
	a := hook(hookToken, pushOf(t, shaSecret))
	if a.code != http.StatusOK || a.json(t)["security_check_id"] == nil {
		t.Fatalf("hook: %d %s", a.code, a.raw)
	}
	c.conform("POST", path, a)
	c.conform("POST", path, hook(hookToken, pushOf(t, shaPermanent)))
	c.conform("POST", path, hook("wrong", pushOf(t, shaClean)))
	c.conform("POST", path, hook(hookToken, []byte(`{"ref": `)))
	c.conform("POST", path, hook(hookToken, []byte(`{"object_kind":"push","ref":"refs/heads/main"}`)))
	h.waitAllTasks(checkIDOf(shaPermanent))
	h.waitAllTasks(checkIDOf(shaSecret))
	return checkIDOf(shaSecret)
}

func gateAnswers(t *testing.T, h *harness, c *contract, checkID string) {
	const path = "/v1/security/gitlab/check/{security_check_id}"
	get := func(url string) answer { return call(t, h.reporter.App, httptest.NewRequest(http.MethodGet, url, nil)) }
	for _, id := range []string{checkID, checkIDOf(shaPermanent), "tst_unknown"} {
		a := get("/v1/security/gitlab/check/" + id)
		if a.code != http.StatusOK {
			t.Fatalf("check %s: %d %s", id, a.code, a.raw)
		}
		c.conform("GET", path, a)
	}
	c.conform("GET", path, get("/v1/security/gitlab/check/"+checkID+"?wait=1s"))
	c.conform("GET", path, get("/v1/security/gitlab/check/"+checkID+"?wait=soon"))
}

// findingIDs are what the API made, for the pages.
type findingIDs struct{ finding, product, productType int }

// apiAnswers checks the /api/v2/ answers: imports, findings, triage,
// context lists, tokens.
func apiAnswers(t *testing.T, h *harness, c *contract) findingIDs {
	app := h.reporter.App
	send := func(method, target, contentType, body string, auth bool) answer {
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		if contentType != "" {
			req.Header.Set(fiber.HeaderContentType, contentType)
		}
		if auth {
			req.Header.Set(fiber.HeaderAuthorization, "Token "+dojoToken)
		}
		return call(t, app, req)
	}
	upload := func(path, report string, fields ...string) answer {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		for i := 0; i+1 < len(fields); i += 2 {
			_ = w.WriteField(fields[i], fields[i+1])
		}
		part, _ := w.CreateFormFile("file", "gitleaks.json")
		_, _ = part.Write([]byte(report))
		_ = w.Close()
		return send(http.MethodPost, path, w.FormDataContentType(), body.String(), true)
	}
	const imp, reimp = "/api/v2/import-scan/", "/api/v2/reimport-scan/"
	target := []string{"scan_type", "Gitleaks Scan", "product_name", "group/app", "engagement_name", "main",
		"auto_create_context", "true", "tags", "ci", "tags", "secrets", "commit_hash", shaSecret, "active", "true"}
	imported := upload(imp, twoFindings, target...)
	if imported.code != http.StatusCreated {
		t.Fatalf("import: %d %s", imported.code, imported.raw)
	}
	c.conform("POST", imp, imported)
	c.conform("POST", imp, upload(imp, twoFindings, append(target[:len(target):len(target)], "engagement", "1")...))
	c.conform("POST", imp, upload(imp, twoFindings, "scan_type", "Nessus Scan"))
	c.conform("POST", imp, upload(imp, `[{"Description": `, target...))
	c.conform("POST", imp, upload(imp, twoFindings, "scan_type", "Gitleaks Scan", "product_name", "nowhere", "engagement_name", "main"))
	c.conform("POST", imp, send(http.MethodPost, imp, "text/plain", "scan_type=SARIF", true))
	c.conform("POST", imp, upload(imp, twoFindings))
	reimported := upload(reimp, oneFinding, append(target[:len(target):len(target)], "close_old_findings", "true")...)
	if reimported.code != http.StatusCreated {
		t.Fatalf("reimport: %d %s", reimported.code, reimported.raw)
	}
	c.conform("POST", reimp, reimported)
	c.conform("POST", reimp, upload(reimp, oneFinding, append(target[:len(target):len(target)], "test", "0")...))

	list := send(http.MethodGet, "/api/v2/findings/?o=-id&limit=1", "", "", true)
	c.conform("GET", "/api/v2/findings/", list)
	results, _ := list.json(t)["results"].([]any)
	if list.code != http.StatusOK || len(results) != 1 || list.json(t)["next"] == nil {
		t.Fatalf("findings list: %d %s", list.code, list.raw)
	}
	id := int(results[0].(map[string]any)["id"].(float64))
	c.conform("GET", "/api/v2/findings/", send(http.MethodGet, "/api/v2/findings/?duplicate=perhaps", "", "", true))
	c.conform("GET", "/api/v2/findings/", send(http.MethodGet, "/api/v2/findings/", "", "", false))
	one := fmt.Sprintf("/api/v2/findings/%d/", id)
	c.conform("GET", "/api/v2/findings/{id}/", send(http.MethodGet, one, "", "", true))
	c.conform("GET", "/api/v2/findings/{id}/", send(http.MethodGet, "/api/v2/findings/2147483648/", "", "", true))
	c.conform("PATCH", "/api/v2/findings/{id}/", send(http.MethodPatch, one, fiber.MIMEApplicationJSON, `{"risk_accepted": true}`, true))
	c.conform("PATCH", "/api/v2/findings/{id}/", send(http.MethodPatch, one, fiber.MIMEApplicationJSON, `{"risk_accepted": `, true))
	c.conform("PATCH", "/api/v2/findings/{id}/", send(http.MethodPatch, "/api/v2/findings/99999/", fiber.MIMEApplicationJSON, `{}`, true))
	c.conform("POST", "/api/v2/findings/{id}/close/", send(http.MethodPost, one+"close/", "", "", true))
	c.conform("POST", "/api/v2/findings/{id}/close/", send(http.MethodPost, "/api/v2/findings/99999/close/", "", "", true))
	objectAnswers(t, h, c, id)

	const tokenAuth = "/api/v2/api-token-auth/"
	c.conform("POST", tokenAuth, send(http.MethodPost, tokenAuth, fiber.MIMEApplicationJSON, `{"username":"admin","password":"`+adminPassword+`"}`, false))
	c.conform("POST", tokenAuth, send(http.MethodPost, tokenAuth, fiber.MIMEApplicationForm, "username=admin&password=wrong", false))
	c.conform("POST", tokenAuth, send(http.MethodPost, tokenAuth, fiber.MIMEApplicationJSON, `{}`, false))
	c.conform("GET", "/api/v2/user_profile/", send(http.MethodGet, "/api/v2/user_profile/", "", "", true))
	product := int(imported.json(t)["product_id"].(float64))
	productType := int(send(http.MethodGet, fmt.Sprintf("/api/v2/products/%d/", product), "", "", true).json(t)["prod_type"].(float64))
	return findingIDs{finding: id, product: product, productType: productType}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// pageAnswers signs in and checks the findings pages' answers.
func pageAnswers(t *testing.T, h *harness, c *contract, ids findingIDs, checkID string) {
	app := h.reporter.App
	var cookie string
	page := func(method, target, form string) answer {
		var req *http.Request
		if method == http.MethodGet {
			req = httptest.NewRequest(method, target, nil)
		} else {
			req = httptest.NewRequest(method, target, strings.NewReader(form))
			req.Header.Set(fiber.HeaderContentType, fiber.MIMEApplicationForm)
		}
		if cookie != "" {
			req.Header.Set(fiber.HeaderCookie, cookie)
		}
		return call(t, app, req)
	}
	c.conform("GET", "/static/style.css", page(http.MethodGet, "/static/style.css", ""))
	c.conform("GET", "/login", page(http.MethodGet, "/login?next=/", ""))
	c.conform("GET", "/", page(http.MethodGet, "/", ""))
	c.conform("POST", "/login", page(http.MethodPost, "/login", "username=admin&password=wrong"))
	signedIn := page(http.MethodPost, "/login", "username=admin&password="+url.QueryEscape(adminPassword)+"&next=/")
	c.conform("POST", "/login", signedIn)
	for _, ck := range (&http.Response{Header: signedIn.header}).Cookies() {
		if ck.Name == "secbot_session" {
			cookie = ck.Name + "=" + ck.Value
		}
	}
	if cookie == "" {
		t.Fatalf("sign-in set no session cookie: %d %v", signedIn.code, signedIn.header)
	}
	dashboard := page(http.MethodGet, "/", "")
	c.conform("GET", "/", dashboard)
	m := csrfField.FindSubmatch(dashboard.raw)
	if m == nil {
		t.Fatalf("the dashboard has no csrf field: %.500s", dashboard.raw)
	}
	csrf := "csrf=" + url.QueryEscape(string(m[1]))
	c.conform("GET", "/", page(http.MethodGet, "/?q=%00", ""))
	c.conform("GET", "/product/{id}", page(http.MethodGet, fmt.Sprintf("/product/%d?status=all", ids.product), ""))
	c.conform("GET", "/product/{id}", page(http.MethodGet, "/product/99999", ""))
	finding := fmt.Sprintf("/finding/%d", ids.finding)
	c.conform("GET", "/finding/{id}", page(http.MethodGet, finding, ""))
	c.conform("GET", "/finding/{id}", page(http.MethodGet, "/finding/99999", ""))
	c.conform("POST", "/finding/{id}/triage", page(http.MethodPost, finding+"/triage", csrf+"&action=reopen"))
	c.conform("POST", "/finding/{id}/triage", page(http.MethodPost, finding+"/triage", csrf+"&action=delete"))
	c.conform("POST", "/finding/{id}/triage", page(http.MethodPost, finding+"/triage", "action=reopen"))
	c.conform("GET", "/check/{id}", page(http.MethodGet, "/check/"+checkID, ""))
	c.conform("GET", "/check/{id}", page(http.MethodGet, "/check/tst_unknown", ""))
	c.conform("GET", "/api/key-v2", page(http.MethodGet, "/api/key-v2", ""))
	c.conform("POST", "/api/key-v2", page(http.MethodPost, "/api/key-v2", csrf))
	c.conform("POST", "/api/key-v2", page(http.MethodPost, "/api/key-v2", "csrf=forged"))
	c.conform("POST", "/api/key-v2", page(http.MethodPost, "/api/key-v2", csrf+"&action=create&name=contract+pipeline&expires=2999-01-31"))
	c.conform("POST", "/api/key-v2", page(http.MethodPost, "/api/key-v2", csrf+"&action=create&name="))
	c.conform("POST", "/api/key-v2", page(http.MethodPost, "/api/key-v2", csrf+"&action=revoke&token=99999"))
	c.conform("GET", "/users", page(http.MethodGet, "/users", ""))
	c.conform("POST", "/users", page(http.MethodPost, "/users", csrf+"&action=create&username=contract-user&password=pw"))
	c.conform("POST", "/users", page(http.MethodPost, "/users", csrf+"&action=create&username=contract-user"))
	c.conform("POST", "/users", page(http.MethodPost, "/users", csrf+"&action=global_role&user=99999&role=5"))
	members := fmt.Sprintf("/product/%d/members", ids.product)
	c.conform("POST", "/product/{id}/members", page(http.MethodPost, members, csrf+"&action=add&username=contract-user&role=5"))
	c.conform("POST", "/product/{id}/members", page(http.MethodPost, members, csrf+"&action=add&username=nobody&role=5"))
	c.conform("POST", "/product/{id}/members", page(http.MethodPost, members, csrf+"&action=remove&member=99999"))
	c.conform("GET", "/product-type/{id}", page(http.MethodGet, fmt.Sprintf("/product-type/%d", ids.productType), ""))
	c.conform("GET", "/product-type/{id}", page(http.MethodGet, "/product-type/99999", ""))
	c.conform("POST", "/product-type/{id}/members", page(http.MethodPost, fmt.Sprintf("/product-type/%d/members", ids.productType), csrf+"&action=add&username=contract-user&role=3"))
	historyPageAnswers(t, c, page, csrf)
	c.conform("POST", "/logout", page(http.MethodPost, "/logout", csrf))
	c.conform("POST", "/logout", page(http.MethodPost, "/logout", csrf))
}
