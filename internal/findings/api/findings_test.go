package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func (s *server) call(t *testing.T, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, s.url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Token "+token)
	req.Header.Set("Content-Type", "application/json")
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
	return resp.StatusCode, out
}

func (s *server) importFixture(t *testing.T, scanType, fixture, name string) {
	t.Helper()
	fields := map[string]string{"scan_type": scanType, "product_type_name": "t", "product_name": "demo",
		"engagement_name": "CI", "auto_create_context": "true"}
	if code, body := s.upload(t, "/api/v2/import-scan/", "Token "+token, fields, report(t, fixture, name), name); code != 201 {
		t.Fatalf("import: %d %s", code, body)
	}
}

func ids(results any) []float64 {
	var out []float64
	for _, r := range results.([]any) {
		out = append(out, r.(map[string]any)["id"].(float64))
	}
	return out
}

func TestListFindingsWithFiltersAndPages(t *testing.T) {
	s := newServer(t)
	s.importFixture(t, "SARIF", "sarif/njsscan.sarif", "a.sarif")
	s.importFixture(t, "SARIF", "sarif/njsscan.sarif", "b.sarif")
	tests := []struct {
		query string
		count float64
	}{
		{"", 6},
		{"?severity=High", 4},
		{"?severity=high,medium", 6},
		{"?active=true", 3},
		{"?duplicate=True", 3},
		{"?test=1", 3},
		{"?test=1,2&severity=Medium", 2},
		{"?title=hardcoded%20PASSWORD", 4},
		{"?file_path=index.js&vuln_id_from_tool=node_password", 4},
		{"?product_name=demo", 6},
		{"?product_name=other", 0},
		{"?test__engagement__product=1&duplicate=false", 3},
		{"?title=100%25", 0},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			code, out := s.call(t, http.MethodGet, "/api/v2/findings/"+tt.query, "")
			if code != 200 || out["count"] != tt.count || float64(len(out["results"].([]any))) != tt.count {
				t.Fatalf("%d count %v results %d, want %v", code, out["count"], len(out["results"].([]any)), tt.count)
			}
		})
	}
	_, first := s.call(t, http.MethodGet, "/api/v2/findings/?limit=4&o=-id", "")
	got := ids(first["results"])
	if len(got) != 4 || got[0] != 6 || first["previous"] != nil {
		t.Fatalf("first page (newest first) = %v, previous %v", got, first["previous"])
	}
	next, _ := first["next"].(string)
	if !strings.Contains(next, "offset=4") || !strings.Contains(next, "o=-id") {
		t.Fatalf("next = %q", next)
	}
	_, second := s.call(t, http.MethodGet, strings.TrimPrefix(next, s.url), "")
	if got := ids(second["results"]); len(got) != 2 || got[1] != 1 || second["next"] != nil {
		t.Fatalf("second page = %v next %v", got, second["next"])
	}
	if code, out := s.call(t, http.MethodGet, "/api/v2/findings/?active=perhaps", ""); code != 400 || out["active"] == nil {
		t.Fatalf("bad boolean filter: %d %v", code, out)
	}
}

func TestTriage(t *testing.T) {
	s := newServer(t)
	s.importFixture(t, "Gitleaks Scan", "gitleaks/gitleaks8_many.json", "g.json")
	code, f := s.call(t, http.MethodGet, "/api/v2/findings/1/", "")
	if code != 200 || f["active"] != true || f["numerical_severity"] != "S1" || f["display_status"] != "Active" || f["nb_occurences"] != 2.0 {
		t.Fatalf("detail: %d %v", code, f)
	}
	code, f = s.call(t, http.MethodPatch, "/api/v2/findings/1/", `{"false_p": true, "verified": false}`)
	if code != 200 || f["false_p"] != true || f["active"] != false || f["is_mitigated"] != true || f["mitigated"] == nil {
		t.Fatalf("false positive: %d %v", code, f)
	}
	code, f = s.call(t, http.MethodPatch, "/api/v2/findings/2/", `{"risk_accepted": true, "active": false}`)
	if code != 200 || f["risk_accepted"] != true || f["active"] != false || f["display_status"] != "Inactive, Risk Accepted" {
		t.Fatalf("risk accepted: %d %v", code, f)
	}
	code, f = s.call(t, http.MethodPost, "/api/v2/findings/3/close/", "")
	if code != 200 || f["is_mitigated"] != true || f["active"] != false {
		t.Fatalf("close: %d %v", code, f)
	}
	code, f = s.call(t, http.MethodPatch, "/api/v2/findings/1/", `{"active": true}`)
	if code != 200 || f["active"] != true || f["false_p"] != false || f["is_mitigated"] != false || f["mitigated"] != nil {
		t.Fatalf("reopen: %d %v", code, f)
	}
	if code, out := s.call(t, http.MethodPatch, "/api/v2/findings/1/", `{"active": true, "false_p": true}`); code != 400 || out["active"] == nil {
		t.Fatalf("contradiction: %d %v", code, out)
	}
	if code, _ := s.call(t, http.MethodPatch, "/api/v2/findings/99/", `{"active": false}`); code != 404 {
		t.Fatalf("unknown finding: %d", code)
	}
	if n := s.db.Count(t, `SELECT count(*) FROM finding_events e JOIN dd_users u ON u.id = e.user_id WHERE u.username = 'admin'`); n != 4 {
		t.Fatalf("recorded %d status changes with their user, want 4", n)
	}
}

