package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
)

// team is the permissions test's world: two products in two product
// types, a finding in each, and one user for each way of holding a role.
type team struct {
	s               *server
	typeA, productA int
	productB        int
	findingA        int
	findingB        int
	tokens          map[string]string
	userIDs         map[string]int
}

func newTeam(t *testing.T) *team {
	s := newServer(t)
	tm := &team{s: s, tokens: map[string]string{}, userIDs: map[string]int{}}
	for _, p := range []struct{ productType, product string }{{"team-a", "app-a"}, {"team-b", "app-b"}} {
		fields := map[string]string{"scan_type": "Gitleaks Scan", "product_type_name": p.productType, "product_name": p.product,
			"engagement_name": "CI", "auto_create_context": "true"}
		if code, body := s.upload(t, "/api/v2/import-scan/", "Token "+token, fields, report(t, "gitleaks/data_one.json", "g.json"), "g.json"); code != 201 {
			t.Fatalf("import into %s: %d %s", p.product, code, body)
		}
	}
	tm.typeA = s.db.Count(t, `SELECT id FROM product_types WHERE name = 'team-a'`)
	tm.productA = s.db.Count(t, `SELECT id FROM products WHERE name = 'app-a'`)
	tm.productB = s.db.Count(t, `SELECT id FROM products WHERE name = 'app-b'`)
	tm.findingA = s.db.Count(t, `SELECT min(id) FROM findings WHERE product = $1`, tm.productA)
	tm.findingB = s.db.Count(t, `SELECT min(id) FROM findings WHERE product = $1`, tm.productB)
	member := func(name, kind string, role int) {
		u := s.must(t, 201, "POST", "/api/v2/users/", fmt.Sprintf(`{"username": %q, "password": "pw of %s"}`, name, name))
		tm.userIDs[name] = id(u)
		switch kind {
		case "product":
			s.must(t, 201, "POST", "/api/v2/product_members/", fmt.Sprintf(`{"product": %d, "user": %d, "role": %d}`, tm.productA, id(u), role))
		case "product type":
			s.must(t, 201, "POST", "/api/v2/product_type_members/", fmt.Sprintf(`{"product_type": %d, "user": %d, "role": %d}`, tm.typeA, id(u), role))
		case "global":
			s.must(t, 201, "POST", "/api/v2/global_roles/", fmt.Sprintf(`{"user": %d, "role": %d}`, id(u), role))
		}
		code, raw := s.send(t, "POST", "/api/v2/api-token-auth/", "", "application/json", fmt.Sprintf(`{"username": %q, "password": "pw of %s"}`, name, name))
		var tok struct{ Token string }
		if code != 200 || json.Unmarshal(raw, &tok) != nil {
			t.Fatalf("token of %s: %d %s", name, code, raw)
		}
		tm.tokens[name] = tok.Token
	}
	member("reader", "product", 5)
	member("importer", "product", 1)
	member("writer", "product", 2)
	member("maintainer", "product type", 3)
	member("owner", "product", 4)
	member("global-reader", "global", 5)
	member("nobody", "", 0)
	member("inactive", "product", 2)
	s.must(t, 200, "PATCH", fmt.Sprintf("/api/v2/users/%d/", tm.userIDs["inactive"]), `{"is_active": false}`)
	member("expired", "product", 2)
	s.db.Exec(t, `UPDATE dd_tokens SET expires = now() - interval '1 minute' WHERE user_id = $1`, tm.userIDs["expired"])
	tm.tokens["admin"] = token
	return tm
}

