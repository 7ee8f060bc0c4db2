package web_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/secbot/secbot/internal/findings"
)

// The dashboard's push protection section lists the hook's reports of the
// projects whose product the user sees: a Reader of grp/app sees its
// refusal and not another project's bypass; the admin sees both.
func TestDashboardShowsPushProtection(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	for _, row := range [][]any{
		{"refused", "secrets", "grp/app", "dev", `[{"commit":"` + strings.Repeat("c", 40) + `","file":"config/app.env","line":2,"rule":"gitlab-pat","secret_hash":"` + strings.Repeat("d", 64) + `"}]`},
		{"bypassed", "commit_message", "other/hidden", "intruder", `[]`},
	} {
		if _, err := s.db.Pool.Exec(ctx, `INSERT INTO push_protection_events (kind, reason, project, username, refs, commits, findings)
			VALUES ($1, $2, $3, $4, '{refs/heads/main}', 1, $5)`, row...); err != nil {
			t.Fatal(err)
		}
	}
	svc := findings.NewService(s.db.Pool, findings.WithPasswordCost(bcrypt.MinCost))
	admin := findings.User{ID: s.db.Count(t, `SELECT id FROM dd_users WHERE username = 'admin'`), IsSuperuser: true}
	raw, err := svc.CreateObject(ctx, "users", admin, findings.Values{"username": "reader", "password": "reader's password"})
	if err != nil {
		t.Fatal(err)
	}
	var reader struct{ ID int }
	_ = json.Unmarshal(raw, &reader)
	if _, err := svc.CreateObject(ctx, "product_members", admin, findings.Values{"product": strconv.Itoa(s.product),
		"user": strconv.Itoa(reader.ID), "role": strconv.Itoa(findings.RoleReader)}); err != nil {
		t.Fatal(err)
	}

	b := s.browser(t)
	if p := b.signIn("reader", "reader's password", nil); p.code != http.StatusSeeOther {
		t.Fatalf("sign in: %d %s", p.code, p.body)
	}
	dash := b.get("/").body
	for _, want := range []string{`id="push-h"`, "push-refused", "config/app.env:2 gitlab-pat", "cccccccccc", "refs/heads/main"} {
		if !strings.Contains(dash, want) {
			t.Errorf("the Reader's dashboard lacks %q", want)
		}
	}
	if strings.Contains(dash, "other/hidden") || strings.Contains(dash, "intruder") {
		t.Fatal("the Reader sees another project's report")
	}
	b = s.browser(t)
	if p := b.signIn("admin", password, nil); p.code != http.StatusSeeOther {
		t.Fatalf("sign in: %d %s", p.code, p.body)
	}
	if dash := b.get("/").body; !strings.Contains(dash, "other/hidden") || !strings.Contains(dash, "commit_message") {
		t.Fatal("the admin's dashboard lacks the bypass")
	}
}
