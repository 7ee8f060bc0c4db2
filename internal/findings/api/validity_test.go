package api_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// secretReport writes a gitleaks report as SecBot's scan makes it: each
// leak redacted, with the validity its check found.
func secretReport(t *testing.T, leaks ...map[string]any) string {
	t.Helper()
	for _, l := range leaks {
		l["Description"], l["Secret"], l["Match"], l["Commit"] = "GitLab Personal Access Token", "REDACTED", "token = REDACTED", strings.Repeat("c", 40)
	}
	raw, _ := json.Marshal(leaks)
	path := filepath.Join(t.TempDir(), "gitleaks.json")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestValidityIsStoredFilteredAndRechecked imports leaks with their
// checks: the findings answer validity, its time, owner and scopes, and
// filter on it; a later import of the same secret, checked again, updates
// the original; a revocation lands in the finding's history.
func TestValidityIsStoredFilteredAndRechecked(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	importReport := func(engagement, file string) {
		t.Helper()
		fields := map[string]string{"scan_type": "Gitleaks Scan", "product_type_name": "gitlab.example.com", "product_name": "grp/app",
			"engagement_name": engagement, "auto_create_context": "true"}
		if code, body := s.upload(t, "/api/v2/import-scan/", "Token "+token, fields, file, "gitleaks.json"); code != 201 {
			t.Fatalf("import: %d %s", code, body)
		}
	}
	importReport("first push", secretReport(t,
		map[string]any{"File": "live.env", "StartLine": 1, "RuleID": "gitlab-pat", "Validity": "valid",
			"ValidityCheckedAt": "2026-12-01T10:00:00Z", "ValidityOwner": "user 7 (alice)", "ValidityScopes": []string{"api", "read_user"}},
		map[string]any{"File": "dead.env", "StartLine": 1, "RuleID": "github-pat", "Validity": "invalid", "ValidityCheckedAt": "2026-12-01T10:00:01Z"},
		map[string]any{"File": "other.env", "StartLine": 1, "RuleID": "generic-api-key", "Validity": "not_checked"},
		map[string]any{"File": "odd.env", "StartLine": 1, "RuleID": "generic-api-key", "Validity": "maybe"},
	))
	list := func(query string) []map[string]any {
		t.Helper()
		code, raw := s.send(t, "GET", "/api/v2/findings/?o=id&"+query, token, "", "")
		var page struct{ Results []map[string]any }
		if code != 200 || json.Unmarshal(raw, &page) != nil {
			t.Fatalf("findings?%s: %d %s", query, code, raw)
		}
		return page.Results
	}
	all := list("")
	if len(all) != 4 {
		t.Fatalf("imported %d findings, want 4", len(all))
	}
	live := all[0]
	if live["validity"] != "valid" || live["validity_checked_at"] != "2026-12-01T10:00:00Z" || live["validity_owner"] != "user 7 (alice)" ||
		fmt.Sprint(live["validity_scopes"]) != "[api read_user]" {
		t.Errorf("the live token's finding: %v %v %v %v", live["validity"], live["validity_checked_at"], live["validity_owner"], live["validity_scopes"])
	}
	if all[2]["validity"] != "not_checked" || all[3]["validity"] != nil {
		t.Errorf("not checked: %v; a value that is no validity: %v, want null", all[2]["validity"], all[3]["validity"])
	}
	if got := list("validity=valid,unknown"); len(got) != 1 || got[0]["id"] != live["id"] {
		t.Errorf("validity=valid,unknown: %d findings", len(got))
	}
	if code, raw := s.send(t, "GET", "/api/v2/findings/?validity=alive", token, "", ""); code != 400 || !strings.Contains(string(raw), "validity") {
		t.Errorf("an unknown validity: %d %s, want 400 naming it", code, raw)
	}

	// The next push finds the live token again; SecBot revoked it and
	// checked again: invalid. The original takes the newer check.
	importReport("second push", secretReport(t,
		map[string]any{"File": "live.env", "StartLine": 1, "RuleID": "gitlab-pat", "Validity": "invalid", "ValidityCheckedAt": "2026-12-02T09:00:00Z",
			"ValidityOwner": "user 7 (alice)", "Revocation": map[string]any{"at": "2026-12-02T09:00:00Z", "by": "SecBot, with the instance's admin token",
				"status": 204, "answer": "204 No Content", "after": "invalid"}},
	))
	again := list(fmt.Sprintf("id=%v", live["id"]))
	if len(again) != 1 || again[0]["validity"] != "invalid" || again[0]["validity_checked_at"] != "2026-12-02T09:00:00Z" {
		t.Fatalf("the original after the re-check: %v", again)
	}
	newer := list("duplicate=true")
	if len(newer) != 1 || newer[0]["secret_revocation"] == nil {
		t.Fatalf("the second push's finding: %v", newer)
	}
	if n := s.db.Count(t, `SELECT count(*) FROM finding_events WHERE finding = $1 AND change->'revoked'->>'status' = '204'`, int(newer[0]["id"].(float64))); n != 1 {
		t.Fatalf("revocation events in the finding's history: %d, want 1", n)
	}
	// An older check does not overwrite a newer one.
	importReport("late retry", secretReport(t,
		map[string]any{"File": "live.env", "StartLine": 1, "RuleID": "gitlab-pat", "Validity": "valid", "ValidityCheckedAt": "2026-12-01T11:00:00Z"},
	))
	if again := list(fmt.Sprintf("id=%v", live["id"])); again[0]["validity"] != "invalid" {
		t.Errorf("an older check overwrote the newer: %v", again[0]["validity"])
	}
}