// TestWhoMayDoWhat is the permissions table: each role (and no role, an
// inactive user, an expired token, a wrong token) against what DefectDojo 2.x lets it do,
// on its own product and on another team's.
func TestWhoMayDoWhat(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	s := tm.s
	fa, fb := fmt.Sprintf("/api/v2/findings/%d/", tm.findingA), fmt.Sprintf("/api/v2/findings/%d/", tm.findingB)
	importInto := func(key, product string) int {
		fields := map[string]string{"scan_type": "Gitleaks Scan", "product_name": product, "engagement_name": "CI"}
		code, _ := s.upload(t, "/api/v2/import-scan/", "Token "+key, fields, report(t, "gitleaks/data_one.json", "g.json"), "g.json")
		return code
	}
	users := []string{"admin", "owner", "maintainer", "writer", "importer", "reader", "global-reader", "nobody", "inactive", "expired"}
	type op struct {
		name string
		do   func(key string) int
		want []int // per user, in users' order
	}
	req := func(method, path, body string) func(string) int {
		return func(key string) int { code, _ := s.send(t, method, path, key, "application/json", body); return code }
	}
	addMember := func(role int) func(string) int {
		return func(key string) int {
			u := s.must(t, 201, "POST", "/api/v2/users/", fmt.Sprintf(`{"username": "member-%d-%s"}`, role, key[:8]))
			code, _ := s.send(t, "POST", "/api/v2/product_members/", key, "application/json",
				fmt.Sprintf(`{"product": %d, "user": %d, "role": %d}`, tm.productA, id(u), role))
			return code
		}
	}
	ops := []op{
		{"read a finding of the product", req("GET", fa, ""), []int{200, 200, 200, 200, 200, 200, 200, 404, 403, 403}},
		{"read another team's finding", req("GET", fb, ""), []int{200, 404, 404, 404, 404, 404, 200, 404, 403, 403}},
		{"triage a finding of the product", req("PATCH", fa, `{"verified": true}`), []int{200, 200, 200, 200, 403, 403, 403, 404, 403, 403}},
		{"triage another team's finding", req("PATCH", fb, `{"false_p": true}`), []int{200, 404, 404, 404, 404, 404, 403, 404, 403, 403}},
		{"note a finding of the product", req("POST", fa+"notes/", `{"entry": "seen"}`), []int{201, 201, 201, 201, 403, 403, 403, 404, 403, 403}},
		{"read the product", req("GET", fmt.Sprintf("/api/v2/products/%d/", tm.productA), ""), []int{200, 200, 200, 200, 200, 200, 200, 404, 403, 403}},
		{"change the product", req("PATCH", fmt.Sprintf("/api/v2/products/%d/", tm.productA), `{"description": "x"}`),
			[]int{200, 200, 200, 403, 403, 403, 403, 404, 403, 403}},
		{"change the product type", req("PATCH", fmt.Sprintf("/api/v2/product_types/%d/", tm.typeA), `{"description": "x"}`),
			[]int{200, 403, 200, 403, 403, 403, 403, 404, 403, 403}},
		{"add a product to the product type", func(key string) int {
			code, _ := s.send(t, "POST", "/api/v2/products/", key, "application/json",
				fmt.Sprintf(`{"name": "new-%s", "description": "d", "prod_type": %d}`, key[:6], tm.typeA))
			return code
		}, []int{201, 403, 201, 403, 403, 403, 403, 400, 403, 403}},
		{"create a product type", func(key string) int {
			code, _ := s.send(t, "POST", "/api/v2/product_types/", key, "application/json", fmt.Sprintf(`{"name": "pt-%s"}`, key[:6]))
			return code
		}, []int{201, 403, 403, 403, 403, 403, 403, 403, 403, 403}},
		{"import into the product", func(key string) int { return importInto(key, "app-a") }, []int{201, 201, 201, 201, 201, 403, 403, 400, 403, 403}},
		{"import into another team's product", func(key string) int { return importInto(key, "app-b") }, []int{201, 400, 400, 400, 400, 400, 403, 400, 403, 403}},
		{"list users", req("GET", "/api/v2/users/", ""), []int{200, 403, 403, 403, 403, 403, 403, 403, 403, 403}},
		// Members: a Maintainer adds them; only an Owner makes an Owner.
		{"add a Reader to the product", addMember(5), []int{201, 201, 201, 403, 403, 403, 403, 400, 403, 403}},
		{"make someone an Owner of the product", addMember(4), []int{201, 201, 403, 403, 403, 403, 403, 400, 403, 403}},
		{"raise oneself to Owner of the product (or its type)", func(key string) int {
			var self int
			for name, k := range tm.tokens {
				if k == key {
					self = tm.userIDs[name]
				}
			}
			if self == 0 {
				return 0 // the admin, a superuser with no membership
			}
			for _, in := range []struct {
				kind, field string
				id          int
			}{{"product_members", "product", tm.productA}, {"product_type_members", "product_type", tm.typeA}} {
				members := s.must(t, 200, "GET", fmt.Sprintf("/api/v2/%s/?%s=%d&user=%d", in.kind, in.field, in.id, self), "")
				if results, _ := members["results"].([]any); len(results) > 0 {
					code, _ := s.send(t, "PATCH", fmt.Sprintf("/api/v2/%s/%d/", in.kind, id(results[0].(map[string]any))), key, "application/json", `{"role": 4}`)
					return code
				}
			}
			return 0 // no membership to raise
		}, []int{0, 200, 403, 403, 403, 403, 0, 0, 403, 403}},
	}
	for _, o := range ops {
		for i, u := range users {
			if got := o.do(tm.tokens[u]); got != o.want[i] {
				t.Errorf("%s as %s: %d, want %d", o.name, u, got, o.want[i])
			}
		}
	}

	// Lists hold what the caller may see.
	for u, want := range map[string]float64{"admin": 2, "reader": 1, "importer": 1, "maintainer": 1, "global-reader": 2, "nobody": 0} {
		code, raw := s.send(t, "GET", "/api/v2/products/", tm.tokens[u], "", "")
		var page struct{ Count float64 }
		if code != 200 || json.Unmarshal(raw, &page) != nil || page.Count < want || (u != "admin" && u != "global-reader" && u != "maintainer" && page.Count != want) {
			t.Errorf("products %s sees: %d %s, want %v", u, code, raw, want)
		}
		code, raw = s.send(t, "GET", fmt.Sprintf("/api/v2/findings/?test__engagement__product=%d", tm.productB), tm.tokens[u], "", "")
		var findings struct{ Count float64 }
		if code != 200 || json.Unmarshal(raw, &findings) != nil {
			t.Fatalf("findings as %s: %d %s", u, code, raw)
		}
		if sees := u == "admin" || u == "global-reader"; (findings.Count > 0) != sees {
			t.Errorf("%s sees %v findings of another team's product, want some: %v", u, findings.Count, sees)
		}
	}
	// The profile shows the caller's own roles.
	var profile struct {
		GlobalRole        *struct{ Role int } `json:"global_role"`
		ProductTypeMember []struct {
			ProductType int `json:"product_type"`
			Role        int
		} `json:"product_type_member"`
		ProductMember []struct{ Product, Role int } `json:"product_member"`
	}
	for u, check := range map[string]func() bool{
		"maintainer": func() bool {
			return profile.GlobalRole == nil && len(profile.ProductTypeMember) == 1 && profile.ProductTypeMember[0].Role == 3 &&
				profile.ProductTypeMember[0].ProductType == tm.typeA && len(profile.ProductMember) == 0
		},
		"global-reader": func() bool { return profile.GlobalRole != nil && profile.GlobalRole.Role == 5 },
		"importer":      func() bool { return len(profile.ProductMember) == 1 && profile.ProductMember[0].Role == 1 },
	} {
		profile.GlobalRole, profile.ProductTypeMember, profile.ProductMember = nil, nil, nil
		code, raw := s.send(t, "GET", "/api/v2/user_profile/", tm.tokens[u], "", "")
		if code != 200 || json.Unmarshal(raw, &profile) != nil || !check() {
			t.Errorf("%s's profile: %d %s", u, code, raw)
		}
	}
	if code, _ := s.send(t, http.MethodGet, "/api/v2/findings/", "0000000000000000000000000000000000000000", "", ""); code != 403 {
		t.Errorf("a wrong token: %d, want 403", code)
	}
}

