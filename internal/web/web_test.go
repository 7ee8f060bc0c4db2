package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers"
	"github.com/secbot/secbot/internal/handler"
	"github.com/secbot/secbot/internal/jobs"
	"github.com/secbot/secbot/internal/service"
	"github.com/secbot/secbot/internal/store"
	"github.com/secbot/secbot/internal/testenv"
	"github.com/secbot/secbot/internal/testenv/fixtures"
)

const (
	password = "correct horse battery staple"
	checkID  = "secbot_0123456789abcdef0123456789abcdef"
)

var ctx = context.Background()

// site is a reporter serving the pages, with one check whose output
// stored one finding in the built-in findings service.
type site struct {
	url     string
	finding int
	product int
	db      *testenv.DB
	env     config.Env
}

// adminToken is the admin's API token (DEFECTDOJO__TOKEN) on every site.
const adminToken = "5ecb075ecb075ecb075ecb075ecb075ecb075ecb"

// newSite starts a reporter on a fresh database; env (name, value, …)
// adds to or overrides its settings.
func newSite(t *testing.T, env ...string) *site {
	t.Helper()
	st, dsn := testenv.Store(t)
	e := config.Env{"SECBOT_POSTGRES_DSN": dsn, "SECBOT_REDIS_URL": testenv.RedisURL(t),
		"SECBOT_ADMIN_USER": "admin", "SECBOT_ADMIN_PASSWORD": password, "SECBOT_LOG_LEVEL": "error", "SECBOT_PASSWORD_COST": "4",
		"DEFECTDOJO__TOKEN": adminToken}
	for i := 0; i+1 < len(env); i += 2 {
		e[env[i]] = env[i+1]
	}
	s := &site{env: e, db: &testenv.DB{Pool: st.Pool()}}
	s.url = s.replica(t)

	list := fixture(t, "Gitleaks Scan", "gitleaks/data_one.json")
	svc := findings.NewService(st.Pool(), findings.WithPasswordCost(bcrypt.MinCost))
	imported, err := svc.Import(ctx, findings.ImportOptions{ScanType: "Gitleaks Scan", Target: findings.Target{
		ProductTypeName: "gitlab.example.com", ProductName: "grp/app", EngagementName: "/grp/app/-/commit/abc", AutoCreateContext: true}}, list)
	if err != nil {
		t.Fatal(err)
	}
	s.product, s.finding = imported.Product, s.db.Count(t, "SELECT min(id) FROM findings")

	plan := jobs.Plan(checkID, config.Job{Scans: []string{"gitleaks"}, Outputs: []string{"defectdojo"}}, "")
	if _, err := st.AcceptEvent(ctx, "k", store.Check{ID: checkID, InstanceHost: "https://gitlab.example.com", Project: "grp/app",
		ProjectKey: "gitlab.example.com:grp/app", CommitSHA: strings.Repeat("a", 40), EventType: "push", JobName: "secrets",
		Event: []byte(`{}`)}, plan); err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(handler.OutputData{Builtin: true, Findings: []handler.OutputFinding{{ID: s.finding, Blocking: true, New: true}}})
	for _, task := range plan {
		result := handler.Result{Findings: 1, ActiveFindings: 1}
		if task.Kind == jobs.KindOutput {
			result.Data = data
		}
		if _, err := st.ClaimTask(ctx, task.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := st.CompleteTask(ctx, task.ID, result); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// replica starts another reporter with the site's settings, on its
// database, and returns its base URL.
func (s *site) replica(t *testing.T) string {
	t.Helper()
	b, err := service.FromEnv("reporter", s.env)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := service.NewReporter(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = rep.App.Listener(ln) }()
	t.Cleanup(func() { _ = rep.App.Shutdown(); rep.Close() })
	return "http://" + ln.Addr().String()
}

// fixture parses one of the shared sample reports.
func fixture(t *testing.T, scanType, file string) []findings.Finding {
	t.Helper()
	p, err := parsers.Lookup(scanType)
	if err != nil {
		t.Fatal(err)
	}
	f, err := fixtures.Open("defectdojo/" + file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	list, err := findings.Parse(p, f)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// browser is a client with a cookie jar that does not follow redirects.
type browser struct {
	t      *testing.T
	client *http.Client
	site   *site
	base   string // the reporter it talks to: the site's, or a replica's
}

func (s *site) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, site: s, base: s.url, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	code     int
	location string
	body     string
	header   http.Header
}

func (b *browser) do(method, path string, form url.Values, header map[string]string) page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return page{code: resp.StatusCode, location: resp.Header.Get("Location"), body: string(raw), header: resp.Header}
}

func (b *browser) get(path string) page { return b.do(http.MethodGet, path, nil, nil) }

func (b *browser) login() {
	b.t.Helper()
	if p := b.do(http.MethodPost, "/login", url.Values{"username": {"admin"}, "password": {password}, "next": {"/"}}, nil); p.code != http.StatusSeeOther {
		b.t.Fatalf("sign in: %d %s", p.code, p.body)
	}
}

// csrf reads the CSRF token of the page's forms.
func csrf(t *testing.T, body string) string {
	t.Helper()
	_, rest, ok := strings.Cut(body, `name="csrf" value="`)
	token, _, _ := strings.Cut(rest, `"`)
	if !ok || token == "" {
		t.Fatalf("no CSRF token on the page:\n%s", body)
	}
	return token
}

func TestPagesNeedASession(t *testing.T) {
	s := newSite(t)
	b := s.browser(t)
	for _, path := range []string{"/", "/check/" + checkID, fmt.Sprintf("/finding/%d", s.finding), fmt.Sprintf("/product/%d", s.product)} {
		p := b.get(path)
		if p.code != http.StatusSeeOther || p.location != "/login?next="+url.QueryEscape(path) {
			t.Fatalf("%s without a session: %d to %q, want 303 to the sign-in page", path, p.code, p.location)
		}
	}
	p := b.do(http.MethodPost, fmt.Sprintf("/finding/%d/triage", s.finding), url.Values{"action": {"false_positive"}}, nil)
	if p.code != http.StatusForbidden {
		t.Fatalf("triage without a session: %d", p.code)
	}
	if n := s.db.Count(t, "SELECT count(*) FROM findings WHERE false_p"); n != 0 {
		t.Fatal("a triage without a session changed the finding")
	}
	if p := b.get("/login"); p.code != 200 || !strings.Contains(p.body, `<form method="post" action="/login">`) ||
		p.header.Get("Content-Security-Policy") == "" || p.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("sign-in page: %d %v", p.code, p.header)
	}
}

func TestSignIn(t *testing.T) {
	s := newSite(t)
	b := s.browser(t)
	p := b.do(http.MethodPost, "/login", url.Values{"username": {"admin"}, "password": {"wrong"}}, nil)
	if p.code != http.StatusUnauthorized || !strings.Contains(p.body, "The username or the password is wrong.") {
		t.Fatalf("wrong password: %d", p.code)
	}
	p = b.do(http.MethodPost, "/login", url.Values{"username": {"admin"}, "password": {password}, "next": {"//evil.example/x"}}, nil)
	if p.code != http.StatusSeeOther || p.location != "/" {
		t.Fatalf("next=//evil.example: %d to %q, want 303 to /", p.code, p.location)
	}
	cookie := p.header.Get("Set-Cookie")
	if !strings.Contains(cookie, "HttpOnly") || !strings.Contains(strings.ToLower(cookie), "samesite=lax") {
		t.Fatalf("session cookie %q lacks HttpOnly or SameSite", cookie)
	}
	key := strings.TrimPrefix(strings.Split(cookie, ";")[0], "secbot_session=")
	if n := s.db.Count(t, "SELECT count(*) FROM web_sessions WHERE key_hash = $1 OR csrf = $1", key); n != 0 {
		t.Fatal("the session key is stored in clear")
	}
	if p := b.do(http.MethodPost, "/login", url.Values{"username": {"admin"}, "password": {password}},
		map[string]string{"Origin": "https://evil.example"}); p.code != http.StatusForbidden {
		t.Fatalf("sign-in posted from another site: %d", p.code)
	}
}

func TestTriageFromTheCheckPage(t *testing.T) {
	s := newSite(t)
	b := s.browser(t)
	b.login()
	dash := b.get("/")
	if dash.code != 200 || !strings.Contains(dash.body, "/check/"+checkID) || !strings.Contains(dash.body, "grp/app") {
		t.Fatalf("dashboard: %d\n%s", dash.code, dash.body)
	}
	check := b.get("/check/" + checkID)
	link := fmt.Sprintf(`href="/finding/%d"`, s.finding)
	if check.code != 200 || !strings.Contains(check.body, `v-fail">fail<`) || !strings.Contains(check.body, link) ||
		!strings.Contains(check.body, "gitleaks: 1 findings, 1 blocking") || !strings.Contains(check.body, "<strong>blocks</strong>") {
		t.Fatalf("check page: %d\n%s", check.code, check.body)
	}
	path := fmt.Sprintf("/finding/%d", s.finding)
	f := b.get(path)
	if f.code != 200 || !strings.Contains(f.body, "Hard Coded Asymmetric Private Key") || !strings.Contains(f.body, "SecBot found it.") {
		t.Fatalf("finding page: %d\n%s", f.code, f.body)
	}
	token := csrf(t, f.body)

	for name, tt := range map[string]struct {
		form   url.Values
		header map[string]string
	}{
		"no CSRF token":    {url.Values{"action": {"false_positive"}}, nil},
		"wrong CSRF token": {url.Values{"action": {"false_positive"}, "csrf": {"forged"}}, nil},
		"another site":     {url.Values{"action": {"false_positive"}, "csrf": {token}}, map[string]string{"Origin": "https://evil.example"}},
	} {
		if p := b.do(http.MethodPost, path+"/triage", tt.form, tt.header); p.code != http.StatusForbidden {
			t.Fatalf("%s: %d, want 403", name, p.code)
		}
	}
	if n := s.db.Count(t, "SELECT count(*) FROM findings WHERE false_p"); n != 0 {
		t.Fatal("a refused form changed the finding")
	}

	p := b.do(http.MethodPost, path+"/triage", url.Values{"action": {"false_positive"}, "csrf": {token}}, nil)
	if p.code != http.StatusSeeOther {
		t.Fatalf("triage: %d %s", p.code, p.body)
	}
	f = b.get(p.location)
	if !strings.Contains(f.body, "False positive") || !strings.Contains(f.body, "<strong>admin</strong> marked it a false positive.") {
		t.Fatalf("after triage the finding page says:\n%s", f.body)
	}
	if check := b.get("/check/" + checkID); !strings.Contains(check.body, `v-success">success<`) ||
		!strings.Contains(check.body, "gitleaks: 1 findings, 0 blocking") || strings.Contains(check.body, "<strong>blocks</strong>") {
		t.Fatalf("after triage the check page says:\n%s", check.body)
	}
	product := b.get(fmt.Sprintf("/product/%d?status=false_p", s.product))
	if !strings.Contains(product.body, link) || !strings.Contains(product.body, "1 findings") {
		t.Fatalf("product page, false positives:\n%s", product.body)
	}
	if open := b.get(fmt.Sprintf("/product/%d", s.product)); !strings.Contains(open.body, "No findings match these filters.") {
		t.Fatalf("product page, open findings:\n%s", open.body)
	}

	// Signing out ends the session on the server, not just in the browser.
	cookies := b.client.Jar.Cookies(mustURL(s.url))
	if p := b.do(http.MethodPost, "/logout", url.Values{"csrf": {token}}, nil); p.code != http.StatusSeeOther || p.location != "/login" {
		t.Fatalf("sign out: %d %q", p.code, p.location)
	}
	replay := s.browser(t)
	replay.client.Jar.SetCookies(mustURL(s.url), cookies)
	if p := replay.get("/"); p.code != http.StatusSeeOther {
		t.Fatalf("the signed-out session still opens pages: %d", p.code)
	}
}

// A finding the job's gate leaves out (exempt) is shown on the check page
// and does not block: the verdict, recounted live, is success.
func TestGateExemptFindingShownNotBlocking(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	if _, err := s.db.Pool.Exec(ctx, `UPDATE tasks SET result = jsonb_set(result, '{data,findings,0,exempt}', 'true')
		WHERE kind = 'output'`); err != nil {
		t.Fatal(err)
	}
	b := s.browser(t)
	b.login()
	check := b.get("/check/" + checkID)
	if check.code != 200 || !strings.Contains(check.body, `v-success">success<`) || !strings.Contains(check.body, "gitleaks: 1 findings, 0 blocking") ||
		!strings.Contains(check.body, fmt.Sprintf(`href="/finding/%d"`, s.finding)) || strings.Contains(check.body, "<strong>blocks</strong>") {
		t.Fatalf("check page with the finding exempt: %d\n%s", check.code, check.body)
	}
}

func TestUnknownThingsAreNotFound(t *testing.T) {
	s := newSite(t)
	b := s.browser(t)
	b.login()
	for _, path := range []string{"/check/secbot_nope", "/finding/999999", "/product/999999"} {
		if p := b.get(path); p.code != http.StatusNotFound || !strings.Contains(p.body, "Back to the dashboard") {
			t.Fatalf("%s: %d", path, p.code)
		}
	}
}

func mustURL(s string) *url.URL {
	u, _ := url.Parse(s)
	return u
}

func TestProductPagesAndDuplicates(t *testing.T) {
	s := newSite(t)
	svc := findings.NewService(s.db.Pool, findings.WithPasswordCost(bcrypt.MinCost))
	list := fixture(t, "Bandit Scan", "bandit/many_vulns.json")
	o := findings.ImportOptions{ScanType: "Bandit Scan", Target: findings.Target{ProductTypeName: "gitlab.example.com",
		ProductName: "grp/app", EngagementName: "later", AutoCreateContext: true}}
	first, err := svc.Import(ctx, o, list[:30])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Import(ctx, o, list[:1]); err != nil { // found again: a duplicate
		t.Fatal(err)
	}
	b := s.browser(t)
	b.login()
	base := fmt.Sprintf("/product/%d?scanner=Bandit+Scan&status=open", first.Product)
	open := s.db.Count(t, `SELECT count(*) FROM findings f JOIN tests t ON t.id = f.test
		WHERE f.product = $1 AND t.scan_type = 'Bandit Scan' AND f.active AND NOT f.duplicate`, first.Product)
	if open <= 25 || open > 50 {
		t.Fatalf("%d open Bandit findings: the test wants two pages", open)
	}
	one := b.get(base)
	if !strings.Contains(one.body, fmt.Sprintf("%d findings, page 1 of 2.", open)) || !strings.Contains(one.body, `rel="next"`) || strings.Contains(one.body, `rel="prev"`) {
		t.Fatalf("page 1 of the open Bandit findings:\n%s", one.body)
	}
	two := b.get(base + "&page=2")
	if !strings.Contains(two.body, "page 2 of 2.") || strings.Contains(two.body, `rel="next"`) || !strings.Contains(two.body, `rel="prev"`) {
		t.Fatalf("page 2:\n%s", two.body)
	}
	if rows := strings.Count(one.body, `<tr>`) - 1; rows != 25 {
		t.Fatalf("page 1 lists %d findings, want 25", rows)
	}
	original := s.db.Count(t, "SELECT min(id) FROM findings WHERE test = $1", first.Test)
	dup := s.db.Count(t, "SELECT id FROM findings WHERE duplicate_finding = $1", original)
	if page := b.get(fmt.Sprintf("/finding/%d", original)); !strings.Contains(page.body, fmt.Sprintf(`<a href="/finding/%d">finding %d</a>`, dup, dup)) {
		t.Fatalf("the original does not list its duplicate %d:\n%s", dup, page.body)
	}
	if page := b.get(fmt.Sprintf("/finding/%d", dup)); !strings.Contains(page.body, fmt.Sprintf(`duplicate of <a href="/finding/%d">`, original)) ||
		!strings.Contains(page.body, "<strong>Duplicate</strong>") {
		t.Fatalf("the duplicate does not point at its original %d:\n%s", original, page.body)
	}
	if page := b.get(base + "&q=" + url.QueryEscape(list[0].FilePath)); !strings.Contains(page.body, list[0].Title) {
		t.Fatalf("searching for %q:\n%s", list[0].FilePath, page.body)
	}
}

// TestProductPageShowsChanges checks that what the API changes on a
// product, its engagements and tests is listed on the product's page:
// who, and each field from what to what.
func TestProductPageShowsChanges(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	svc := findings.NewService(s.db.Pool, findings.WithPasswordCost(bcrypt.MinCost))
	admin := findings.User{ID: s.db.Count(t, `SELECT id FROM dd_users WHERE username = 'admin'`), IsSuperuser: true}
	pt, err := svc.CreateObject(ctx, "product_types", admin, findings.Values{"name": "web"})
	if err != nil {
		t.Fatal(err)
	}
	var ids struct{ ID int }
	_ = json.Unmarshal(pt, &ids)
	prod, err := svc.CreateObject(ctx, "products", admin, findings.Values{"name": "shop", "description": "d", "prod_type": strconv.Itoa(ids.ID)})
	if err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal(prod, &ids)
	product := ids.ID
	eng, err := svc.CreateObject(ctx, "engagements", admin, findings.Values{"name": "ci", "product": strconv.Itoa(product),
		"target_start": "2024-01-01", "target_end": "2024-12-31"})
	if err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal(eng, &ids)
	if _, err := svc.ChangeObject(ctx, "engagements", ids.ID, admin, findings.Values{"build_id": "7"}, true); err != nil {
		t.Fatal(err)
	}
	b := s.browser(t)
	b.login()
	page := b.get(fmt.Sprintf("/product/%d", product))
	for _, want := range []string{
		`<strong>admin</strong> created the product &#34;shop&#34;.`,
		fmt.Sprintf(`<strong>admin</strong> created engagement %d &#34;ci&#34;.`, ids.ID),
		fmt.Sprintf(`<strong>admin</strong> changed engagement %d: build_id from &#34;&#34; to &#34;7&#34;.`, ids.ID),
	} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the product page lacks %s:\n%s", want, page.body)
		}
	}
}
