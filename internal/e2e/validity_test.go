package e2e_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/verify/verifytest"
)

// secretFinding is what the test reads of a finding.
type secretFinding struct {
	ID             int      `json:"id"`
	FilePath       string   `json:"file_path"`
	Validity       string   `json:"validity"`
	ValidityOwner  string   `json:"validity_owner"`
	ValidityScopes []string `json:"validity_scopes"`
	Revocation     *struct {
		Status int    `json:"status"`
		After  string `json:"after"`
	} `json:"secret_revocation"`
}

// pushLiveAndDead pushes a GitLab token the instance knows (live) and a
// GitHub token GitHub does not (dead), waits for the verdict and returns
// it with the commit's findings by file.
func (s *stack) pushLiveAndDead(pat, ghp string) (string, string, map[string]secretFinding) {
	s.t.Helper()
	base := s.repo.Commit("initial", map[string]string{"README.md": "# app\n"})
	s.repo.Push("main")
	leaky := s.repo.Commit("add tokens", map[string]string{"deploy.env": "GITLAB_TOKEN=" + pat + "\n", "ci.env": "GITHUB_TOKEN=" + ghp + "\n"})
	s.repo.Push("main")
	id := s.push(base, leaky)
	status := s.gate(id, "60s").Status
	s.settled(id)
	var page struct{ Results []secretFinding }
	s.api(http.MethodGet, "/api/v2/findings/?test__tags="+leaky, nil, &page)
	byFile := map[string]secretFinding{}
	for _, f := range page.Results {
		byFile[f.FilePath] = f
	}
	if len(byFile) != 2 {
		s.t.Fatalf("findings of the commit: %+v", page.Results)
	}
	return id, status, byFile
}

// TestLiveSecretsEndToEnd runs the three processes with the secrets'
// providers behind an intercepting HTTPS proxy (the worker reaches them
// through HTTPS_PROXY, trusting the proxy's CA through SSL_CERT_FILE) and
// GitLab's stand-in knowing the planted GitLab token: the GitLab token is
// valid with its owner and scopes, the GitHub one invalid; with
// gate.validity [valid] only the live one blocks; each secret left the
// worker in one request only, to its own provider.
func TestLiveSecretsEndToEnd(t *testing.T) {
	t.Parallel()
	providers := verifytest.New(t)
	s := newStackWith(t, stackOptions{gate: "{validity: [valid]}", env: providers.Env()})
	pat, ghp := "glpat-"+randomHex(10), "ghp_"+randomHex(18)
	s.git.Tokens.Add(pat, verifytest.GitLabToken{Kind: "personal", ID: 42, UserID: 7, Username: "alice", Scopes: []string{"api", "read_repository"}})
	id, status, got := s.pushLiveAndDead(pat, ghp)
	live, dead := got["deploy.env"], got["ci.env"]
	if live.Validity != "valid" || !strings.Contains(live.ValidityOwner, "7") || strings.Join(live.ValidityScopes, ",") != "api,read_repository" {
		t.Errorf("the live GitLab token: %+v", live)
	}
	if dead.Validity != "invalid" {
		t.Errorf("the dead GitHub token: %+v", dead)
	}
	if status != "fail" {
		t.Fatalf("a push with a live token: %q, want fail", status)
	}
	// Only the live one blocks: once it is triaged, the dead one alone
	// lets the commit pass.
	if code := s.api(http.MethodPatch, fmt.Sprintf("/api/v2/findings/%d/", live.ID), map[string]any{"false_p": true}, nil); code != http.StatusOK {
		t.Fatalf("triage: %d", code)
	}
	if got := s.gate(id, "10s").Status; got != "success" {
		t.Fatalf("with the live token triaged and the dead one left: %q, want success", got)
	}

	// Each secret went out once, to its own provider; nothing else holds it.
	carrying := 0
	for _, r := range s.git.Tokens.Requests() {
		if r.Contains(pat) {
			carrying++
		}
	}
	if carrying != 1 {
		t.Errorf("requests to the instance carrying its token: %d, want 1", carrying)
	}
	toGitHub := providers.Search(ghp)
	if len(toGitHub) != 1 || toGitHub[0].Host != "api.github.com" {
		t.Errorf("requests carrying the GitHub token: %+v, want one to api.github.com", toGitHub)
	}
	if n := len(providers.Search(pat)); n != 0 {
		t.Errorf("the GitLab token went to other providers: %d requests", n)
	}
	for place, texts := range s.everywhere() {
		for _, text := range texts {
			for name, value := range map[string]string{"the GitLab token": pat, "the GitHub token": ghp} {
				if strings.Contains(text, value) {
					t.Errorf("%s holds %s", place, name)
				}
			}
		}
	}
}

// TestLiveGitLabTokenRevokedEndToEnd: with revoke: true the worker revokes
// the live token with the instance's admin token, checks it again
// (invalid), and the finding says what GitLab answered.
func TestLiveGitLabTokenRevokedEndToEnd(t *testing.T) {
	t.Parallel()
	providers := verifytest.New(t)
	s := newStackWith(t, stackOptions{gitleaks: "revoke: true", env: providers.Env()})
	pat, ghp := "glpat-"+randomHex(10), "ghp_"+randomHex(18)
	s.git.Tokens.Add(pat, verifytest.GitLabToken{Kind: "personal", ID: 43, UserID: 7, Scopes: []string{"api"}})
	_, status, got := s.pushLiveAndDead(pat, ghp)
	if tok, _ := s.git.Tokens.Token(pat); !tok.Revoked {
		t.Fatal("the live token was not revoked")
	}
	revoked := got["deploy.env"]
	if revoked.Validity != "invalid" || revoked.Revocation == nil || revoked.Revocation.Status/100 != 2 || revoked.Revocation.After != "invalid" {
		t.Fatalf("the revoked token's finding: %+v (revocation %+v)", revoked, revoked.Revocation)
	}
	if status != "fail" {
		t.Errorf("the default gate with two secrets: %q, want fail", status)
	}
	if n := s.db.Count(t, `SELECT count(*) FROM finding_events WHERE finding = $1 AND change ? 'revoked'`, revoked.ID); n != 1 {
		t.Errorf("revocations in the finding's history: %d, want 1", n)
	}
}
