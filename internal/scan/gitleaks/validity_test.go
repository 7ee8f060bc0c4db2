package gitleaks

import (
	"fmt"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/verify/verifytest"
)

// pushTwoSecrets pushes a GitLab token and a GitHub token in one commit
// and scans the push, by rule id.
func (f *fixture) pushTwoSecrets() map[string]Finding {
	f.t.Helper()
	before := f.repo.Head()
	after := f.repo.Commit("add tokens", map[string]string{
		"deploy.env": "GITLAB_TOKEN=\"" + secret + "\"\n",
		"ci.env":     "GITHUB_TOKEN=\"" + secret2 + "\"\n",
	})
	f.repo.Push("main")
	byRule := map[string]Finding{}
	for _, x := range f.mustScan(f.push(before, after, "refs/heads/main")) {
		byRule[x.RuleID] = x
	}
	if len(byRule) != 2 {
		f.t.Fatalf("findings by rule: %v", byRule)
	}
	return byRule
}

// TestSecretsAreCheckedWithTheirProviders: the instance the push came from
// knows the GitLab token (live, with its owner and scopes); GitHub does not
// know its token (invalid). Each secret went out in one request only, to
// its own provider, and the report holds neither.
func TestSecretsAreCheckedWithTheirProviders(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Settings{})
	f.srv.Tokens.Add(secret, verifytest.GitLabToken{Kind: "personal", ID: 42, UserID: 7, Username: "alice", Scopes: []string{"api", "read_user"}})
	got := f.pushTwoSecrets()
	pat, gh := got["gitlab-pat"], got["github-pat"]
	if pat.Validity != "valid" || pat.ValidityCheckedAt == "" || !strings.Contains(pat.ValidityOwner, "7") ||
		strings.Join(pat.ValidityScopes, ",") != "api,read_user" {
		t.Errorf("the live GitLab token: %q at %q, owner %q, scopes %v", pat.Validity, pat.ValidityCheckedAt, pat.ValidityOwner, pat.ValidityScopes)
	}
	if gh.Validity != "invalid" {
		t.Errorf("the unknown GitHub token: %q, want invalid", gh.Validity)
	}
	if n := len(f.providers.Search(secret2)); n != 1 {
		t.Errorf("requests carrying the GitHub token through the providers' proxy: %d, want 1", n)
	}
	if n := len(f.providers.Search(secret)); n != 0 {
		t.Errorf("the GitLab token went to another provider: %d requests", n)
	}
	carrying := 0
	for _, r := range f.srv.Tokens.Requests() {
		if strings.Contains(r.Header.Get("PRIVATE-TOKEN"), secret) {
			carrying++
		}
	}
	if carrying != 1 {
		t.Errorf("requests to the instance carrying its token: %d, want 1", carrying)
	}
	if pat.Revocation != nil {
		t.Error("revoked without revoke: true")
	}
	if tok, _ := f.srv.Tokens.Token(secret); tok.Revoked {
		t.Error("the token was revoked without revoke: true")
	}
}

// TestLiveGitLabTokenIsRevoked: with revoke: true the live token is
// revoked with the instance's admin token, checked again (invalid), and
// the report says what GitLab answered; the dead GitHub token is left.
func TestLiveGitLabTokenIsRevoked(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Settings{Revoke: true})
	f.srv.Tokens.Add(secret, verifytest.GitLabToken{Kind: "personal", ID: 42, UserID: 7, Scopes: []string{"api"}})
	got := f.pushTwoSecrets()
	pat := got["gitlab-pat"]
	if tok, _ := f.srv.Tokens.Token(secret); !tok.Revoked {
		t.Fatal("the live token was not revoked")
	}
	r := pat.Revocation
	if r == nil || r.Status/100 != 2 || r.After != "invalid" || !strings.Contains(r.By, "personal_access_tokens/42") || r.At.IsZero() {
		t.Fatalf("the revocation: %+v", r)
	}
	if pat.Validity != "invalid" {
		t.Errorf("the revoked token's validity: %q, want invalid (checked again)", pat.Validity)
	}
	if got["github-pat"].Revocation != nil {
		t.Error("a GitHub token was 'revoked'")
	}
}

