package web_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// apiCall sends one request to the DefectDojo API of the reporter at
// base and decodes its JSON answer.
func apiCall(t *testing.T, base, method, path, auth, body string, header map[string]string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", "Token "+auth)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, resp.Header, out
}

// tokenAuth is POST /api/v2/api-token-auth/ at base.
func tokenAuth(t *testing.T, base, username, pw string, header map[string]string) (int, http.Header, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": username, "password": pw})
	return apiCall(t, base, http.MethodPost, "/api/v2/api-token-auth/", "", string(body), header)
}

// signIn posts the sign-in form with the given headers.
func (b *browser) signIn(username, pw string, header map[string]string) page {
	b.t.Helper()
	return b.do(http.MethodPost, "/login", url.Values{"username": {username}, "password": {pw}, "next": {"/"}}, header)
}

// Audit item 4: next= may only name a path on this site, and never puts
// anything but a Location in the answer's headers.
func TestSignInNextStaysOnSite(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	for _, tt := range []struct{ next, want string }{
		{"/\r\nSet-Cookie: secbot_session=ATTACKER; Path=/finding", "/"},
		{"/\t/evil.example/x", "/"},
		{"/\\evil.example", "/"},
		{"\\/evil.example", "/"},
		{"//evil.example/x", "/"},
		{"/ /evil.example", "/"},
		{"/\x00x", "/"},
		{"/\x7f/evil.example", "/"},
		{"https://evil.example/", "/"},
		{"/finding/\xff", "/"},
		{fmt.Sprintf("/finding/%d?done=reopen", s.finding), fmt.Sprintf("/finding/%d?done=reopen", s.finding)},
		{"/check/secbot_x%2F%2Fy", "/check/secbot_x%2F%2Fy"},
	} {
		t.Run(strconv.Quote(tt.next), func(t *testing.T) {
			b := s.browser(t)
			p := b.do(http.MethodPost, "/login", url.Values{"username": {"admin"}, "password": {password}, "next": {tt.next}}, nil)
			if p.code != http.StatusSeeOther || p.location != tt.want {
				t.Fatalf("signed in with next=%q: %d to %q, want 303 to %q", tt.next, p.code, p.location, tt.want)
			}
			cookies := p.header.Values("Set-Cookie")
			if len(cookies) != 1 || !strings.HasPrefix(cookies[0], "secbot_session=") || strings.Contains(cookies[0], "ATTACKER") {
				t.Fatalf("next=%q set cookies %q, want only the session's", tt.next, cookies)
			}
			form := b.get("/login?next=" + url.QueryEscape(tt.next))
			if want := `name="next" value="` + tt.want + `"`; tt.want == "/" && !strings.Contains(form.body, want) {
				t.Fatalf("the sign-in page for next=%q does not carry %s:\n%s", tt.next, want, form.body)
			}
		})
	}
}

// Audit item 5: failed sign-ins, on the pages and through api-token-auth
// alike, back off per user name and per address, held in PostgreSQL.
func TestSignInBacksOffPerUserAndAddress(t *testing.T) {
	t.Parallel()
	s := newSite(t, "SECBOT_LOGIN_USER_ATTEMPTS", "3", "SECBOT_LOGIN_ADDRESS_ATTEMPTS", "6", "SECBOT_LOGIN_BACKOFF", "1h")
	other := s.replica(t) // a second reporter on the same database
	b := s.browser(t)
	for i := range 3 {
		if p := b.signIn("admin", "wrong", nil); p.code != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d", i+1, p.code)
		}
	}
	// The user name is now held back: on the other replica, on the API,
	// even with the right password.
	code, header, out := tokenAuth(t, other, "admin", password, nil)
	retry, _ := strconv.Atoi(header.Get("Retry-After"))
	if code != http.StatusTooManyRequests || retry < 3000 || retry > 3600 ||
		!strings.HasPrefix(fmt.Sprint(out["detail"]), "Request was throttled. Expected available in ") {
		t.Fatalf("api-token-auth after 3 failed sign-ins: %d Retry-After %q %v, want 429 with about an hour", code, header.Get("Retry-After"), out)
	}
	p := b.signIn("admin", password, nil)
	if p.code != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" ||
		!strings.Contains(p.body, "Too many failed sign-ins for this user name or from this address. Try again in 1 hour.") {
		t.Fatalf("sign-in page after 3 failed sign-ins: %d Retry-After %q\n%s", p.code, p.header.Get("Retry-After"), p.body)
	}
	// The address has 3 failures of its 6: three more user names, then it
	// is held back too, whatever the name.
	for i := range 3 {
		if code, _, _ := tokenAuth(t, other, fmt.Sprintf("nobody-%d", i), "guess", nil); code != http.StatusBadRequest {
			t.Fatalf("unknown user %d: %d, want 400", i, code)
		}
	}
	if p := b.signIn("someone-else", "guess", nil); p.code != http.StatusTooManyRequests {
		t.Fatalf("a seventh failure from one address: %d, want 429", p.code)
	}
	if n := s.db.Count(t, "SELECT count(*) FROM login_throttle WHERE key LIKE '%admin%' OR key LIKE '%127.0.0.1%'"); n != 0 {
		t.Fatal("the throttle stores user names or addresses in clear")
	}
}

