package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// send makes one request with a token ("" for none) and a body of a
// content type; it returns the status and the raw answer.
func (s *server) send(t *testing.T, method, path, key, contentType, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Token "+key)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

// must sends a JSON body as the admin and decodes the answer, failing
// unless its status is want.
func (s *server) must(t *testing.T, want int, method, path, body string) map[string]any {
	t.Helper()
	code, raw := s.send(t, method, path, token, "application/json", body)
	if code != want {
		t.Fatalf("%s %s %s: %d %s, want %d", method, path, body, code, raw, want)
	}
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: not a JSON object: %s", method, path, raw)
		}
	}
	return out
}

// answer checks an answer's status and exact JSON body.
func (s *server) answer(t *testing.T, method, path, key, body string, wantCode int, wantBody string) {
	t.Helper()
	code, raw := s.send(t, method, path, key, "application/json", body)
	var got, want any
	_ = json.Unmarshal(raw, &got)
	_ = json.Unmarshal([]byte(wantBody), &want)
	if code != wantCode || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s %s %s: %d %s, want %d %s", method, path, body, code, raw, wantCode, wantBody)
	}
}

var drfTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)

func id(v map[string]any) int { return int(v["id"].(float64)) }

func TestProductTypesProductsEngagementsTests(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	pt := s.must(t, 201, "POST", "/api/v2/product_types/", `{"name": "Web", "critical_product": "true"}`)
	if pt["critical_product"] != true || pt["description"] != "" || !drfTime.MatchString(pt["created"].(string)) {
		t.Fatalf("product type as created: %v", pt)
	}
	s.answer(t, "POST", "/api/v2/product_types/", token, `{"name": "Web"}`, 400, `{"name": ["product type with this name already exists."]}`)
	s.answer(t, "POST", "/api/v2/product_types/", token, `{}`, 400, `{"name": ["This field is required."]}`)
	s.answer(t, "POST", "/api/v2/product_types/", token, `{"name": ""}`, 400, `{"name": ["This field may not be blank."]}`)
	s.answer(t, "POST", "/api/v2/product_types/", token, `[1]`, 400, `{"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}`)

	s.answer(t, "POST", "/api/v2/products/", token, `{"name": "shop"}`, 400,
		`{"description": ["This field is required."], "prod_type": ["This field is required."]}`)
	s.answer(t, "POST", "/api/v2/products/", token, `{"name": "shop", "description": "d", "prod_type": 9999}`, 400,
		`{"prod_type": ["Invalid pk \"9999\" - object does not exist."]}`)
	s.answer(t, "POST", "/api/v2/products/", token, `{"name": "shop", "description": "d", "prod_type": "web"}`, 400,
		`{"prod_type": ["Incorrect type. Expected pk value, received str."]}`)
	product := s.must(t, 201, "POST", "/api/v2/products/", fmt.Sprintf(`{"name": "shop", "description": "d", "prod_type": %d, "tags": ["pci", "web"]}`, id(pt)))
	if product["prod_type"] != float64(id(pt)) || fmt.Sprint(product["tags"]) != "[pci web]" {
		t.Fatalf("product as created: %v", product)
	}

	// A shared GitLab CI template sends booleans as strings.
	eng := s.must(t, 201, "POST", "/api/v2/engagements/", fmt.Sprintf(`{"name": "ci", "product": %d, "target_start": "2024-01-01",
		"target_end": "2024-12-31", "engagement_type": "CI/CD", "status": "In Progress", "active": "True",
		"deduplication_on_engagement": "true", "unknown_field": 1}`, id(product)))
	if eng["target_start"] != "2024-01-01" || eng["deduplication_on_engagement"] != true || eng["engagement_type"] != "CI/CD" {
		t.Fatalf("engagement as created: %v", eng)
	}
	s.answer(t, "POST", "/api/v2/engagements/", token, fmt.Sprintf(`{"product": %d, "target_start": "2024-02-01", "target_end": "2024-01-01"}`, id(product)),
		400, `{"non_field_errors": ["Your target start date exceeds your target end date"]}`)
	s.answer(t, "POST", "/api/v2/engagements/", token, fmt.Sprintf(`{"product": %d, "target_start": "soon", "target_end": "2024-01-01", "status": "Done"}`, id(product)),
		400, `{"target_start": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."], "status": ["\"Done\" is not a valid choice."]}`)
	defaults := s.must(t, 201, "POST", "/api/v2/engagements/", fmt.Sprintf(`{"product": %d, "target_start": "2024-01-01", "target_end": "2024-01-02"}`, id(product)))
	if defaults["engagement_type"] != "Interactive" || defaults["status"] != "Not Started" || defaults["active"] != true {
		t.Fatalf("an engagement with DefectDojo's defaults: %v", defaults)
	}

	engPath := fmt.Sprintf("/api/v2/engagements/%d/", id(eng))
	changed := s.must(t, 200, "PATCH", engPath, `{"build_id": "42", "commit_hash": "abc", "branch_tag": "main"}`)
	if changed["build_id"] != "42" || changed["name"] != "ci" {
		t.Fatalf("engagement after PATCH: %v", changed)
	}
	s.answer(t, "PUT", engPath, token, `{"name": "ci"}`, 400,
		`{"product": ["This field is required."], "target_start": ["This field is required."], "target_end": ["This field is required."]}`)
	if code, raw := s.send(t, "POST", engPath+"close/", token, "", ""); code != 200 || len(raw) != 0 {
		t.Fatalf("close: %d %q, want 200 and no body", code, raw)
	}
	if closed := s.must(t, 200, "GET", engPath, ""); closed["status"] != "Completed" || closed["active"] != false {
		t.Fatalf("closed engagement: %v", closed)
	}
	s.must(t, 200, "POST", engPath+"reopen/", "")
	if open := s.must(t, 200, "GET", engPath, ""); open["status"] != "In Progress" || open["active"] != true {
		t.Fatalf("reopened engagement: %v", open)
	}

	types := s.must(t, 200, "GET", "/api/v2/test_types/?name=Gitleaks+Scan", "")
	if types["count"] != float64(1) {
		t.Fatalf("test types named Gitleaks Scan: %v", types)
	}
	gitleaks := id(types["results"].([]any)[0].(map[string]any))
	test := s.must(t, 201, "POST", "/api/v2/tests/", fmt.Sprintf(`{"engagement": %d, "test_type": %d, "title": "secrets",
		"target_start": "2024-01-01T00:00:00Z", "target_end": "2024-01-01T01:00:00Z"}`, id(eng), gitleaks))
	if test["scan_type"] != "Gitleaks Scan" || test["test_type_name"] != "Gitleaks Scan" || test["target_start"] != "2024-01-01T00:00:00.000000Z" {
		t.Fatalf("test as created: %v", test)
	}
	if found := s.must(t, 200, "GET", fmt.Sprintf("/api/v2/tests/?title=secrets&engagement=%d", id(eng)), ""); found["count"] != float64(1) {
		t.Fatalf("tests by title and engagement: %v", found)
	}

	// A reimport into the test made by the API, then delete the product
	// type: everything it holds goes, as in DefectDojo.
	fields := map[string]string{"scan_type": "Gitleaks Scan", "test": fmt.Sprint(id(test))}
	if code, body := s.upload(t, "/api/v2/reimport-scan/", "Token "+token, fields, report(t, "gitleaks/gitleaks8_many.json", "g.json"), "g.json"); code != 201 {
		t.Fatalf("reimport into the API's test: %d %s", code, body)
	}
	if n := s.db.Count(t, `SELECT count(*) FROM findings WHERE test = $1`, id(test)); n != 3 {
		t.Fatalf("%d findings in the test, want 3", n)
	}
	s.must(t, 204, "DELETE", fmt.Sprintf("/api/v2/product_types/%d/", id(pt)), "")
	for _, table := range []string{"products", "engagements", "tests", "findings"} {
		if n := s.db.Count(t, "SELECT count(*) FROM "+table); n != 0 {
			t.Errorf("%d %s left after deleting their product type", n, table)
		}
	}
	s.answer(t, "GET", fmt.Sprintf("/api/v2/products/%d/", id(product)), token, "", 404, `{"detail": "Not found."}`)

	// Who did what, kept after the deletion.
	var actions []string
	rows, err := s.db.Pool.Query(t.Context(), `SELECT h.kind || ' ' || h.action || ' by ' || u.username FROM object_history h
		JOIN dd_users u ON u.id = h.user_id WHERE h.product = $1 ORDER BY h.id`, id(product))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			t.Fatal(err)
		}
		actions = append(actions, a)
	}
	want := "[products created by admin engagements created by admin engagements created by admin engagements changed by admin " +
		"engagements changed by admin engagements changed by admin tests created by admin]"
	if fmt.Sprint(actions) != want {
		t.Fatalf("history of the product: %v\nwant %s", actions, want)
	}
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	for _, key := range []string{token, ""} {
		s.answer(t, "GET", "/api/v2/no_such_thing/", key, "", 404, `{"detail": "Not found."}`)
		s.answer(t, "GET", "/api/v2/engagements/1/frobnicate/", key, "", 404, `{"detail": "Not found."}`)
		s.answer(t, "DELETE", "/api/v2/test_types/1/", key, "", 405, `{"detail": "Method \"DELETE\" not allowed."}`)
	}
	s.answer(t, "GET", "/api/v2/engagements/99999/", token, "", 404, `{"detail": "Not found."}`)
	s.answer(t, "GET", "/api/v2/engagements/x/", token, "", 404, `{"detail": "Not found."}`)
	s.answer(t, "PATCH", "/api/v2/products/99999/", token, `{}`, 404, `{"detail": "Not found."}`)
	s.answer(t, "POST", "/api/v2/engagements/99999/close/", token, "", 404, `{"detail": "Not found."}`)
	s.answer(t, "GET", "/api/v2/products/", "", "", 403, `{"detail": "Authentication credentials were not provided."}`)
	code, raw := s.send(t, "POST", "/api/v2/product_types/", token, "text/plain", "name=x")
	if code != 415 || !strings.Contains(string(raw), "Unsupported media type") {
		t.Fatalf("a text/plain body: %d %s", code, raw)
	}
	// A form works as JSON does.
	code, raw = s.send(t, "POST", "/api/v2/product_types/", token, "application/x-www-form-urlencoded", "name=Form&key_product=1")
	if code != 201 || !strings.Contains(string(raw), `"key_product":true`) {
		t.Fatalf("a form body: %d %s", code, raw)
	}
}