// TestChecksOff: verify: false sends nothing anywhere, and every finding
// is not_checked; verify_skip_rules leaves out one rule.
func TestChecksOff(t *testing.T) {
	t.Parallel()
	off := false
	f := newFixture(t, Settings{Verify: &off})
	f.srv.Tokens.Add(secret, verifytest.GitLabToken{Kind: "personal", ID: 42, UserID: 7})
	for rule, x := range f.pushTwoSecrets() {
		if x.Validity != "not_checked" {
			t.Errorf("%s with verify: false: %q", rule, x.Validity)
		}
	}
	if n := len(f.providers.Requests()) + len(f.srv.Tokens.Requests()); n != 0 {
		t.Errorf("verify: false made %d requests", n)
	}

	g := newFixture(t, Settings{VerifySkipRules: []string{"gitlab-pat"}})
	g.srv.Tokens.Add(secret, verifytest.GitLabToken{Kind: "personal", ID: 42, UserID: 7})
	got := g.pushTwoSecrets()
	if got["gitlab-pat"].Validity != "not_checked" || got["github-pat"].Validity != "invalid" {
		t.Errorf("verify_skip_rules [gitlab-pat]: %q, %q", got["gitlab-pat"].Validity, got["github-pat"].Validity)
	}
	if n := len(g.srv.Tokens.Requests()); n != 0 {
		t.Errorf("a skipped rule's token was sent to GitLab: %d requests", n)
	}
}

// TestAWSPairInAPush: an AWS access key id pushed with its secret access
// key on the next line is checked with STS, signed with that secret: the
// check sees the lines around the key in the pushed commit, not only the
// key's own line.
func TestAWSPairInAPush(t *testing.T) {
	t.Parallel()
	const keyID, keySecret = "AKIAZ7RXQ2MVW4KDN3PL", "n7Qk2Vd9Rm4Tx8Lp1Zs6Yw3Hc5Bf0Gj7Ka2Ne9Ud"
	f := newFixture(t, Settings{})
	f.providers.Set(keyID, verifytest.Token{Behaviour: verifytest.Valid, Owner: "arn:aws:iam::123456789012:user/deploy", Secret: keySecret})
	// The pair goes into the middle of a file the branch already has, so
	// that the pushed hunk starts below the file's first line.
	var settings strings.Builder
	for i := range 30 {
		fmt.Fprintf(&settings, "setting_%d = %d\n", i, i)
	}
	f.repo.Commit("settings", map[string]string{"config/aws.ini": settings.String()})
	f.repo.Push("main")
	before := f.repo.Head()
	withPair := strings.Replace(settings.String(), "setting_20 = 20\n",
		"setting_20 = 20\n[deploy]\naws_access_key_id = "+keyID+"\naws_secret_access_key = "+keySecret+"\n", 1)
	after := f.repo.Commit("add aws credentials", map[string]string{"config/aws.ini": withPair})
	f.repo.Push("main")
	var aws *Finding
	for _, x := range f.mustScan(f.push(before, after, "refs/heads/main")) {
		if x.RuleID == "aws-access-token" {
			aws = &x
		}
	}
	if aws == nil {
		t.Fatal("no aws-access-token finding")
	}
	if aws.Validity != "valid" || !strings.Contains(aws.ValidityOwner, "user/deploy") {
		t.Errorf("the AWS key with its secret beside it: %q, owner %q; want valid", aws.Validity, aws.ValidityOwner)
	}
	if n := len(f.providers.Search(keySecret)); n != 0 {
		t.Errorf("the secret access key itself went out in %d requests (it only signs)", n)
	}
}