// A successful sign-in clears the user's failures: the legitimate user
// who mistypes now and then is never held back.
func TestSignInSuccessClearsTheCount(t *testing.T) {
	t.Parallel()
	s := newSite(t, "SECBOT_LOGIN_USER_ATTEMPTS", "3", "SECBOT_LOGIN_BACKOFF", "1h")
	b := s.browser(t)
	for round := range 3 {
		for range 2 {
			if p := b.signIn("admin", "typo", nil); p.code != http.StatusUnauthorized {
				t.Fatalf("round %d, a typo: %d", round, p.code)
			}
		}
		if code, _, out := tokenAuth(t, s.url, "admin", password, nil); code != http.StatusOK {
			t.Fatalf("round %d, the right password: %d %v", round, code, out)
		}
	}
}

// Concurrent guesses cannot slip past the count: of 16 sent at once to
// two replicas, at most the allowed 3 reach the password check (fewer
// when one waits too long for its turn); the rest are refused before any
// hashing.
func TestSignInFloodChecksOnlyTheAllowedAttempts(t *testing.T) {
	t.Parallel()
	s := newSite(t, "SECBOT_LOGIN_USER_ATTEMPTS", "3", "SECBOT_LOGIN_BACKOFF", "1h")
	bases := []string{s.url, s.replica(t)}
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, _, _ := tokenAuth(t, bases[i%2], "admin", fmt.Sprintf("guess-%d", i), nil)
			mu.Lock()
			codes[code]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	checked, refused := codes[http.StatusBadRequest], codes[http.StatusTooManyRequests]
	if checked < 1 || checked > 3 || checked+refused != 16 {
		t.Fatalf("16 concurrent guesses were answered %v, want at most 3 checked (400) and the rest refused (429)", codes)
	}
	if n := s.db.Count(t, "SELECT coalesce(max(failures), 0) FROM login_throttle WHERE key LIKE 'user:%'"); n != checked {
		t.Fatalf("the user name counts %d failures, want the %d checked", n, checked)
	}
}

// api-token-auth hands out the user's one token, the same every time and
// on every replica, stored only as a hash; the API key page shows it and
// rotates it on request.
func TestAPITokenIsTheUsersOne(t *testing.T) {
	t.Parallel()
	s := newSite(t, "SECBOT_SECRET_KEY", "a test secret of at least thirty-two characters")
	other := s.replica(t)
	var tokens []string
	for _, base := range []string{s.url, s.url, other} {
		code, _, out := tokenAuth(t, base, "admin", password, nil)
		tok, _ := out["token"].(string)
		if code != http.StatusOK || len(tok) != 40 {
			t.Fatalf("api-token-auth: %d %v", code, out)
		}
		tokens = append(tokens, tok)
	}
	if tokens[0] != tokens[1] || tokens[0] != tokens[2] {
		t.Fatalf("api-token-auth handed out %q: want the same token every time", tokens)
	}
	if n := s.db.Count(t, "SELECT count(*) FROM dd_tokens t JOIN dd_users u ON u.id = t.user_id WHERE u.username = 'admin' AND t.origin = 'login'"); n != 1 {
		t.Fatalf("%d login tokens stored for the admin, want 1", n)
	}
	if n := s.db.Count(t, "SELECT count(*) FROM dd_tokens WHERE key_hash = $1 OR encode(coalesce(salt, ''), 'escape') LIKE '%' || $1 || '%'", tokens[0]); n != 0 {
		t.Fatal("the token is stored in clear")
	}

	b := s.browser(t)
	b.login()
	keyPage := b.get("/api/key-v2")
	if keyPage.code != http.StatusOK || !strings.Contains(keyPage.body, tokens[0]) {
		t.Fatalf("the API key page: %d\n%s", keyPage.code, keyPage.body)
	}
	rotated := b.do(http.MethodPost, "/api/key-v2", url.Values{"csrf": {csrf(t, keyPage.body)}}, nil)
	if rotated.code != http.StatusSeeOther {
		t.Fatalf("rotating the key: %d %s", rotated.code, rotated.body)
	}
	_, _, out := tokenAuth(t, other, "admin", password, nil)
	fresh, _ := out["token"].(string)
	if fresh == tokens[0] || len(fresh) != 40 || !strings.Contains(b.get("/api/key-v2").body, fresh) {
		t.Fatalf("after rotation api-token-auth hands out %q (was %q)", fresh, tokens[0])
	}
	if code, _, _ := apiCall(t, s.url, http.MethodGet, "/api/v2/user_profile/", tokens[0], "", nil); code != http.StatusForbidden {
		t.Fatalf("the rotated-away token still works: %d", code)
	}
	if code, _, _ := apiCall(t, s.url, http.MethodGet, "/api/v2/user_profile/", fresh, "", nil); code != http.StatusOK {
		t.Fatalf("the new token: %d", code)
	}
}

