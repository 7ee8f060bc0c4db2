package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/testenv"
	"github.com/secbot/secbot/internal/testenv/fixtures"
)

const (
	token = testenv.FindingsToken
	dojo  = "defectdojo/"
)

type server struct {
	url string
	db  *testenv.DB
}

func newServer(t *testing.T) *server {
	t.Helper()
	url, db := testenv.FindingsServer(t)
	return &server{url: url, db: db}
}

// report copies a fixture to a temporary file named name.
func report(t *testing.T, fixture, name string) string {
	t.Helper()
	data, err := fixtures.ReadFile(dojo + fixture)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// upload posts a multipart import the way a Go client would.
func (s *server) upload(t *testing.T, path, auth string, fields map[string]string, file, filename string) (int, []byte) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		part, _ := w.CreateFormFile("file", filename)
		part.Write(data)
	}
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, s.url+path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func TestCurlUploadFromARealPipeline(t *testing.T) {
	s := newServer(t)
	dir := filepath.Dir(report(t, "sarif/njsscan.sarif", "report.sarif"))
	// The command of a real CI job, unchanged but for host and token.
	cmd := exec.Command("sh", "-c", `curl -sS -w '\n%{http_code}' -X POST `+s.url+`/api/v2/import-scan/ -H "Authorization: Token $TOKEN" -F scan_type=SARIF -F file=@report.sarif -F product_name=demo -F engagement_name="CI Engagement" -F test_title="CI Scan" -F auto_create_context=True -F active=True -F verified=True`)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TOKEN="+token)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("curl: %v %s", err, out)
	}
	body, code, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	if code != "201" {
		t.Fatalf("curl got %s %s", code, body)
	}
	var resp map[string]any
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatal(err)
	}
	stats := resp["statistics"].(map[string]any)["after"].(map[string]any)["total"].(map[string]any)
	if stats["total"] != 3.0 || stats["verified"] != 3.0 || resp["test_title"] != "CI Scan" || resp["product_id"] == nil {
		t.Fatalf("response = %s", body)
	}
	if n := s.db.Count(t, `SELECT count(*) FROM engagements e JOIN products p ON p.id = e.product
		WHERE p.name = 'demo' AND e.name = 'CI Engagement'`); n != 1 {
		t.Fatalf("product and engagement created: %d", n)
	}
}

// python finds an interpreter with the requests library (scripts/deps.sh
// installs python3-requests when none has it).
func python(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(py, "-c", "import requests").Run() == nil {
			return py
		}
	}
	t.Fatal("no python3 with the requests library: run `make deps` (scripts/deps.sh installs python3-requests)")
	return ""
}

func TestPythonRequestsUpload(t *testing.T) {
	s := newServer(t)
	path := report(t, "trivy/misconfigurations_and_secrets.json", "trivy.json")
	script := `
import os, sys, requests
r = requests.post(os.environ["URL"] + "/api/v2/import-scan/",
    headers={"Authorization": "Token " + os.environ["TOKEN"]},
    data={"scan_type": "Trivy Scan", "product_type_name": "containers", "product_name": "api",
          "engagement_name": "nightly", "auto_create_context": "true", "minimum_severity": "High",
          "tags": ["nightly", "trivy"]},
    files={"file": open(os.environ["REPORT"], "rb")})
print(r.status_code)
print(r.text)
`
	cmd := exec.Command(python(t), "-c", script)
	cmd.Env = append(os.Environ(), "URL="+s.url, "TOKEN="+token, "REPORT="+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v %s", err, out)
	}
	code, body, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	if code != "201" {
		t.Fatalf("requests got %s %s", code, body)
	}
	var resp struct {
		Tags       []string `json:"tags"`
		Statistics struct {
			After map[string]map[string]int `json:"after"`
		} `json:"statistics"`
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatal(err)
	}
	// 5 findings: a High vulnerability, a High misconfiguration and two
	// Critical secrets pass minimum_severity High; the Medium one does not.
	if got := resp.Statistics.After["total"]["total"]; got != 4 || resp.Statistics.After["medium"]["total"] != 0 || strings.Join(resp.Tags, ",") != "nightly,trivy" {
		t.Fatalf("response: %s", body)
	}
}

