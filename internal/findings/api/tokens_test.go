package api_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestNamedTokens makes a named token, uses it (its last use is noted),
// lists it without its key, and revokes it: it opens nothing after, and
// no other user may revoke it.
func TestNamedTokens(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	made := s.must(t, 201, "POST", "/api/v2/api_tokens/", `{"name": "nightly pipeline", "expires": "2999-01-31"}`)
	key, _ := made["key"].(string)
	if len(key) != 40 || made["name"] != "nightly pipeline" || made["kind"] != "named" || made["last_used"] != nil {
		t.Fatalf("the token made: %v", made)
	}
	if code, raw := s.send(t, "GET", "/api/v2/user_profile/", key, "", ""); code != 200 {
		t.Fatalf("the named token: %d %s", code, raw)
	}
	if stored := s.db.Count(t, `SELECT count(*) FROM dd_tokens WHERE name = 'nightly pipeline' AND last_used IS NOT NULL AND key_hash <> $1`, key); stored != 1 {
		t.Fatalf("the token's last use is not noted, or its key is stored in clear")
	}
	code, raw := s.send(t, "GET", "/api/v2/api_tokens/", token, "", "")
	var list struct{ Results []map[string]any }
	if code != 200 || json.Unmarshal(raw, &list) != nil || len(list.Results) < 2 {
		t.Fatalf("tokens: %d %s", code, raw)
	}
	for _, tok := range list.Results {
		if _, shown := tok["key"]; shown {
			t.Fatalf("the list shows a key: %v", tok)
		}
	}
	s.answer(t, "POST", "/api/v2/api_tokens/", token, `{"name": "late", "expires": "2001-01-01"}`, 400, `{"expires": ["The expiry must be in the future."]}`)
	s.answer(t, "POST", "/api/v2/api_tokens/", token, `{}`, 400, `{"name": ["This field is required."]}`)

	// Another user may not revoke it (it is not found for them).
	s.must(t, 201, "POST", "/api/v2/users/", `{"username": "other", "password": "other password"}`)
	code, raw = s.send(t, "POST", "/api/v2/api-token-auth/", "", "application/json", `{"username": "other", "password": "other password"}`)
	var other struct{ Token string }
	if code != 200 || json.Unmarshal(raw, &other) != nil {
		t.Fatalf("other's token: %d %s", code, raw)
	}
	path := fmt.Sprintf("/api/v2/api_tokens/%d/", id(made))
	s.answer(t, "DELETE", path, other.Token, "", 404, `{"detail": "Not found."}`)
	s.must(t, 204, "DELETE", path, "")
	s.answer(t, "GET", "/api/v2/user_profile/", key, "", 403, `{"detail": "Invalid token."}`)

	// An expired one is refused with what to do.
	soon := s.must(t, 201, "POST", "/api/v2/api_tokens/", `{"name": "short-lived", "expires": "2999-01-01"}`)
	if _, err := s.db.Pool.Exec(t.Context(), `UPDATE dd_tokens SET expires = now() - interval '1 second' WHERE id = $1`, id(soon)); err != nil {
		t.Fatal(err)
	}
	if code, raw := s.send(t, "GET", "/api/v2/user_profile/", soon["key"].(string), "", ""); code != 403 || !json.Valid(raw) {
		t.Fatalf("an expired named token: %d %s, want 403", code, raw)
	}

	// The settings' token is not revoked here.
	env := s.db.Count(t, `SELECT id FROM dd_tokens WHERE origin = 'env'`)
	if code, raw := s.send(t, "DELETE", fmt.Sprintf("/api/v2/api_tokens/%d/", env), token, "", ""); code != 400 {
		t.Fatalf("revoking DEFECTDOJO__TOKEN: %d %s, want 400", code, raw)
	}
}

// TestRefusedUploadIsAnswered sends a 3 MB report with a wrong token: the
// client reads the 403 and its reason, not a connection reset while it
// is still sending.
func TestRefusedUploadIsAnswered(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	path := t.TempDir() + "/big.json"
	big := `[` + strings.Repeat(`{"Description":"x","StartLine":1,"File":"a","RuleID":"r"},`, 50000) + `{}]`
	if err := os.WriteFile(path, []byte(big), 0o600); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		code, body := s.upload(t, "/api/v2/import-scan/", "Token 0000000000000000000000000000000000000000",
			map[string]string{"scan_type": "Gitleaks Scan"}, path, "big.json")
		if code != 403 || !strings.Contains(string(body), "Invalid token.") {
			t.Fatalf("a refused upload: %d %s", code, body)
		}
	}
}
