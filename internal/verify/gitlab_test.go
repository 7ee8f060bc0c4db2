package verify_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/secbot/secbot/internal/verify"
	"github.com/secbot/secbot/internal/verify/verifytest"
)

var livePAT = verifytest.GitLabToken{Kind: "personal", ID: 42, UserID: 7, Name: "deploy-bot",
	Scopes: []string{"api", "write_repository"}, ExpiresAt: "2099-12-31"}

// TestGitLabPATVerdict: personal_access_tokens/self gives the token's id,
// owner, scopes and expiry; a revoked or expired token is invalid; a live
// token whose scopes do not reach the API is still valid.
func TestGitLabPATVerdict(t *testing.T) {
	s := newStand(t)
	c := s.checker(10 * time.Second)
	ctx := context.Background()
	pat := "glpat-" + fill(alnum, 20)
	s.g.Add(pat, livePAT)
	v := c.Verify(ctx, verify.Secret{RuleID: "gitlab-pat", Value: pat})
	if v.Validity != verify.Valid || v.TokenID != 42 || v.Owner != "user 7" ||
		!slices.Equal(v.Scopes, livePAT.Scopes) || v.ExpiresAt != "2099-12-31" {
		t.Errorf("live PAT: %+v", v)
	}
	self := s.g.Requests()[0]
	if self.Method != http.MethodGet || self.Target != "/api/v4/personal_access_tokens/self" || self.Header.Get("Private-Token") != pat {
		t.Errorf("the check was %s %s with PRIVATE-TOKEN %q", self.Method, self.Target, self.Header.Get("Private-Token"))
	}

	revoked := "glpat-" + fill(hexa, 20)
	r := livePAT
	r.Revoked = true
	s.g.Add(revoked, r)
	expired := "glpat-" + fill(lower, 20)
	e := livePAT
	e.ExpiresAt = "2001-01-01"
	s.g.Add(expired, e)
	for name, tok := range map[string]string{"revoked": revoked, "expired": expired} {
		if v := c.Verify(ctx, verify.Secret{RuleID: "gitlab-pat", Value: tok}); v.Validity != verify.Invalid || v.Reason != "HTTP 401" {
			t.Errorf("%s PAT: %+v, want invalid (HTTP 401)", name, v)
		}
	}

	narrow := "glpat-" + fill(alnum+"_", 20)
	n := livePAT
	n.Scopes = []string{"read_repository"}
	s.g.Add(narrow, n)
	if v := c.Verify(ctx, verify.Secret{RuleID: "gitlab-pat", Value: narrow}); v.Validity != verify.Valid || !strings.Contains(v.Reason, "scopes") {
		t.Errorf("PAT with read_repository only: %+v, want valid (insufficient_scope means GitLab knew it)", v)
	}
}

// TestGitLabNeedsItsInstance: without the instance's URL nothing is
// checked; without an admin token, the token information API's rules are
// not checked; with a user's token instead of an admin's, they are
// unknown (the refused token is not the found one).
func TestGitLabNeedsItsInstance(t *testing.T) {
	s := newStand(t)
	ctx := context.Background()
	deploy := verify.Secret{RuleID: "gitlab-deploy-token", Value: "gldt-" + fill(alnum, 20)}
	s.g.Add(deploy.Value, verifytest.GitLabToken{Kind: "deploy", ID: 1, Username: "gitlab+deploy-token-1"})
	user := "glpat-" + fill(lower, 20)
	s.g.Add(user, livePAT)

	noURL := verify.New(verify.Options{Client: s.p.Client()})
	if v := noURL.Verify(ctx, verify.Secret{RuleID: "gitlab-pat", Value: user}); v.Validity != verify.NotChecked {
		t.Errorf("no GitLab URL: %+v, want not_checked", v)
	}
	noAdmin := verify.New(verify.Options{GitLabURL: s.gitlab, Client: s.p.Client()})
	if v := noAdmin.Verify(ctx, deploy); v.Validity != verify.NotChecked || !strings.Contains(v.Reason, "auth_token") {
		t.Errorf("no admin token: %+v, want not_checked naming auth_token", v)
	}
	if n := len(s.g.Requests()); n != 0 {
		t.Errorf("%d requests sent for checks that cannot be made", n)
	}
	notAdmin := verify.New(verify.Options{GitLabURL: s.gitlab, GitLabToken: user, Client: s.p.Client()})
	v := notAdmin.Verify(ctx, deploy)
	if v.Validity != verify.Unknown || !strings.Contains(v.Reason, "HTTP 403") || strings.Contains(v.Reason, user) {
		t.Errorf("a user's token for the admin API: %+v, want unknown (HTTP 403) without the token", v)
	}
	admin := verify.New(verify.Options{GitLabURL: s.gitlab + "/", GitLabToken: adminToken, Client: s.p.Client()})
	if v := admin.Verify(ctx, deploy); v.Validity != verify.Valid || v.Owner != "gitlab+deploy-token-1" {
		t.Errorf("deploy token with the admin token: %+v", v)
	}
}

