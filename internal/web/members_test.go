package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/findings"
)

// post sends a form of a page with the session's CSRF token, read from
// the page at from.
func (b *browser) post(from, path string, form url.Values) page {
	b.t.Helper()
	form.Set("csrf", csrf(b.t, b.get(from).body))
	return b.do(http.MethodPost, path, form, nil)
}

// TestSuperuserManagesUsersOnThePage creates a user on the users page,
// gives them a global role, deactivates them (they can no longer sign
// in) and reactivates them; the page is the superusers' only, and a
// superuser cannot deactivate themselves.
func TestSuperuserManagesUsersOnThePage(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	admin := s.browser(t)
	admin.login()
	if p := admin.get("/"); !strings.Contains(p.body, `href="/users"`) {
		t.Fatal("the admin's menu has no Users link")
	}
	if p := admin.post("/users", "/users", url.Values{"action": {"create"}, "username": {"alice"}, "password": {"alice's password"}, "email": {"a@example.com"}}); p.code != http.StatusSeeOther {
		t.Fatalf("create: %d %s", p.code, p.body)
	}
	alice := s.db.Count(t, `SELECT id FROM dd_users WHERE username = 'alice' AND NOT is_superuser AND is_active`)
	if p := admin.get("/users"); p.code != http.StatusOK || !strings.Contains(p.body, "a@example.com") {
		t.Fatalf("the users page: %d %s", p.code, p.body)
	}
	if p := admin.post("/users", "/users", url.Values{"action": {"create"}, "username": {"alice"}}); p.code != http.StatusBadRequest || !strings.Contains(p.body, "username") {
		t.Errorf("a second alice: %d, want 400 naming the username", p.code)
	}
	setRole := func(role string) {
		t.Helper()
		if p := admin.post("/users", "/users", url.Values{"action": {"global_role"}, "user": {strconv.Itoa(alice)}, "role": {role}}); p.code != http.StatusSeeOther {
			t.Fatalf("global role %q: %d %s", role, p.code, p.body)
		}
	}
	setRole(strconv.Itoa(findings.RoleReader))
	setRole(strconv.Itoa(findings.RoleWriter))
	if n := s.db.Count(t, `SELECT count(*) FROM global_roles WHERE user_id = $1 AND role = $2`, alice, findings.RoleWriter); n != 1 {
		t.Fatalf("alice's global role rows with Writer: %d", n)
	}
	a := s.browser(t)
	if p := a.signIn("alice", "alice's password", nil); p.code != http.StatusSeeOther {
		t.Fatalf("alice signs in: %d", p.code)
	}
	// A global Writer sees every product, and not the users page.
	if p := a.get(fmt.Sprintf("/product/%d", s.product)); p.code != http.StatusOK {
		t.Errorf("alice's product page: %d", p.code)
	}
	if p := a.get("/users"); p.code != http.StatusForbidden || strings.Contains(p.body, "a@example.com") {
		t.Errorf("the users page as alice: %d, want 403", p.code)
	}
	if p := a.post("/", "/users", url.Values{"action": {"create"}, "username": {"mallory"}, "superuser": {"on"}}); p.code != http.StatusForbidden {
		t.Errorf("alice creating a superuser: %d, want 403", p.code)
	}
	setRole("")
	if n := s.db.Count(t, `SELECT count(*) FROM global_roles WHERE user_id = $1`, alice); n != 0 {
		t.Fatal("the global role was not taken away")
	}
	if p := admin.post("/users", "/users", url.Values{"action": {"deactivate"}, "user": {strconv.Itoa(alice)}}); p.code != http.StatusSeeOther {
		t.Fatalf("deactivate: %d %s", p.code, p.body)
	}
	if p := s.browser(t).signIn("alice", "alice's password", nil); p.code != http.StatusUnauthorized {
		t.Errorf("an inactive alice signs in: %d, want 401", p.code)
	}
	if p := a.get("/"); p.code == http.StatusOK {
		t.Error("alice's session outlived her deactivation")
	}
	if p := admin.post("/users", "/users", url.Values{"action": {"activate"}, "user": {strconv.Itoa(alice)}}); p.code != http.StatusSeeOther {
		t.Fatalf("activate: %d %s", p.code, p.body)
	}
	if p := s.browser(t).signIn("alice", "alice's password", nil); p.code != http.StatusSeeOther {
		t.Errorf("a reactivated alice signs in: %d", p.code)
	}
	self := s.db.Count(t, `SELECT id FROM dd_users WHERE username = 'admin'`)
	if p := admin.post("/users", "/users", url.Values{"action": {"deactivate"}, "user": {strconv.Itoa(self)}}); p.code != http.StatusBadRequest {
		t.Errorf("the admin deactivating themselves: %d, want 400", p.code)
	}
}