// With SECBOT_API_TOKEN_TTL a token ends; api-token-auth then hands out
// the next one.
func TestAPITokenExpires(t *testing.T) {
	t.Parallel()
	s := newSite(t, "SECBOT_API_TOKEN_TTL", "720h")
	_, _, out := tokenAuth(t, s.url, "admin", password, nil)
	first, _ := out["token"].(string)
	if n := s.db.Count(t, "SELECT count(*) FROM dd_tokens WHERE origin = 'login' AND expires BETWEEN now() + interval '719 hours' AND now() + interval '721 hours'"); n != 1 {
		t.Fatal("the token does not carry its expiry")
	}
	s.db.Count(t, "WITH e AS (UPDATE dd_tokens SET expires = now() - interval '1 second' WHERE origin = 'login' RETURNING 1) SELECT count(*) FROM e")
	code, _, out := apiCall(t, s.url, http.MethodGet, "/api/v2/user_profile/", first, "", nil)
	if code != http.StatusForbidden || !strings.Contains(fmt.Sprint(out["detail"]), "expired") {
		t.Fatalf("an expired token: %d %v", code, out)
	}
	_, _, out = tokenAuth(t, s.url, "admin", password, nil)
	next, _ := out["token"].(string)
	if next == first || len(next) != 40 {
		t.Fatalf("after expiry api-token-auth hands out %q (was %q)", next, first)
	}
	if code, _, _ := apiCall(t, s.url, http.MethodGet, "/api/v2/user_profile/", next, "", nil); code != http.StatusOK {
		t.Fatalf("the next token: %d", code)
	}
	if code, _, _ := apiCall(t, s.url, http.MethodGet, "/api/v2/user_profile/", adminToken, "", nil); code != http.StatusOK {
		t.Fatalf("DEFECTDOJO__TOKEN does not expire: %d", code)
	}
}

// Audit item 10: the CSRF token counts only from the form body or the
// X-CSRF-Token header, never from the query string.
func TestCSRFTokenNotFromTheQuery(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	b := s.browser(t)
	b.login()
	path := fmt.Sprintf("/finding/%d", s.finding)
	token := csrf(t, b.get(path).body)
	if p := b.do(http.MethodPost, path+"/triage?csrf="+url.QueryEscape(token), url.Values{"action": {"false_positive"}}, nil); p.code != http.StatusForbidden {
		t.Fatalf("triage with the CSRF token in the query: %d, want 403", p.code)
	}
	if n := s.db.Count(t, "SELECT count(*) FROM findings WHERE false_p"); n != 0 {
		t.Fatal("a form with its CSRF token in the query changed the finding")
	}
	if p := b.do(http.MethodPost, path+"/triage?action=false_positive", url.Values{"csrf": {token}}, nil); p.code != http.StatusBadRequest {
		t.Fatalf("triage with its action in the query: %d, want 400", p.code)
	}
	if p := b.do(http.MethodPost, path+"/triage", url.Values{"action": {"false_positive"}}, map[string]string{"X-CSRF-Token": token}); p.code != http.StatusSeeOther {
		t.Fatalf("triage with the CSRF token in X-CSRF-Token: %d %s", p.code, p.body)
	}
}

// Attempts in flight wait for each other rather than count as failures:
// parallel jobs signing in with one account all get their token. (With
// one attempt allowed, the second sign-in must wait for the first.)
func TestConcurrentSignInsOfOneUserAllSucceed(t *testing.T) {
	t.Parallel()
	s := newSite(t, "SECBOT_LOGIN_USER_ATTEMPTS", "1", "SECBOT_LOGIN_BACKOFF", "1h")
	bases := []string{s.url, s.replica(t)}
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _, _ = tokenAuth(t, bases[i%2], "admin", password, nil)
		}()
	}
	wg.Wait()
	for i, code := range codes {
		if code != http.StatusOK {
			t.Fatalf("concurrent sign-ins with the right password were answered %v, want all 200 (sign-in %d)", codes, i)
		}
	}
}