func TestUsersAndPermissions(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	user := s.must(t, 201, "POST", "/api/v2/users/", `{"username": "reader", "password": "a long password", "email": "r@example.com"}`)
	if _, leaked := user["password"]; leaked || user["is_superuser"] != false || user["is_active"] != true || user["last_login"] != nil {
		t.Fatalf("user as created: %v", user)
	}
	s.answer(t, "POST", "/api/v2/users/", token, `{"username": "reader"}`, 400, `{"username": ["user with this username already exists."]}`)
	var hash string
	if err := s.db.Pool.QueryRow(t.Context(), `SELECT password_hash FROM dd_users WHERE username = 'reader'`).Scan(&hash); err != nil || !strings.HasPrefix(hash, "$2") {
		t.Fatalf("stored password: %q, %v; want a bcrypt hash", hash, err)
	}
	code, raw := s.send(t, "POST", "/api/v2/api-token-auth/", "", "application/json", `{"username": "reader", "password": "a long password"}`)
	var tok struct{ Token string }
	if code != 200 || json.Unmarshal(raw, &tok) != nil || tok.Token == "" {
		t.Fatalf("the new user's token: %d %s", code, raw)
	}
	forbidden := `{"detail": "You do not have permission to perform this action."}`
	s.answer(t, "GET", "/api/v2/users/", tok.Token, "", 403, forbidden)
	s.answer(t, "POST", "/api/v2/users/", tok.Token, `{"username": "x"}`, 403, forbidden)
	pt := s.must(t, 201, "POST", "/api/v2/product_types/", `{"name": "T"}`)
	// A product type the user has no role in is one they cannot see.
	s.answer(t, "DELETE", fmt.Sprintf("/api/v2/product_types/%d/", id(pt)), tok.Token, "", 404, `{"detail": "Not found."}`)
	if list := s.must(t, 200, "GET", "/api/v2/users/?username=reader", ""); list["count"] != float64(1) {
		t.Fatalf("users named reader: %v", list)
	}
	// The history names the user, never the password.
	var changes string
	if err := s.db.Pool.QueryRow(t.Context(), `SELECT changes::text FROM object_history WHERE kind = 'users' AND action = 'created'`).Scan(&changes); err != nil ||
		strings.Contains(changes, "long password") || strings.Contains(changes, hash) || !strings.Contains(changes, "reader") {
		t.Fatalf("history of the user's creation: %s, %v", changes, err)
	}
}