// TestAuditCase is the audit's finding: a token of another team, or a
// Reader's, cannot turn a team's failing gate green by marking its
// finding a false positive; the team's own Writer can.
func TestAuditCase(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	path := fmt.Sprintf("/api/v2/findings/%d/", tm.findingB)
	for _, u := range []string{"reader", "importer", "writer", "owner", "nobody"} {
		if code, _ := tm.s.send(t, "PATCH", path, tm.tokens[u], "application/json", `{"false_p": true}`); code != 404 {
			t.Errorf("%s of team A marking team B's finding a false positive: %d, want 404", u, code)
		}
	}
	if active := tm.s.db.Count(t, `SELECT count(*) FROM findings WHERE id = $1 AND active AND NOT false_p`, tm.findingB); active != 1 {
		t.Fatal("team B's finding was changed by team A's tokens")
	}
	mine := fmt.Sprintf("/api/v2/findings/%d/", tm.findingA)
	if code, _ := tm.s.send(t, "PATCH", mine, tm.tokens["reader"], "application/json", `{"false_p": true}`); code != 403 {
		t.Errorf("a Reader marking its own product's finding a false positive: %d, want 403", code)
	}
	if code, _ := tm.s.send(t, "PATCH", mine, tm.tokens["writer"], "application/json", `{"false_p": true}`); code != 200 {
		t.Errorf("the product's Writer marking a false positive: %d, want 200", code)
	}
}
