package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/secbot/secbot/internal/findings"
)

// The history scans page is for superusers: the admin sees the
// dashboard's button, starts a scan from the form (a form naming no
// configured instance comes back with the problem), follows it and
// cancels it; a user who is not a superuser sees no button and is refused
// the page and its forms.
func TestHistoryScansPageIsForSuperusers(t *testing.T) {
	t.Parallel()
	s := newSite(t, "GITLAB_CONFIGS", `[{"host":"https://gitlab.example.com","webhook_secret_token":"w","auth_token":"t","prefix":"p"}]`)
	svc := findings.NewService(s.db.Pool, findings.WithPasswordCost(bcrypt.MinCost))
	admin := findings.User{ID: s.db.Count(t, `SELECT id FROM dd_users WHERE username = 'admin'`), IsSuperuser: true}
	if _, err := svc.CreateObject(ctx, "users", admin, findings.Values{"username": "dev", "password": "dev's own password"}); err != nil {
		t.Fatal(err)
	}

	b := s.browser(t)
	b.login()
	dash := b.get("/")
	if !strings.Contains(dash.body, `href="/history-scans"`) {
		t.Errorf("the admin's dashboard has no history scans button")
	}
	form := b.get("/history-scans")
	if form.code != http.StatusOK || !strings.Contains(form.body, `<option value="https://gitlab.example.com"`) {
		t.Fatalf("history scans page: %d\n%s", form.code, form.body)
	}
	token := csrf(t, form.body)
	bad := b.do(http.MethodPost, "/history-scans", url.Values{"csrf": {token}, "instance": {"https://other.example.com"}, "projects": {"a/b\n\n"}}, nil)
	if bad.code != http.StatusBadRequest || !strings.Contains(bad.body, "is not an instance of GITLAB_CONFIGS") || !strings.Contains(bad.body, "a/b") {
		t.Errorf("a form naming another instance: %d\n%s", bad.code, bad.body)
	}
	started := b.do(http.MethodPost, "/history-scans", url.Values{"csrf": {token}, "instance": {"https://gitlab.example.com"},
		"groups": {"platform\n  backend  \n"}, "include_archived": {"on"}}, nil)
	if started.code != http.StatusSeeOther || !strings.HasPrefix(started.location, "/history-scans/") {
		t.Fatalf("starting: %d %q", started.code, started.location)
	}
	var groups []string
	var archived bool
	var by string
	if err := s.db.Pool.QueryRow(ctx, `SELECT groups, include_archived, requested_by FROM history_runs`).Scan(&groups, &archived, &by); err != nil {
		t.Fatal(err)
	}
	if strings.Join(groups, ",") != "platform,backend" || !archived || by != "admin" {
		t.Errorf("recorded groups %q, archived %v, by %q", groups, archived, by)
	}
	run := b.get(started.location)
	if run.code != http.StatusOK || !strings.Contains(run.body, "group platform (with subgroups)") || !strings.Contains(run.body, "Cancel this scan") {
		t.Errorf("the run's page: %d\n%s", run.code, run.body)
	}
	if p := b.do(http.MethodPost, started.location+"/cancel", url.Values{"csrf": {csrf(t, run.body)}}, nil); p.code != http.StatusSeeOther {
		t.Errorf("cancel: %d", p.code)
	}
	if after := b.get(started.location); !strings.Contains(after.body, "cancelled") || strings.Contains(after.body, "Cancel this scan") {
		t.Errorf("after the cancel:\n%s", after.body)
	}

	dev := s.browser(t)
	if p := dev.do(http.MethodPost, "/login", url.Values{"username": {"dev"}, "password": {"dev's own password"}, "next": {"/"}}, nil); p.code != http.StatusSeeOther {
		t.Fatalf("dev's sign-in: %d", p.code)
	}
	if d := dev.get("/"); strings.Contains(d.body, `href="/history-scans"`) {
		t.Errorf("a user who is not a superuser sees the history scans button")
	}
	if p := dev.get("/history-scans"); p.code != http.StatusForbidden {
		t.Errorf("dev's history scans page: %d; want 403", p.code)
	}
	devToken := csrf(t, dev.get("/").body)
	if p := dev.do(http.MethodPost, "/history-scans", url.Values{"csrf": {devToken}, "instance": {"https://gitlab.example.com"}}, nil); p.code != http.StatusForbidden {
		t.Errorf("dev starting a history scan: %d; want 403", p.code)
	}
	if n := s.db.Count(t, `SELECT count(*) FROM history_runs`); n != 1 {
		t.Errorf("%d history scans recorded; want the admin's one", n)
	}
}