func TestNotesAndFindingPut(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.importFixture(t, "Gitleaks Scan", "gitleaks/data_one.json", "g.json")
	list := s.must(t, 200, "GET", "/api/v2/findings/", "")
	f := list["results"].([]any)[0].(map[string]any)
	path := fmt.Sprintf("/api/v2/findings/%d/", id(f))
	types := s.must(t, 200, "GET", "/api/v2/test_types/?name=Gitleaks+Scan", "")
	if want := fmt.Sprint([]any{types["results"].([]any)[0].(map[string]any)["id"]}); fmt.Sprint(f["found_by"]) != want {
		t.Fatalf("found_by = %v, want the test type %s", f["found_by"], want)
	}

	note := s.must(t, 201, "POST", path+"notes/", `{"entry": "rotated the key", "private": "false"}`)
	if note["entry"] != "rotated the key" || note["author"].(map[string]any)["username"] != "admin" || !drfTime.MatchString(note["date"].(string)) {
		t.Fatalf("note: %v", note)
	}
	s.answer(t, "POST", path+"notes/", token, `{}`, 400, `{"entry": ["This field is required."]}`)
	s.answer(t, "POST", "/api/v2/findings/99999/notes/", token, `{"entry": "x"}`, 404, `{"detail": "Not found."}`)
	notes := s.must(t, 200, "GET", path+"notes/", "")
	if notes["finding_id"] != float64(id(f)) || len(notes["notes"].([]any)) != 1 {
		t.Fatalf("notes: %v", notes)
	}
	if detail := s.must(t, 200, "GET", path, ""); len(detail["notes"].([]any)) != 1 {
		t.Fatalf("the finding's notes: %v", detail["notes"])
	}

	s.answer(t, "PUT", path, token, `{"title": "x"}`, 400, `{"severity": ["This field is required."], "description": ["This field is required."]}`)
	s.answer(t, "PUT", path, token, `{"title": "x", "severity": "Severe", "description": "d"}`, 400, `{"severity": ["\"Severe\" is not a valid choice."]}`)
	put := s.must(t, 200, "PUT", path, `{"title": "AWS key in config", "severity": "Critical", "description": "d", "verified": "true", "cwe": 798}`)
	if put["title"] != "AWS key in config" || put["severity"] != "Critical" || put["numerical_severity"] != "S0" || put["verified"] != true ||
		put["cwe"] != float64(798) || put["hash_code"] != f["hash_code"] {
		t.Fatalf("finding after PUT: %v", put)
	}
}