func TestImportErrors(t *testing.T) {
	s := newServer(t)
	sarif := report(t, "sarif/njsscan.sarif", "report.sarif")
	broken := filepath.Join(t.TempDir(), "broken.json")
	os.WriteFile(broken, []byte(`{"runs": [ {"results": [`), 0o600)
	auth := "Token " + token
	base := map[string]string{"scan_type": "SARIF", "product_name": "demo", "engagement_name": "CI", "auto_create_context": "true"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "" {
				delete(m, kv[i])
			} else {
				m[kv[i]] = kv[i+1]
			}
		}
		return m
	}
	tests := []struct {
		name, auth string
		fields     map[string]string
		file, as   string
		code       int
		want       string
	}{
		{"missing token", "", base, sarif, "r.sarif", 403, `{"detail":"Authentication credentials were not provided."}`},
		{"bad token", "Token 0000000000000000000000000000000000000000", base, sarif, "r.sarif", 403, `{"detail":"Invalid token."}`},
		{"unknown scan type", auth, with("scan_type", "Nessus Scan"), sarif, "r.sarif", 400, `{"scan_type":["\"Nessus Scan\" is not a valid choice.","SecBot reads these scan types: Anchore Grype, Bandit Scan, Checkov Scan,`},
		{"missing context", auth, with("auto_create_context", ""), sarif, "r.sarif", 400, `["Product \"demo\" does not exist"]`},
		{"no file", auth, base, "", "", 400, `{"non_field_errors":["Uploading a Report File is required for SARIF"]}`},
		{"no extension", auth, base, sarif, "report", 400, `File extension \"\" is not allowed`},
		{"future scan date", auth, with("scan_date", "2999-01-01"), sarif, "r.sarif", 400, `{"scan_date":["The scan_date cannot be in the future!"]}`},
		{"bad boolean", auth, with("active", "maybe"), sarif, "r.sarif", 400, `{"active":["Must be a valid boolean."]}`},
		{"broken report", auth, base, broken, "broken.json", 400, `{"message":"report format not recognised: SARIF wants`},
		{"path-like file name", auth, with("product_name", "paths"), sarif, "../../etc/report.sarif", 201, `"product_name":"paths"`},
	}
	// Reports are spooled to the temporary directory: every one is gone
	// when its request is answered.
	spool := t.TempDir()
	t.Setenv("TMPDIR", spool)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := s.upload(t, "/api/v2/import-scan/", tt.auth, tt.fields, tt.file, tt.as)
			if code != tt.code || !strings.Contains(string(body), tt.want) {
				t.Fatalf("got %d %s, want %d with %s", code, body, tt.code, tt.want)
			}
		})
	}
	if n := s.db.Count(t, "SELECT count(*) FROM products WHERE name = 'demo'"); n != 0 {
		t.Fatalf("failed imports stored a product (%d)", n)
	}
	if left, _ := os.ReadDir(spool); len(left) != 0 {
		t.Fatalf("spooled reports left behind: %v", left)
	}

	req, _ := http.NewRequest(http.MethodPost, s.url+"/api/v2/import-scan/", strings.NewReader("--x\r\nnot a part"))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	req.Header.Set("Authorization", auth)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), "Send the report as multipart/form-data") {
		t.Fatalf("malformed multipart: %d %s", resp.StatusCode, body)
	}
}

// TestImportJSONLines posts nuclei's reports under their own names, as
// DefectDojo takes them: .jsonl is a report's extension, and an empty
// report (nuclei writes nothing when it finds nothing) is an empty test.
func TestImportJSONLines(t *testing.T) {
	s := newServer(t)
	fields := map[string]string{"scan_type": "Nuclei Scan", "product_name": "web", "engagement_name": "DAST", "auto_create_context": "true"}
	for _, tt := range []struct {
		file, as string
		total    int
	}{{"nuclei/empty.jsonl", "empty.jsonl", 0}, {"nuclei/many_findings.json", "many_findings.jsonl", 16}} {
		code, body := s.upload(t, "/api/v2/import-scan/", "Token "+token, fields, report(t, tt.file, tt.as), tt.as)
		var resp struct {
			Statistics struct {
				After map[string]map[string]int `json:"after"`
			} `json:"statistics"`
		}
		if code != 201 || json.Unmarshal(body, &resp) != nil || resp.Statistics.After["total"]["total"] != tt.total {
			t.Fatalf("%s: %d %s, want 201 with %d findings", tt.as, code, body, tt.total)
		}
	}
}

func TestTokenAuthAndProfile(t *testing.T) {
	s := newServer(t)
	post := func(body string) (int, map[string]any) {
		resp, err := http.Post(s.url+"/api/v2/api-token-auth/", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	if code, _ := post(`{"username":"admin","password":"wrong"}`); code != 400 {
		t.Fatalf("wrong password: %d", code)
	}
	code, out := post(`{"username":"admin","password":"admin-password"}`)
	key, _ := out["token"].(string)
	if code != 200 || len(key) != 40 {
		t.Fatalf("login: %d %v", code, out)
	}
	req, _ := http.NewRequest(http.MethodGet, s.url+"/api/v2/user_profile/", nil)
	req.Header.Set("Authorization", "Token "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"username":"admin"`) {
		t.Fatalf("profile: %d %s", resp.StatusCode, body)
	}
	if n := s.db.Count(t, "SELECT count(*) FROM dd_tokens WHERE key_hash = $1 OR key_hash = $2", key, token); n != 0 {
		t.Fatal("a token is stored in clear")
	}
}

func TestSecondUploadIsDuplicates(t *testing.T) {
	s := newServer(t)
	path := report(t, "gitleaks/gitleaks8_many.json", "gitleaks.json")
	fields := map[string]string{"scan_type": "Gitleaks Scan", "product_type_name": "git.example", "product_name": "group/app",
		"engagement_name": "main", "auto_create_context": "yes"}
	var stats []map[string]int
	for range 2 {
		code, body := s.upload(t, "/api/v2/import-scan/", "Token "+token, fields, path, "gitleaks.json")
		if code != 201 {
			t.Fatalf("%d %s", code, body)
		}
		var resp struct {
			Statistics struct {
				After map[string]map[string]int `json:"after"`
			} `json:"statistics"`
		}
		json.Unmarshal(body, &resp)
		stats = append(stats, resp.Statistics.After["total"])
	}
	if stats[0]["active"] != 3 || stats[1]["duplicate"] != 3 || stats[1]["active"] != 0 {
		t.Fatalf("statistics: first %v, second %v", stats[0], stats[1])
	}
}
