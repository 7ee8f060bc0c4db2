package service_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/gitlab"
	"github.com/secbot/secbot/internal/handler"
	"github.com/secbot/secbot/internal/output/defectdojo"
	"github.com/secbot/secbot/internal/scan/command"
	"github.com/secbot/secbot/internal/scan/gitleaks"
	"github.com/secbot/secbot/internal/testenv"
)

// scannersJob runs gitleaks and two real SAST tools through the command
// handler, flawfinder sandboxed, into the built-in findings service.
const scannersJob = `
components:
  secrets:
    handler_name: gitleaks
    config: {cache_dir: %[1]q}
  flawfinder:
    handler_name: command
    config:
      command: [flawfinder, --sarif, "{dir}"]
      scan_type: SARIF
      sandbox: true
      cache_dir: %[1]q
  bandit:
    handler_name: command
    config:
      command: [bandit, -r, "{dir}", -f, json, -o, "{report}"]
      scan_type: Bandit Scan
      ok_exit_codes: [0, 1]
      cache_dir: %[1]q
  dojo:
    handler_name: defectdojo
    config: {url: %[2]q, secret_key: %[3]q, minimum_severity: Low}
  fake-notify: {handler_name: fake-notify}
jobs:
  - name: sast
    rules: {gitlab: null}
    scans: [secrets, flawfinder, bandit]
    outputs: [dojo]
    notifications: [fake-notify]
`

// One push with a planted secret, a C buffer overflow and a Python eval:
// one check, each report imported as its own scan type, the verdict fail
// until every finding is triaged, then success; a clean push passes.
func TestScannersOnOnePush(t *testing.T) {
	t.Parallel()
	const apiToken = "glpat-SecBotApiToken00002"
	git := testenv.NewGitServer(t, apiToken)
	repo := git.NewRepo(t, "group/app")
	before := repo.Commit("initial", map[string]string{"README.md": "# app\n"})
	after := repo.Commit("add code", map[string]string{
		"settings.env": "TOKEN=\"glpat-Xk9vQ2mT7pLr4sWz8YbM\"\n",
		"src/copy.c":   "#include <string.h>\nvoid copy(char *s) { char buf[8]; strcpy(buf, s); }\n",
		"app/run.py":   "def run(expr):\n    return eval(expr)\n",
	})
	clean := repo.Commit("docs", map[string]string{"docs/intro.md": "# intro\n"})
	repo.Push("main")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	reporterURL := "http://" + ln.Addr().String()
	h := newHarness(t, fmt.Sprintf(scannersJob, t.TempDir(), reporterURL, dojoToken), config.Env{"GITLAB_CONFIGS": fmt.Sprintf(
		`[{"host":%q,"webhook_secret_token":%q,"auth_token":%q,"prefix":%q}]`, git.Server.URL, hookToken, apiToken, prefix)})
	go func() { _ = h.reporter.App.Listener(ln) }()
	h.startWorkerWith(h.registry(handler.Scan("gitleaks", nil, gitleaks.New), handler.Scan("command", command.Check, command.New),
		handler.Export("defectdojo", nil, defectdojo.New)))

	push := func(before, after string) string {
		body := hook(t, "webhooks/push.json", func(b map[string]any) {
			b["before"], b["after"], b["checkout_sha"], b["ref"] = before, after, after, "refs/heads/main"
			p := b["project"].(map[string]any)
			p["git_http_url"], p["git_ssh_url"], p["path_with_namespace"] = repo.URL, "git@127.0.0.1:group/app.git", "group/app"
		})
		if r := h.post("Push Hook", body, nil); r.Code != http.StatusOK {
			t.Fatalf("hook: %d %s", r.Code, r.Raw)
		}
		return gitlab.SecurityCheckID(prefix, "git@127.0.0.1:group/app.git", after)
	}
	id := push(before, after)
	got := h.waitAllTasks(id)
	if got.Body["status"] != "fail" {
		t.Fatalf("status = %s\nlogs:\n%s", got.Raw, h.logText())
	}
	// The check detail names each scan's report format.
	types := map[string]string{}
	for _, task := range got.Body["tasks"].([]any) {
		task := task.(map[string]any)
		if task["kind"] == "scan" {
			types[task["scan"].(string)], _ = task["scan_type"].(string)
		}
	}
	if want := map[string]string{"secrets": "Gitleaks Scan", "flawfinder": "SARIF", "bandit": "Bandit Scan"}; !maps.Equal(types, want) {
		t.Errorf("scan types in the check detail = %v, want %v", types, want)
	}

	// Each scan's report is a test of its own scan type, with its finding.
	type finding struct {
		ID       int    `json:"id"`
		Title    string `json:"title"`
		FilePath string `json:"file_path"`
		Test     int    `json:"test"`
	}
	var list struct{ Results []finding }
	h.api(reporterURL, http.MethodGet, "/api/v2/findings/?limit=100&test__tags="+after, "", &list)
	var tests struct {
		Results []struct {
			ID       int    `json:"id"`
			ScanType string `json:"scan_type"`
		}
	}
	h.api(reporterURL, http.MethodGet, "/api/v2/tests/?limit=100", "", &tests)
	typeOf := map[int]string{}
	for _, tt := range tests.Results {
		typeOf[tt.ID] = tt.ScanType
	}
	files := map[string][]string{}
	for _, f := range list.Results {
		files[typeOf[f.Test]] = append(files[typeOf[f.Test]], f.FilePath)
	}
	for scanType, file := range map[string]string{"Gitleaks Scan": "settings.env", "SARIF": "src/copy.c", "Bandit Scan": "app/run.py"} {
		if !slices.ContainsFunc(files[scanType], func(p string) bool { return strings.HasSuffix(p, file) }) {
			t.Errorf("no %s finding in %s: %v", scanType, file, files)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// Triage every finding: the same check is then success.
	for _, f := range list.Results {
		h.api(reporterURL, http.MethodPatch, fmt.Sprintf("/api/v2/findings/%d/", f.ID), `{"false_p": true}`, nil)
	}
	if s := h.status(id, ""); s.Body["status"] != "success" {
		t.Fatalf("after triage: %s", s.Raw)
	}
	if got := h.waitAllTasks(push(after, clean)); got.Body["status"] != "success" {
		t.Fatalf("clean push: %s\nlogs:\n%s", got.Raw, h.logText())
	}
}

// api calls the findings API with the admin's token, decoding the answer
// into v when v is not nil.
func (h *harness) api(base, method, path, body string, v any) {
	h.t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Token "+dojoToken)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		h.t.Fatalf("%s %s: %s", method, path, resp.Status)
	}
	if v != nil {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			h.t.Fatal(err)
		}
	}
}
