package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// get sends a GET with the admin's token and returns the answer as it is.
func (s *server) get(t *testing.T, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.url+path, nil)
	req.Header.Set("Authorization", "Token "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// Audit item 7: NUL characters and invalid UTF-8 in any text, ids past
// PostgreSQL's integer, and offsets that overflow are answered with
// DefectDojo's 400 (or 404 for an id in the path), never a 500.
func TestBadInputIsTheClientsMistake(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.importFixture(t, "Gitleaks Scan", "gitleaks/gitleaks8_many.json", "g.json")
	for _, tt := range []struct {
		path string
		code int
		want string
	}{
		{"/api/v2/findings/2147483648/", 404, `{"detail":"Not found."}`},
		{"/api/v2/findings/99999999999999999999/", 404, `{"detail":"Not found."}`},
		{"/api/v2/findings/?id=2147483648", 400, `{"id":["Ensure this value is less than or equal to 2147483647."]}`},
		{"/api/v2/findings/?test=1,x", 400, `{"test":["A valid integer is required."]}`},
		{"/api/v2/findings/?test__engagement=2147483648", 400, `{"test__engagement":["Ensure this value is less than or equal to 2147483647."]}`},
		{"/api/v2/findings/?title=%00", 400, `{"title":["Null characters are not allowed."]}`},
		{"/api/v2/findings/?file_path=%FF", 400, `{"file_path":["Not valid UTF-8: send text as UTF-8."]}`},
		{"/api/v2/findings/?product_name=a%00", 400, `{"product_name":["Null characters are not allowed."]}`},
		{"/api/v2/findings/?test__tags=%C3", 400, `{"test__tags":["Not valid UTF-8: send text as UTF-8."]}`},
		{"/api/v2/findings/?severity=%00", 400, `{"severity":["Null characters are not allowed."]}`},
		{"/api/v2/findings/?offset=9223372036854775808", 400, `{"offset":["A valid integer is required."]}`},
		{"/api/v2/findings/?limit=-1", 400, `{"limit":["Ensure this value is greater than or equal to 1."]}`},
		{"/api/v2/findings/?limit=0", 200, `"count":3,"next":null,"previous":null`},
		{"/api/v2/tests/?engagement=2147483648", 400, `{"engagement":["Ensure this value is less than or equal to 2147483647."]}`},
		{"/api/v2/engagements/?name=%00", 400, `{"name":["Null characters are not allowed."]}`},
		{"/api/v2/products/?id=-1", 400, `{"id":["Ensure this value is greater than or equal to 1."]}`},
		{"/api/v2/products/?name=%FF&offset=x", 400, `"offset":["A valid integer is required."]`},
	} {
		t.Run(tt.path, func(t *testing.T) {
			if code, body := s.get(t, tt.path); code != tt.code || !strings.Contains(body, tt.want) {
				t.Fatalf("%d %s, want %d with %s", code, body, tt.code, tt.want)
			}
		})
	}
	for _, path := range []string{"/api/v2/findings/", "/api/v2/tests/"} {
		code, out := s.call(t, http.MethodGet, path+"?limit=2&offset=9223372036854775807", "")
		if prev, _ := out["previous"].(string); code != 200 || out["next"] != nil || !strings.Contains(prev, "offset=9223372036854775805") {
			t.Fatalf("%s at the largest offset: %d %v, want 200, no next page and the previous one", path, code, out)
		}
	}
	if code, _ := s.call(t, http.MethodPatch, "/api/v2/findings/2147483648/", `{"active": false}`); code != 404 {
		t.Fatalf("PATCH finding 2147483648: %d, want 404", code)
	}
	for _, creds := range []string{`{"username":"admin\u0000","password":"x"}`, "username=%FFadmin&password=x"} {
		ct := "application/json"
		if !strings.HasPrefix(creds, "{") {
			ct = "application/x-www-form-urlencoded"
		}
		resp, err := http.Post(s.url+"/api/v2/api-token-auth/", ct, strings.NewReader(creds))
		if err != nil {
			t.Fatal(err)
		}
		var out map[string][]string
		json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if resp.StatusCode != 400 || len(out["username"]) != 1 {
			t.Fatalf("api-token-auth with %q: %d %v", creds, resp.StatusCode, out)
		}
	}
}

func TestImportRefusesBadText(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	path := report(t, "gitleaks/gitleaks8_many.json", "g.json")
	base := map[string]string{"scan_type": "Gitleaks Scan", "product_name": "demo", "engagement_name": "CI", "auto_create_context": "true"}
	for _, tt := range []struct {
		field, value string
		code         int
		want         string
	}{
		{"product_name", "de\x00mo", 400, `{"product_name":["Null characters are not allowed."]}`},
		{"engagement_name", "CI \xff", 400, `{"engagement_name":["Not valid UTF-8: send text as UTF-8."]}`},
		{"test_title", "\x00", 400, `{"test_title":["Null characters are not allowed."]}`},
		{"tags", "a,\x00b", 400, `{"tags":["Null characters are not allowed."]}`},
		{"product_type_name", "\xc3(", 400, `{"product_type_name":["Not valid UTF-8: send text as UTF-8."]}`},
		{"version", "1\x00", 400, `{"version":["Null characters are not allowed."]}`},
		{"engagement", "2147483648", 400, `{"engagement":["Invalid pk \"2147483648\" - object does not exist."]}`},
		{"lead", "99999999999", 400, `{"lead":["Invalid pk \"99999999999\" - object does not exist."]}`},
	} {
		t.Run(tt.field, func(t *testing.T) {
			fields := map[string]string{tt.field: tt.value}
			for k, v := range base {
				if _, set := fields[k]; !set {
					fields[k] = v
				}
			}
			if code, body := s.upload(t, "/api/v2/import-scan/", "Token "+token, fields, path, "g.json"); code != tt.code || !strings.Contains(string(body), tt.want) {
				t.Fatalf("%s=%q: %d %s, want %d with %s", tt.field, tt.value, code, body, tt.code, tt.want)
			}
		})
	}
	if code, body := s.upload(t, "/api/v2/reimport-scan/", "Token "+token, map[string]string{"scan_type": "Gitleaks Scan", "test": "2147483648"}, path, "g.json"); code != 400 || !strings.Contains(string(body), `{"test":["Invalid pk \"2147483648\" - object does not exist."]}`) {
		t.Fatalf("reimport into test 2147483648: %d %s", code, body)
	}
	if n := s.db.Count(t, "SELECT count(*) FROM products"); n != 0 {
		t.Fatalf("refused imports stored %d products", n)
	}
}
