package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var shownKey = regexp.MustCompile(`shown this once: <code class="token">([0-9a-f]{40})</code>`)

// TestNamedTokensOnTheAPIKeyPage makes a named token on the page (its key
// shown once, then never again), uses it, and revokes it there.
func TestNamedTokensOnTheAPIKeyPage(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	b := s.browser(t)
	b.login()
	token := csrf(t, b.get("/api/key-v2").body)
	made := b.do(http.MethodPost, "/api/key-v2", url.Values{"csrf": {token}, "action": {"create"}, "name": {"deploy job"}, "expires": {"2999-01-31"}}, nil)
	m := shownKey.FindStringSubmatch(made.body)
	if made.code != http.StatusOK || m == nil {
		t.Fatalf("making a token: %d\n%s", made.code, made.body)
	}
	key := m[1]
	if code, _, _ := apiCall(t, s.url, http.MethodGet, "/api/v2/user_profile/", key, "", nil); code != http.StatusOK {
		t.Fatalf("the new token: %d", code)
	}
	listed := b.get("/api/key-v2")
	if !strings.Contains(listed.body, "deploy job") || strings.Contains(listed.body, key) {
		t.Fatalf("the page lists the token by name and never its key again:\n%s", listed.body)
	}
	id := regexp.MustCompile(`name="token" value="(\d+)"`).FindStringSubmatch(listed.body)
	if id == nil {
		t.Fatalf("no revoke button:\n%s", listed.body)
	}
	if p := b.do(http.MethodPost, "/api/key-v2", url.Values{"csrf": {token}, "action": {"revoke"}, "token": {id[1]}}, nil); p.code != http.StatusSeeOther {
		t.Fatalf("revoking: %d %s", p.code, p.body)
	}
	if code, _, _ := apiCall(t, s.url, http.MethodGet, "/api/v2/user_profile/", key, "", nil); code != http.StatusForbidden {
		t.Fatalf("a revoked token: %d, want 403", code)
	}
	if p := b.do(http.MethodPost, "/api/key-v2", url.Values{"csrf": {token}, "action": {"create"}, "name": {""}}, nil); p.code != http.StatusBadRequest {
		t.Fatalf("a token without a name: %d, want 400", p.code)
	}
}