// DefectDojo's text fields with null=True take null (dd-import's PATCH
// sends {"branch_tag": null} when the job has no branch); SecBot stores
// them blank. Fields without null=True still refuse it.
func TestNullTextFields(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	pt := s.must(t, 201, "POST", "/api/v2/product_types/", `{"name": "Web", "description": null}`)
	product := s.must(t, 201, "POST", "/api/v2/products/", fmt.Sprintf(`{"name": "shop", "description": "d", "prod_type": %d}`, id(pt)))
	eng := s.must(t, 201, "POST", "/api/v2/engagements/", fmt.Sprintf(`{"name": "ci", "product": %d, "target_start": "2024-01-01",
		"target_end": "2024-12-31", "build_id": "1", "branch_tag": "main"}`, id(product)))
	path := fmt.Sprintf("/api/v2/engagements/%d/", id(eng))
	changed := s.must(t, 200, "PATCH", path, `{"build_id": "42", "commit_hash": null, "branch_tag": null, "version": null}`)
	if changed["build_id"] != "42" || changed["commit_hash"] != "" || changed["branch_tag"] != "" || changed["version"] != "" || changed["name"] != "ci" {
		t.Fatalf("engagement after a PATCH with nulls: %v", changed)
	}
	s.answer(t, "PATCH", fmt.Sprintf("/api/v2/products/%d/", id(product)), token, `{"description": null}`, 400,
		`{"description": ["This field may not be null."]}`)
	s.answer(t, "PATCH", path, token, `{"target_start": null}`, 400, `{"target_start": ["This field may not be null."]}`)
}
