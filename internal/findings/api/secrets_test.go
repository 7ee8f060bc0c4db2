package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestImportedSecretsAreRedacted uploads the reports of a gitleaks scan,
// as JSON (v8 and v7) and as SARIF, with secrets in clear: they are stored
// redacted, so none of the secrets is in any column of any table, nor in
// any answer of the API.
func TestImportedSecretsAreRedacted(t *testing.T) {
	s := newServer(t)
	secrets := []string{"glpat-9Hq2LmXv7TzR4kWb1Nc8", "AKIAZX8QWERTY12345AB", "ghp_R8x2Lk9QmT4vW7zN1bY5cP3sJ6hF0aD2gE8u"}
	reports := map[string]string{
		"Gitleaks Scan": `[{"Description": "GitLab Personal Access Token", "StartLine": 2, "File": "config/settings.env",
			"RuleID": "gitlab-pat", "Secret": "` + secrets[0] + `", "Match": "GITLAB_TOKEN=` + secrets[0] + `",
			"Commit": "68bcd21ac5b7", "Message": "add settings", "Tags": []},
			{"rule": "AWS Manager ID", "offender": "` + secrets[1] + `", "line": "aws_id = ` + secrets[1] + `",
			"file": "deploy/aws.tf", "lineNumber": 7, "commit": "abc", "commitMessage": "deploy"}]`,
		"SARIF": `{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "gitleaks"}}, "results": [{"ruleId": "github-pat",
			"message": {"text": "github-pat has detected secret for file a.env."}, "locations": [{"physicalLocation":
			{"artifactLocation": {"uri": "a.env"}, "region": {"startLine": 1, "snippet": {"text": "` + secrets[2] + `"}}}}]}]}]}`,
	}
	var answers []string
	for scanType, body := range reports {
		path := filepath.Join(t.TempDir(), "report.json")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		code, answer := s.upload(t, "/api/v2/import-scan/", "Token "+token, map[string]string{"scan_type": scanType,
			"product_name": "demo", "engagement_name": "CI", "auto_create_context": "true"}, path, "report.json")
		if code != http.StatusCreated {
			t.Fatalf("%s import: %d %s", scanType, code, answer)
		}
		answers = append(answers, string(answer))
	}
	list := s.getOK(t, "/api/v2/findings/?limit=100")
	answers = append(answers, list)
	var page struct {
		Results []struct {
			ID          int    `json:"id"`
			Description string `json:"description"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(list), &page); err != nil || len(page.Results) != 3 {
		t.Fatalf("findings list: %v %s", err, list)
	}
	for _, f := range page.Results {
		if !strings.Contains(f.Description, "REDACTED") {
			t.Errorf("finding %d does not show where its secret was: %s", f.ID, f.Description)
		}
		answers = append(answers, s.getOK(t, fmt.Sprintf("/api/v2/findings/%d/", f.ID)))
	}
	tables := s.dump(t)
	for _, secret := range secrets {
		for i, answer := range answers {
			if strings.Contains(answer, secret) {
				t.Errorf("API answer %d holds the secret %s…", i, secret[:6])
			}
		}
		for table, rows := range tables {
			if strings.Contains(rows, secret) {
				t.Errorf("table %s holds the secret %s…", table, secret[:6])
			}
		}
	}
}

// getOK sends a GET with the admin's token and returns its 200 answer.
func (s *server) getOK(t *testing.T, path string) string {
	t.Helper()
	code, body := s.get(t, path)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, code, body)
	}
	return body
}

// dump is every row of every table of the database, as text: what
// pg_dump would write.
func (s *server) dump(t *testing.T) map[string]string {
	t.Helper()
	ctx := context.Background()
	rows, err := s.db.Pool.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(tables) < 10 {
		t.Fatalf("listing tables: %v (%d)", err, len(tables))
	}
	out := map[string]string{}
	for _, table := range tables {
		rows, err := s.db.Pool.Query(ctx, "SELECT t::text FROM "+pgx.Identifier{table}.Sanitize()+" t")
		if err != nil {
			t.Fatal(err)
		}
		text, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		out[table] = strings.Join(text, "\n")
	}
	return out
}
