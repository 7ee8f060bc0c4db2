package api_test

import (
	"encoding/json"
	"net/http"
	"path"
	"strings"
	"testing"
)

// TestSecretsScannersReportsAreRedacted imports DefectDojo's samples of
// the secrets scanners' reports, under their own names (Nosey Parker's
// end in .jsonl): each makes the findings DefectDojo's tests count, and
// none of the secrets they hold is in any table or any answer.
func TestSecretsScannersReportsAreRedacted(t *testing.T) {
	s := newServer(t)
	imports := []struct {
		scanType, fixture string
		total             int
	}{
		{"Trufflehog Scan", "trufflehog/v2_many_vulns.json", 18},
		{"Trufflehog Scan", "trufflehog/v3_github.json", 3},
		{"Ggshield Scan", "ggshield/many_findings.json", 2},
		{"Detect-secrets Scan", "detect_secrets/many_findings.json", 4},
		{"Nosey Parker Scan", "noseyparker/noseyparker_many_vul.jsonl", 3},
		{"Nosey Parker Scan", "noseyparker/noseyparker_0_22_0_without_githistory.jsonl", 6},
	}
	// The samples' secrets (the private key as the start of its body).
	secrets := []string{
		"secret = '9ed54617547cfca783e0f81f8dc5c927e3d1e345'", "AKIAYVP4CIPPERUVIFXG",
		"https://admin:admin@the-internet.herokuapp.com/basic_auth", "b3BlbnNzaC1rZXktdjEAAAAACmFl",
		"&dtzi36g3", "dtzi36g3---", "32ui1ffdasfhu239b4df2ac6609a9919", "bd564db5d5cc358eb0e3523d3e03041739f230d5",
		"DefaultLoginPasswordDoNotChange!", "0x8b72f7cbAD50620c46219ad676Ad9d3a5A273587",
		"LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlKS2dJQkFBS0NB",
	}
	var answers []string
	for _, im := range imports {
		file := report(t, im.fixture, path.Base(im.fixture))
		code, answer := s.upload(t, "/api/v2/import-scan/", "Token "+token, map[string]string{"scan_type": im.scanType,
			"product_name": "secrets", "engagement_name": im.fixture, "auto_create_context": "true"}, file, path.Base(im.fixture))
		var resp struct {
			Statistics struct {
				After map[string]map[string]int `json:"after"`
			} `json:"statistics"`
		}
		if code != http.StatusCreated || json.Unmarshal(answer, &resp) != nil || resp.Statistics.After["total"]["total"] != im.total {
			t.Fatalf("%s import of %s: %d %s; want 201 with %d findings", im.scanType, im.fixture, code, answer, im.total)
		}
		answers = append(answers, string(answer))
	}
	answers = append(answers, s.getOK(t, "/api/v2/findings/?limit=100"))
	tables := s.dump(t)
	if !strings.Contains(tables["findings"], "REDACTED") {
		t.Fatal("no finding shows where its secret was")
	}
	for _, secret := range secrets {
		for i, answer := range answers {
			if strings.Contains(answer, secret) {
				t.Errorf("API answer %d holds the secret %.6s…", i, secret)
			}
		}
		for table, rows := range tables {
			if strings.Contains(rows, secret) {
				t.Errorf("table %s holds the secret %.6s…", table, secret)
			}
		}
	}
}