// TestMaintainerManagesMembersOnTheProductPage: the admin makes bob a
// Maintainer of the product on its page; bob adds and removes a Writer,
// is offered no Owner role and is refused one when he posts it anyway,
// also for himself; a Reader sees the members and no form.
func TestMaintainerManagesMembersOnTheProductPage(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	svc := findings.NewService(s.db.Pool)
	admin := s.browser(t)
	admin.login()
	for _, name := range []string{"bob", "carol", "dave"} {
		if p := admin.post("/users", "/users", url.Values{"action": {"create"}, "username": {name}, "password": {name + "'s password"}}); p.code != http.StatusSeeOther {
			t.Fatalf("create %s: %d %s", name, p.code, p.body)
		}
	}
	prodPage := fmt.Sprintf("/product/%d", s.product)
	members := prodPage + "/members"
	add := func(b *browser, name string, role int) page {
		return b.post(prodPage, members, url.Values{"action": {"add"}, "username": {name}, "role": {strconv.Itoa(role)}})
	}
	if p := add(admin, "bob", findings.RoleMaintainer); p.code != http.StatusSeeOther {
		t.Fatalf("the admin adds bob: %d %s", p.code, p.body)
	}
	if p := add(admin, "nobody-of-that-name", findings.RoleReader); p.code != http.StatusBadRequest || !strings.Contains(p.body, "no active user") {
		t.Errorf("adding an unknown user: %d %s", p.code, p.body)
	}
	bob := s.browser(t)
	if p := bob.signIn("bob", "bob's password", nil); p.code != http.StatusSeeOther {
		t.Fatal("bob signs in")
	}
	page := bob.get(prodPage)
	if page.code != http.StatusOK || !strings.Contains(page.body, "Add member") || strings.Contains(page.body, ">Owner</option>") {
		t.Fatalf("bob's product page: %d, add form %v, Owner offered %v", page.code, strings.Contains(page.body, "Add member"), strings.Contains(page.body, ">Owner</option>"))
	}
	if p := add(bob, "carol", findings.RoleWriter); p.code != http.StatusSeeOther {
		t.Fatalf("bob adds carol: %d %s", p.code, p.body)
	}
	if p := add(bob, "dave", findings.RoleOwner); p.code != http.StatusForbidden {
		t.Errorf("bob makes dave an Owner: %d, want 403", p.code)
	}
	list, err := svc.Members(ctx, findings.User{ID: 1, IsSuperuser: true}, "product_members", s.product)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int{}
	for _, m := range list {
		ids[m.Username] = m.ID
	}
	if len(list) != 2 || ids["bob"] == 0 || ids["carol"] == 0 {
		t.Fatalf("members after bob's changes: %+v", list)
	}
	if p := bob.post(prodPage, members, url.Values{"action": {"change"}, "member": {strconv.Itoa(ids["bob"])}, "role": {strconv.Itoa(findings.RoleOwner)}}); p.code != http.StatusForbidden {
		t.Errorf("bob raises himself to Owner: %d, want 403", p.code)
	}
	if n := s.db.Count(t, `SELECT count(*) FROM product_members WHERE role = $1`, findings.RoleOwner); n != 0 {
		t.Fatal("a Maintainer made an Owner")
	}
	c := s.browser(t)
	if p := c.signIn("carol", "carol's password", nil); p.code != http.StatusSeeOther {
		t.Fatal("carol signs in")
	}
	if p := c.get(prodPage); p.code != http.StatusOK || !strings.Contains(p.body, "bob") || strings.Contains(p.body, "Add member") {
		t.Errorf("a Writer's product page: %d, lists bob %v, add form %v", p.code, strings.Contains(p.body, "bob"), strings.Contains(p.body, "Add member"))
	}
	if p := add(c, "dave", findings.RoleReader); p.code != http.StatusForbidden {
		t.Errorf("a Writer adding a member: %d, want 403", p.code)
	}
	if p := bob.post(prodPage, members, url.Values{"action": {"remove"}, "member": {strconv.Itoa(ids["carol"])}}); p.code != http.StatusSeeOther {
		t.Fatalf("bob removes carol: %d %s", p.code, p.body)
	}
	if p := c.get(prodPage); p.code != http.StatusNotFound {
		t.Errorf("carol's product page once removed: %d, want 404", p.code)
	}
	// The product type's page: the admin makes dave a Reader of the type,
	// and dave sees the type's product through it.
	typePage := fmt.Sprintf("/product-type/%d", s.db.Count(t, `SELECT prod_type FROM products WHERE id = $1`, s.product))
	if p := admin.post(typePage, typePage+"/members", url.Values{"action": {"add"}, "username": {"dave"}, "role": {strconv.Itoa(findings.RoleReader)}}); p.code != http.StatusSeeOther {
		t.Fatalf("the admin adds dave to the type: %d %s", p.code, p.body)
	}
	d := s.browser(t)
	if p := d.signIn("dave", "dave's password", nil); p.code != http.StatusSeeOther {
		t.Fatal("dave signs in")
	}
	if p := d.get(typePage); p.code != http.StatusOK || !strings.Contains(p.body, "grp/app") || strings.Contains(p.body, "Add member") {
		t.Errorf("dave's product type page: %d %s", p.code, p.body)
	}
	if p := c.get(typePage); p.code != http.StatusNotFound {
		t.Errorf("the type's page for carol, who has no role: %d, want 404", p.code)
	}
}
