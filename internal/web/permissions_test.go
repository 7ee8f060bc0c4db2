package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/secbot/secbot/internal/findings"
)

// TestPagesShowWhatTheRoleAllows signs in a Reader of one product: the
// dashboard lists that product alone, another team's product and finding
// are not found, and the Reader's own finding shows no triage buttons and
// refuses a triage posted anyway.
func TestPagesShowWhatTheRoleAllows(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	svc := findings.NewService(s.db.Pool, findings.WithPasswordCost(bcrypt.MinCost))
	admin := findings.User{ID: s.db.Count(t, `SELECT id FROM dd_users WHERE username = 'admin'`), IsSuperuser: true}
	list := fixture(t, "Gitleaks Scan", "gitleaks/data_one.json")
	var products [2]int
	for i, name := range []string{"team-a/app", "team-b/app"} {
		o := findings.ImportOptions{ScanType: "Gitleaks Scan", Target: findings.Target{ProductTypeName: name + " type",
			ProductName: name, EngagementName: "CI", AutoCreateContext: true}}
		res, err := svc.Import(ctx, o, list)
		if err != nil {
			t.Fatal(err)
		}
		products[i] = res.Product
	}
	raw, err := svc.CreateObject(ctx, "users", admin, findings.Values{"username": "reader", "password": "reader's password"})
	if err != nil {
		t.Fatal(err)
	}
	var reader struct{ ID int }
	_ = json.Unmarshal(raw, &reader)
	if _, err := svc.CreateObject(ctx, "product_members", admin, findings.Values{"product": strconv.Itoa(products[0]),
		"user": strconv.Itoa(reader.ID), "role": strconv.Itoa(findings.RoleReader)}); err != nil {
		t.Fatal(err)
	}
	mine := s.db.Count(t, `SELECT min(id) FROM findings WHERE product = $1`, products[0])
	theirs := s.db.Count(t, `SELECT min(id) FROM findings WHERE product = $1`, products[1])

	b := s.browser(t)
	if p := b.signIn("reader", "reader's password", nil); p.code != http.StatusSeeOther {
		t.Fatalf("sign in: %d %s", p.code, p.body)
	}
	dash := b.get("/")
	if !strings.Contains(dash.body, "team-a/app") || strings.Contains(dash.body, "team-b/app") {
		t.Fatalf("the Reader's dashboard:\n%s", dash.body)
	}
	for _, path := range []string{fmt.Sprintf("/product/%d", products[1]), fmt.Sprintf("/finding/%d", theirs)} {
		if p := b.get(path); p.code != http.StatusNotFound {
			t.Errorf("%s as another team's Reader: %d, want 404", path, p.code)
		}
	}
	own := b.get(fmt.Sprintf("/finding/%d", mine))
	if own.code != http.StatusOK || strings.Contains(own.body, `value="false_positive"`) {
		t.Fatalf("the Reader's own finding: %d, with triage buttons: %v", own.code, strings.Contains(own.body, `value="false_positive"`))
	}
	token := csrf(t, b.get("/").body)
	p := b.do(http.MethodPost, fmt.Sprintf("/finding/%d/triage", mine), url.Values{"action": {"false_positive"}, "csrf": {token}}, nil)
	if p.code != http.StatusForbidden {
		t.Fatalf("a Reader's triage: %d, want 403", p.code)
	}
	if n := s.db.Count(t, `SELECT count(*) FROM findings WHERE id = $1 AND false_p`, mine); n != 0 {
		t.Fatal("the Reader's triage changed the finding")
	}
}