func TestReimportScan(t *testing.T) {
	s := newServer(t)
	s.importFixture(t, "Gitleaks Scan", "gitleaks/gitleaks8_many.json", "g.json")
	fields := map[string]string{"scan_type": "Gitleaks Scan", "test": "1"}
	empty := report(t, "gitleaks/no_findings.json", "empty.json")
	code, body := s.upload(t, "/api/v2/reimport-scan/", "Token "+token, fields, empty, "empty.json")
	if code != 201 {
		t.Fatalf("%d %s", code, body)
	}
	var resp struct {
		Test       int `json:"test"`
		Statistics struct {
			Before map[string]map[string]int            `json:"before"`
			Delta  map[string]map[string]map[string]int `json:"delta"`
			After  map[string]map[string]int            `json:"after"`
		} `json:"statistics"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	st := resp.Statistics
	if resp.Test != 1 || st.Before["total"]["active"] != 3 || st.Delta["closed"]["total"]["total"] != 3 ||
		st.After["total"]["is_mitigated"] != 3 || st.Delta["created"]["total"]["total"] != 0 {
		t.Fatalf("an empty reimport closes every finding (close_old_findings defaults to true): %s", body)
	}
	if code, body := s.upload(t, "/api/v2/reimport-scan/", "Token "+token, map[string]string{"scan_type": "Gitleaks Scan", "test": "42"}, empty, "e.json"); code != 400 || !strings.Contains(string(body), "Test 42 does not exist") {
		t.Fatalf("unknown test: %d %s", code, body)
	}
}

func TestContextLists(t *testing.T) {
	s := newServer(t)
	s.importFixture(t, "Gitleaks Scan", "gitleaks/gitleaks8_many.json", "g.json")
	s.importFixture(t, "SARIF", "sarif/njsscan.sarif", "s.sarif")
	tests := []struct {
		path  string
		count float64
		check string
	}{
		{"/api/v2/product_types/?name=t", 1, "name"},
		{"/api/v2/products/?name=DEM", 1, "prod_type"},
		{"/api/v2/products/?name_exact=dem", 0, ""},
		{"/api/v2/products/?prod_type=1", 1, "name"},
		{"/api/v2/engagements/?product=1&name=CI", 1, "target_end"},
		{"/api/v2/tests/?engagement=1", 2, "scan_type"},
		{"/api/v2/tests/?engagement=1&scan_type=SARIF", 1, "test_type_name"},
		{"/api/v2/tests/?id=1,2&limit=1", 2, "engagement"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			code, out := s.call(t, http.MethodGet, tt.path, "")
			if code != 200 || out["count"] != tt.count {
				t.Fatalf("%d %v", code, out)
			}
			if tt.check != "" {
				if _, ok := out["results"].([]any)[0].(map[string]any)[tt.check]; !ok {
					t.Fatalf("results lack %q: %v", tt.check, out["results"])
				}
			}
		})
	}
	if code, out := s.call(t, http.MethodGet, "/api/v2/tests/?engagement=x", ""); code != 400 || out["engagement"] == nil {
		t.Fatalf("bad id: %d %v", code, out)
	}
}

// The findings filters as DefectDojo's django-filter reads them:
// defectdojo-cli sends active=2 (true) and false_p=3 (false), and
// test__test_type to keep one scanner's findings.
func TestFindingFiltersAsDjangoFilterReadsThem(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.importFixture(t, "SARIF", "sarif/njsscan.sarif", "a.sarif")
	s.importFixture(t, "Gitleaks Scan", "gitleaks/gitleaks8_many.json", "g.json")
	s.importFixture(t, "Gitleaks Scan", "gitleaks/gitleaks8_many.json", "g.json")
	_, types := s.call(t, http.MethodGet, "/api/v2/test_types/?name=Gitleaks+Scan", "")
	gitleaks := types["results"].([]any)[0].(map[string]any)["id"].(float64)
	for _, tt := range []struct {
		query string
		count float64
	}{
		{"?active=2", 6},
		{"?active=3", 3},
		{"?false_p=3&active=True", 6},
		{"?test__test_type=" + strconv.Itoa(int(gitleaks)), 6},
		{"?test__test_type=" + strconv.Itoa(int(gitleaks)) + "&active=2", 3},
	} {
		t.Run(tt.query, func(t *testing.T) {
			code, out := s.call(t, http.MethodGet, "/api/v2/findings/"+tt.query, "")
			if code != 200 || out["count"] != tt.count {
				t.Fatalf("%d count %v, want %v", code, out["count"], tt.count)
			}
		})
	}
	if code, out := s.call(t, http.MethodGet, "/api/v2/engagements/?active=2", ""); code != 200 || out["count"] != 1.0 {
		t.Fatalf("engagements?active=2: %d %v", code, out)
	}
	if code, out := s.call(t, http.MethodGet, "/api/v2/findings/?active=4", ""); code != 400 || out["active"] == nil {
		t.Fatalf("active=4: %d %v, want 400", code, out)
	}
}