// TestRevoke: a live PAT is revoked by id with the admin token, checked
// again (now invalid), and GitLab's answer is returned; the found token
// is not sent to revoke it, and neither token is in any answer.
func TestRevoke(t *testing.T) {
	s := newStand(t)
	c := s.checker(10 * time.Second)
	ctx := context.Background()
	pat := verify.Secret{RuleID: "gitlab-pat", Value: "glpat-" + fill(alnum, 20)}
	s.g.Add(pat.Value, livePAT)
	v := c.Verify(ctx, pat)
	if v.Validity != verify.Valid {
		t.Fatalf("verdict %+v", v)
	}
	before := len(s.g.Requests())
	r, err := c.Revoke(ctx, pat, v, adminToken)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != http.StatusNoContent || r.Call != "DELETE /api/v4/personal_access_tokens/42" || r.At.IsZero() {
		t.Errorf("revocation %+v", r)
	}
	if r.After.Validity != verify.Invalid {
		t.Errorf("after revoking: %+v, want invalid", r.After)
	}
	if tok, _ := s.g.Token(pat.Value); !tok.Revoked {
		t.Error("GitLab does not have the token revoked")
	}
	del := s.g.Requests()[before]
	if del.Method != http.MethodDelete || del.Target != "/api/v4/personal_access_tokens/42" ||
		del.Header.Get("Private-Token") != adminToken || del.Contains(pat.Value) {
		t.Errorf("revoke request %+v", del)
	}
	if all := fmt.Sprintf("%+v", r); strings.Contains(all, pat.Value) || strings.Contains(all, adminToken) {
		t.Errorf("the revocation holds a token: %s", all)
	}
}

// TestRevokeByToken: without the token's id, the token information API
// revokes it (DELETE /admin/token with the token in the body).
func TestRevokeByToken(t *testing.T) {
	s := newStand(t)
	c := s.checker(10 * time.Second)
	pat := verify.Secret{RuleID: "gitlab-pat-routable", Value: "glpat-" + fill(alnum, 27) + ".01abcdefg"}
	s.g.Add(pat.Value, livePAT)
	r, err := c.Revoke(context.Background(), pat, verify.Verdict{Validity: verify.Valid}, adminToken)
	if err != nil {
		t.Fatal(err)
	}
	if r.Call != "DELETE /api/v4/admin/token" || r.Status != http.StatusNoContent || r.After.Validity != verify.Invalid {
		t.Errorf("revocation %+v", r)
	}
}

// TestRevokeRefuses: only live GitLab access tokens are revoked, only with
// an admin token, and GitLab's refusal is an error naming the status but
// no token.
func TestRevokeRefuses(t *testing.T) {
	s := newStand(t)
	c := s.checker(10 * time.Second)
	ctx := context.Background()
	pat := verify.Secret{RuleID: "gitlab-pat", Value: "glpat-" + fill(alnum, 20)}
	s.g.Add(pat.Value, livePAT)
	live := c.Verify(ctx, pat)
	for name, tc := range map[string]struct {
		s     verify.Secret
		v     verify.Verdict
		admin string
		want  string
	}{
		"not a GitLab access token": {verify.Secret{RuleID: "github-pat", Value: "ghp_x"}, live, adminToken, "not a GitLab access token"},
		"not live":                  {pat, verify.Verdict{Validity: verify.Unknown}, adminToken, "only a live token"},
		"no admin token":            {pat, live, "", "admin_token"},
		"refused admin token":       {pat, live, "glpat-" + fill(hexa, 20), "HTTP 401"},
	} {
		_, err := c.Revoke(ctx, tc.s, tc.v, tc.admin)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %q", name, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), pat.Value) || (tc.admin != "" && strings.Contains(err.Error(), tc.admin)) {
			t.Errorf("%s: the error holds a token: %v", name, err)
		}
	}
	if tok, _ := s.g.Token(pat.Value); tok.Revoked {
		t.Error("a refused revocation revoked the token")
	}
}

// TestGitLabAdminAPIRevoked: the token information API answers 200 for a
// revoked token too; its revoked field makes the verdict invalid.
func TestGitLabAdminAPIRevoked(t *testing.T) {
	s := newStand(t)
	deploy := verify.Secret{RuleID: "gitlab-deploy-token", Value: "gldt-" + fill(alnum, 20)}
	s.g.Add(deploy.Value, verifytest.GitLabToken{Kind: "deploy", ID: 1, Username: "gitlab+deploy-token-1", Revoked: true})
	v := s.checker(10*time.Second).Verify(context.Background(), deploy)
	if v.Validity != verify.Invalid || v.Reason != "revoked" || v.Owner != "gitlab+deploy-token-1" {
		t.Errorf("revoked deploy token: %+v, want invalid (revoked)", v)
	}
}
