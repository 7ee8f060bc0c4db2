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

// TestEveryPageForEveryRole is the pages' permissions table: each page and
// form against each role (and no role), on the user's product and on
// another team's, as the API's TestWhoMayDoWhat is for the API; an
// inactive user cannot sign in at all.
func TestEveryPageForEveryRole(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	svc := findings.NewService(s.db.Pool, findings.WithPasswordCost(bcrypt.MinCost))
	admin := findings.User{ID: s.db.Count(t, `SELECT id FROM dd_users WHERE username = 'admin'`), IsSuperuser: true}
	other, err := svc.Import(ctx, findings.ImportOptions{ScanType: "Gitleaks Scan", Target: findings.Target{ProductTypeName: "other team",
		ProductName: "other/app", EngagementName: "CI", AutoCreateContext: true}}, fixture(t, "Gitleaks Scan", "gitleaks/data_one.json"))
	if err != nil {
		t.Fatal(err)
	}
	typeA := s.db.Count(t, `SELECT prod_type FROM products WHERE id = $1`, s.product)
	theirs := s.db.Count(t, `SELECT min(id) FROM findings WHERE product = $1`, other.Product)
	mk := func(name string) int {
		raw, err := svc.CreateObject(ctx, "users", admin, findings.Values{"username": name, "password": "pw of " + name})
		if err != nil {
			t.Fatal(err)
		}
		var u struct{ ID int }
		_ = json.Unmarshal(raw, &u)
		return u.ID
	}
	grant := func(kind, field string, in, user, role int) {
		vals := findings.Values{"user": strconv.Itoa(user), "role": strconv.Itoa(role)}
		if field != "" {
			vals[field] = strconv.Itoa(in)
		}
		if _, err := svc.CreateObject(ctx, kind, admin, vals); err != nil {
			t.Fatal(err)
		}
	}
	grant("product_members", "product", s.product, mk("owner"), findings.RoleOwner)
	grant("product_type_members", "product_type", typeA, mk("maintainer"), findings.RoleMaintainer)
	grant("product_members", "product", s.product, mk("writer"), findings.RoleWriter)
	grant("product_members", "product", s.product, mk("importer"), findings.RoleAPIImporter)
	grant("product_members", "product", s.product, mk("reader"), findings.RoleReader)
	grant("global_roles", "", 0, mk("global-reader"), findings.RoleReader)
	mk("nobody")
	inactive := mk("inactive")
	grant("product_members", "product", s.product, inactive, findings.RoleWriter)
	if _, err := svc.ChangeObject(ctx, "users", inactive, admin, findings.Values{"is_active": "false"}, true); err != nil {
		t.Fatal(err)
	}
	if p := s.browser(t).signIn("inactive", "pw of inactive", nil); p.code != http.StatusUnauthorized {
		t.Fatalf("an inactive user signs in: %d, want 401", p.code)
	}

	users := []string{"admin", "owner", "maintainer", "writer", "importer", "reader", "global-reader", "nobody"}
	browsers := map[string]*browser{}
	for _, u := range users {
		b := s.browser(t)
		pw := "pw of " + u
		if u == "admin" {
			pw = password
		}
		if p := b.signIn(u, pw, nil); p.code != http.StatusSeeOther {
			t.Fatalf("%s signs in: %d", u, p.code)
		}
		browsers[u] = b
	}
	get := func(path string) func(*browser) int { return func(b *browser) int { return b.get(path).code } }
	post := func(path string, form func() url.Values) func(*browser) int {
		return func(b *browser) int { return b.post("/", path, form()).code }
	}
	fresh := 0
	newMember := func() url.Values {
		fresh++
		name := "member-" + strconv.Itoa(fresh)
		mk(name)
		return url.Values{"action": {"add"}, "username": {name}, "role": {strconv.Itoa(findings.RoleReader)}}
	}
	mine, prodA, prodB := fmt.Sprintf("/finding/%d", s.finding), fmt.Sprintf("/product/%d", s.product), fmt.Sprintf("/product/%d", other.Product)
	pages := []struct {
		name string
		do   func(*browser) int
		want []int // in users' order
	}{
		{"dashboard", get("/"), []int{200, 200, 200, 200, 200, 200, 200, 200}},
		{"own product", get(prodA), []int{200, 200, 200, 200, 200, 200, 200, 404}},
		{"another team's product", get(prodB), []int{200, 404, 404, 404, 404, 404, 200, 404}},
		{"own finding", get(mine), []int{200, 200, 200, 200, 200, 200, 200, 404}},
		{"another team's finding", get(fmt.Sprintf("/finding/%d", theirs)), []int{200, 404, 404, 404, 404, 404, 200, 404}},
		{"own product type", get(fmt.Sprintf("/product-type/%d", typeA)), []int{200, 200, 200, 200, 200, 200, 200, 404}},
		{"users", get("/users"), []int{200, 403, 403, 403, 403, 403, 403, 403}},
		{"API key", get("/api/key-v2"), []int{200, 200, 200, 200, 200, 200, 200, 200}},
		{"triage own finding", post(mine+"/triage", func() url.Values { return url.Values{"action": {"reopen"}} }),
			[]int{303, 303, 303, 303, 403, 403, 403, 404}},
		{"triage another team's", post(fmt.Sprintf("/finding/%d/triage", theirs), func() url.Values { return url.Values{"action": {"reopen"}} }),
			[]int{303, 404, 404, 404, 404, 404, 403, 404}},
		{"add a member to own product", post(prodA+"/members", newMember), []int{303, 303, 303, 403, 403, 403, 403, 404}},
		{"add a member to another team's", post(prodB+"/members", newMember), []int{303, 404, 404, 404, 404, 404, 403, 404}},
		{"add a member to own product type", post(fmt.Sprintf("/product-type/%d/members", typeA), newMember), []int{303, 403, 303, 403, 403, 403, 403, 404}},
		{"create a user", post("/users", func() url.Values {
			fresh++
			return url.Values{"action": {"create"}, "username": {"made-" + strconv.Itoa(fresh)}}
		}), []int{303, 403, 403, 403, 403, 403, 403, 403}},
	}
	for _, pg := range pages {
		for i, u := range users {
			if got := pg.do(browsers[u]); got != pg.want[i] {
				t.Errorf("%s as %s: %d, want %d", pg.name, u, got, pg.want[i])
			}
		}
	}
}
