package gitlab_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/secbot/secbot/internal/gitlab"
)

// ciJob reads a job's script and the file's variables from a GitLab CI
// file of docs/ci.
func ciJob(t *testing.T, file, job string) (string, map[string]string) {
	t.Helper()
	raw, err := os.ReadFile("../../docs/ci/" + file)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s is not YAML: %v", file, err)
	}
	vars := map[string]string{}
	for k, v := range doc["variables"].(map[string]any) {
		vars[k] = v.(string)
	}
	var lines []string
	for _, l := range doc[job].(map[string]any)["script"].([]any) {
		lines = append(lines, l.(string))
	}
	return strings.Join(lines, "\n"), vars
}

// gateServer answers the gate like SecBot's reporter, from a script of
// statuses, and records the ids it was asked about.
type gateServer struct {
	mu       sync.Mutex
	statuses []string
	asked    []string
}

func (g *gateServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.asked = append(g.asked, strings.TrimPrefix(r.URL.Path, "/v1/security/gitlab/check/"))
	status := g.statuses[0]
	if len(g.statuses) > 1 {
		g.statuses = g.statuses[1:]
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"status": "` + status + `", "security_check_id": "x"}`))
}

func TestCIGates(t *testing.T) {
	for _, tool := range []string{"sh", "curl", "sha256sum", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the gate scripts need %s (make deps installs it): %v", tool, err)
		}
	}
	const host, path, sha = "gitlab.example.com", "group/sub/app", "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"
	want := gitlab.SecurityCheckID("acme", "git@"+host+":"+path+".git", sha)
	for _, tt := range []struct {
		name, file, job string
		statuses        []string
		exit            int
		says            string
	}{
		{"template: success", "secbot-gate.gitlab-ci.yml", "secbot-gate", []string{"success"}, 0, "nothing blocks this commit"},
		{"template: fail", "secbot-gate.gitlab-ci.yml", "secbot-gate", []string{"fail"}, 1, "/check/" + want},
		{"template: error", "secbot-gate.gitlab-ci.yml", "secbot-gate", []string{"error"}, 1, "could not finish the check"},
		{"template: busy, then success", "secbot-gate.gitlab-ci.yml", "secbot-gate", []string{"in_progress", "success"}, 0, "asking again"},
		{"template: never seen", "secbot-gate.gitlab-ci.yml", "secbot-gate", []string{"not_started"}, 1, "check that GitLab's hook reaches SecBot"},
		{"original curl and jq: success", "curl-jq-gate.gitlab-ci.yml", "security-check", []string{"in_progress", "success"}, 0, "success"},
		{"original curl and jq: fail", "curl-jq-gate.gitlab-ci.yml", "security-check", []string{"fail"}, 1, "fail"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			script, vars := ciJob(t, tt.file, tt.job)
			g := &gateServer{statuses: tt.statuses}
			srv := httptest.NewServer(g)
			defer srv.Close()
			vars["SECBOT_URL"], vars["SECBOT_PREFIX"], vars["SECBOT_RETRY_DELAY"] = srv.URL, "acme", "0"
			vars["CI_SERVER_HOST"], vars["CI_PROJECT_PATH"], vars["CI_COMMIT_SHA"] = host, path, sha
			cmd := exec.Command("sh", "-c", strings.ReplaceAll(script, "sleep 10", "sleep 0"))
			cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
			for k, v := range vars {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			out, err := cmd.CombinedOutput()
			code := 0
			if exitErr, ok := err.(*exec.ExitError); ok {
				code = exitErr.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.exit || !strings.Contains(string(out), tt.says) {
				t.Fatalf("exit %d, want %d, saying %q:\n%s", code, tt.exit, tt.says, out)
			}
			for _, id := range g.asked {
				if id != want {
					t.Fatalf("the gate asked for %s, the receiver computes %s", id, want)
				}
			}
		})
	}
}
