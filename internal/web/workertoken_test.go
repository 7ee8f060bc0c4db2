package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/gitlab"
	"github.com/secbot/secbot/internal/handler"
	"github.com/secbot/secbot/internal/output/defectdojo"
	"github.com/secbot/secbot/internal/testenv/fixtures"
)

const workerToken = "w0rk3rw0rk3rw0rk3rw0rk3rw0rk3rw0rk3rw0rk"

// TestWorkerTokenHasOnlyTheRolesItNeeds starts the reporter with
// SECBOT_WORKER_TOKEN, as the shipped settings do: the defectdojo output
// exports with it into the GitLab instance's product type (creating the
// project's product), and the token sees nothing of another product type,
// cannot create product types or read users, and opens no sign-in.
func TestWorkerTokenHasOnlyTheRolesItNeeds(t *testing.T) {
	t.Parallel()
	s := newSite(t, "SECBOT_WORKER_TOKEN", workerToken,
		"GITLAB_CONFIGS", `[{"host": "https://gitlab.example.com", "webhook_secret_token": "x", "auth_token": "", "prefix": "secbot"}]`)
	s.replica(t) // a second start changes nothing
	if n := s.db.Count(t, `SELECT count(*) FROM product_type_members m JOIN dd_users u ON u.id = m.user_id
		WHERE u.username = $1 AND NOT u.is_superuser AND m.role = $2`, findings.WorkerUser, findings.RoleMaintainer); n != 1 {
		t.Fatalf("the worker's memberships: %d, want 1 (Maintainer of gitlab.example.com)", n)
	}
	svc := findings.NewService(s.db.Pool)
	other, err := svc.Import(ctx, findings.ImportOptions{ScanType: "Gitleaks Scan", Target: findings.Target{ProductTypeName: "other team",
		ProductName: "other/app", EngagementName: "CI", AutoCreateContext: true}}, fixture(t, "Gitleaks Scan", "gitleaks/data_one.json"))
	if err != nil {
		t.Fatal(err)
	}

	out, err := defectdojo.NewOutput(defectdojo.Settings{URL: s.url, SecretKey: workerToken, LeadID: "1"})
	if err != nil {
		t.Fatal(err)
	}
	report, err := fixtures.ReadFile("defectdojo/gitleaks/data_many.json")
	if err != nil {
		t.Fatal(err)
	}
	req := &handler.Request{Instance: config.Instance{Host: "https://gitlab.example.com"},
		Event: gitlab.Event{Type: gitlab.Push, CommitSHA: strings.Repeat("b", 40),
			Project: gitlab.Project{PathWithNamespace: "group/new-app", WebURL: "https://gitlab.example.com/group/new-app"}},
		Inputs: []handler.Input{{Result: handler.Result{Findings: 1, ScanType: "Gitleaks Scan", Data: report}}}}
	res, err := out.Export(context.Background(), req)
	if err != nil {
		t.Fatalf("the worker's export into its instance's product type: %v", err)
	}
	if res.Findings == 0 {
		t.Fatal("the worker's export imported nothing")
	}
	if n := s.db.Count(t, `SELECT count(*) FROM products p JOIN product_types pt ON pt.id = p.prod_type
		WHERE p.name = 'group/new-app' AND pt.name = 'gitlab.example.com'`); n != 1 {
		t.Fatal("the export did not create the project's product in the instance's product type")
	}

	call := func(method, path, body string) (int, string) {
		code, _, out := apiCall(t, s.url, method, path, workerToken, body, nil)
		raw, _ := json.Marshal(out)
		return code, string(raw)
	}
	if code, body := call("GET", "/api/v2/products/", ""); code != http.StatusOK || strings.Contains(body, "other/app") || !strings.Contains(body, "group/new-app") {
		t.Errorf("the products the worker sees: %d %s", code, body)
	}
	if code, _ := call("GET", "/api/v2/products/"+strconv.Itoa(other.Product)+"/", ""); code != http.StatusNotFound {
		t.Errorf("another team's product: %d, want 404", code)
	}
	if code, _ := call("POST", "/api/v2/product_types/", `{"name": "made by the worker"}`); code != http.StatusForbidden {
		t.Errorf("the worker creating a product type: %d, want 403", code)
	}
	if code, _ := call("GET", "/api/v2/users/", ""); code != http.StatusForbidden {
		t.Errorf("the worker listing users: %d, want 403", code)
	}
	if code, _, _ := tokenAuth(t, s.url, findings.WorkerUser, "", nil); code == http.StatusOK {
		t.Error("the worker's user signs in without a password")
	}
}
