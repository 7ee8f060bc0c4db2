package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// Audit item 9: a client that is not a configured proxy cannot set the
// host, scheme or address SecBot believes with X-Forwarded-* headers.
func TestForwardedHeadersFromAnyoneAreIgnored(t *testing.T) {
	t.Parallel()
	s := newSite(t, "SECBOT_LOGIN_ADDRESS_ATTEMPTS", "2", "SECBOT_LOGIN_BACKOFF", "1h")
	forged := map[string]string{"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}
	_, _, out := apiCall(t, s.url, http.MethodGet, "/api/v2/findings/?limit=1&offset=0", adminToken, "", forged)
	_, _, more := apiCall(t, s.url, http.MethodGet, "/api/v2/findings/?limit=1&offset=1", adminToken, "", forged)
	if prev, _ := more["previous"].(string); !strings.HasPrefix(prev, s.url+"/api/v2/findings/?") {
		t.Fatalf("with a forged X-Forwarded-Host the previous page is %q (next %v), want it on %s", prev, out["next"], s.url)
	}
	b := s.browser(t)
	p := b.signIn("admin", password, map[string]string{"Origin": "https://evil.example", "X-Forwarded-Host": "evil.example"})
	if p.code != http.StatusForbidden {
		t.Fatalf("a sign-in from another site with a forged X-Forwarded-Host: %d, want 403", p.code)
	}
	// The address is the connection's: a forged X-Forwarded-For does not
	// make a new one.
	for i := range 3 {
		p := b.signIn(fmt.Sprintf("nobody-%d", i), "guess", map[string]string{"X-Forwarded-For": fmt.Sprintf("198.51.100.%d", i)})
		if want := []int{http.StatusUnauthorized, http.StatusUnauthorized, http.StatusTooManyRequests}[i]; p.code != want {
			t.Fatalf("failure %d with a forged X-Forwarded-For: %d, want %d", i+1, p.code, want)
		}
	}
}

// Behind a proxy named in SECBOT_TRUSTED_PROXIES the forwarded host,
// scheme and client address count, the client address being the last
// one the proxies did not add.
func TestForwardedHeadersFromATrustedProxy(t *testing.T) {
	t.Parallel()
	s := newSite(t, "SECBOT_TRUSTED_PROXIES", "10.9.9.9, 127.0.0.0/8", "SECBOT_LOGIN_ADDRESS_ATTEMPTS", "2", "SECBOT_LOGIN_BACKOFF", "1h")
	proxied := map[string]string{"X-Forwarded-Host": "secbot.example", "X-Forwarded-Proto": "https"}
	_, _, out := apiCall(t, s.url, http.MethodGet, "/api/v2/findings/?limit=1&offset=1", adminToken, "", proxied)
	if prev, _ := out["previous"].(string); !strings.HasPrefix(prev, "https://secbot.example/api/v2/findings/?") {
		t.Fatalf("behind a trusted proxy the previous page is %q", prev)
	}
	b := s.browser(t)
	p := b.signIn("admin", password, map[string]string{"Origin": "https://secbot.example", "X-Forwarded-Host": "secbot.example", "X-Forwarded-Proto": "https"})
	if p.code != http.StatusSeeOther || !strings.Contains(strings.ToLower(p.header.Get("Set-Cookie")), "secure") {
		t.Fatalf("a sign-in through the proxy: %d %q, want 303 and a Secure cookie", p.code, p.header.Get("Set-Cookie"))
	}
	// 203.0.113.7 is the client; what it wrote before it is forged, what
	// follows it the proxies added.
	client := func(forged int) map[string]string {
		return map[string]string{"X-Forwarded-For": fmt.Sprintf("198.51.100.%d, 203.0.113.7, 10.9.9.9", forged)}
	}
	for i := range 3 {
		p := b.signIn(fmt.Sprintf("nobody-%d", i), "guess", client(i))
		if want := []int{http.StatusUnauthorized, http.StatusUnauthorized, http.StatusTooManyRequests}[i]; p.code != want {
			t.Fatalf("failure %d of client 203.0.113.7: %d, want %d", i+1, p.code, want)
		}
	}
	if p := b.signIn("nobody-9", "guess", map[string]string{"X-Forwarded-For": "203.0.113.8"}); p.code != http.StatusUnauthorized {
		t.Fatalf("another client behind the same proxy: %d, want 401", p.code)
	}
}
