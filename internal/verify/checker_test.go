package verify_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/secbot/secbot/internal/verify"
	"github.com/secbot/secbot/internal/verify/verifytest"
)

// TestPerProviderBound: VerifyAll runs checks concurrently but never more
// than PerProvider at once at one provider, and all of them get their
// verdict, in order.
func TestPerProviderBound(t *testing.T) {
	s := newStand(t)
	var secrets []verify.Secret
	for i := range 8 {
		gh := "ghp_" + fill(alnum, 35) + string(alnum[i])
		s.p.Set(gh, verifytest.Token{Behaviour: verifytest.Valid, Owner: "octocat", Delay: 200 * time.Millisecond})
		npm := "npm_" + fill(alnum, 35) + string(alnum[i])
		s.p.Set(npm, verifytest.Token{Behaviour: verifytest.Valid, Owner: "publisher", Delay: 200 * time.Millisecond})
		secrets = append(secrets, verify.Secret{RuleID: "github-pat", Value: gh}, verify.Secret{RuleID: "npm-access-token", Value: npm})
	}
	c := verify.New(verify.Options{Client: s.p.Client(), PerProvider: 3, Timeout: 10 * time.Second})
	verdicts := c.VerifyAll(context.Background(), secrets)
	for i, v := range verdicts {
		want := map[string]string{"github-pat": "octocat", "npm-access-token": "publisher"}[secrets[i].RuleID]
		if v.Validity != verify.Valid || v.Owner != want {
			t.Errorf("verdict %d: %+v, want valid, owner %s", i, v, want)
		}
	}
	for _, host := range []string{"api.github.com", "registry.npmjs.org"} {
		if n := s.p.MaxInFlight(host); n != 3 {
			t.Errorf("%s had at most %d checks in flight, want 3 (the bound, reached)", host, n)
		}
	}
}

// TestVerifyAllChecksASecretOnce: the same secret found twice in a push is
// one request, its verdict given to both.
func TestVerifyAllChecksASecretOnce(t *testing.T) {
	s := newStand(t)
	tok := "ghp_" + fill(alnum, 36)
	s.p.Set(tok, verifytest.Token{Behaviour: verifytest.Valid, Owner: "octocat"})
	sec := verify.Secret{RuleID: "github-pat", Value: tok}
	v := s.checker(10*time.Second).VerifyAll(context.Background(), []verify.Secret{sec, sec})
	if len(v) != 2 || v[0].Validity != verify.Valid || !reflect.DeepEqual(v[1], v[0]) {
		t.Errorf("verdicts %+v", v)
	}
	if n := len(s.p.Search(tok)); n != 1 {
		t.Errorf("%d requests for one secret found twice", n)
	}
}

// TestNotChecked: rules without a verifier, rules turned off, and pairs
// whose other half is not in the context are not checked, and nothing is
// sent for them.
func TestNotChecked(t *testing.T) {
	s := newStand(t)
	c := verify.New(verify.Options{GitLabURL: s.gitlab, Client: s.p.Client(), Disabled: []string{"npm-access-token"}})
	for _, sec := range []verify.Secret{
		{RuleID: "generic-api-key", Value: "abcdef0123456789"},
		{RuleID: "github-pat", Value: " "},
		{RuleID: "github-refresh-token", Value: "ghr_" + fill(alnum, 36)},
		{RuleID: "npm-access-token", Value: "npm_" + fill(alnum, 36)},
		{RuleID: "aws-access-token", Value: "AKIAQWERTYUIOPASDFGH", Context: "key = AKIAQWERTYUIOPASDFGH\n"},
		{RuleID: "aws-access-token", Value: "ASIAQWERTYUIOPASDFGH", Context: "secret = " + fill(alnum, 40)},
		{RuleID: "twilio-api-key", Value: "SK" + fill(hexa, 32)},
		{RuleID: "slack-webhook-url", Value: "https://hooks.slack.com/workflows/T00000000/A00000000/123456789012345678/" + fill(alnum, 24)},
	} {
		v := c.Verify(context.Background(), sec)
		if v.Validity != verify.NotChecked || v.Reason == "" || v.CheckedAt.IsZero() {
			t.Errorf("%s %.12s…: %+v, want not_checked with a reason", sec.RuleID, sec.Value, v)
		}
	}
	if n := len(s.p.Requests()) + len(s.g.Requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

// TestAWSWrongSecret: a secret access key that is not the key id's gives
// a signature STS refuses: invalid.
func TestAWSWrongSecret(t *testing.T) {
	s := newStand(t)
	s.p.Set("AKIAQWERTYUIOPASDFGH", verifytest.Token{Behaviour: verifytest.Valid, Owner: "arn", Secret: fill(alnum, 40)})
	v := s.checker(10*time.Second).Verify(context.Background(), verify.Secret{RuleID: "aws-access-token",
		Value: "AKIAQWERTYUIOPASDFGH", Context: "aws_secret_access_key=" + fill(hexa, 40)})
	if v.Validity != verify.Invalid || !strings.Contains(v.Reason, "SignatureDoesNotMatch") {
		t.Errorf("verdict %+v, want invalid (SignatureDoesNotMatch)", v)
	}
}

// TestGitHubEnterprise: with GitHubURL the check goes to that API base.
func TestGitHubEnterprise(t *testing.T) {
	s := newStand(t)
	s.p.AddGitHubEnterprise("ghe.example.com")
	tok := "ghp_" + fill(alnum, 36)
	s.p.Set(tok, verifytest.Token{Behaviour: verifytest.Valid, Owner: "enterprise-user", Scopes: []string{"repo"}})
	c := verify.New(verify.Options{GitHubURL: "https://ghe.example.com/api/v3/", Client: s.p.Client()})
	v := c.Verify(context.Background(), verify.Secret{RuleID: "github-pat", Value: tok})
	if v.Validity != verify.Valid || v.Owner != "enterprise-user" {
		t.Errorf("verdict %+v", v)
	}
	if reqs := s.p.Search(tok); len(reqs) != 1 || reqs[0].Host != "ghe.example.com" || reqs[0].Target != "/api/v3/user" {
		t.Errorf("requests %+v, want one GET ghe.example.com/api/v3/user", reqs)
	}
}

// TestNetworkErrorsHoldNoSecret: a failed request's reason says what
// failed, never the URL net/http puts in its errors, even for a Slack
// webhook, whose URL is the secret.
func TestNetworkErrorsHoldNoSecret(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := &url.URL{Scheme: "http", Host: ln.Addr().String()}
	ln.Close()
	client := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(dead)}}
	c := verify.New(verify.Options{GitLabURL: dead.String(), Client: client})
	hook := "https://hooks.slack.com/services/T00000000/B00000000/" + fill(alnum, 24)
	for _, sec := range []verify.Secret{
		{RuleID: "slack-webhook-url", Value: hook},
		{RuleID: "gitlab-runner-authentication-token", Value: "glrt-" + fill(alnum, 20)},
	} {
		v := c.Verify(context.Background(), sec)
		if v.Validity != verify.Unknown || !strings.Contains(v.Reason, "network error") {
			t.Errorf("%s: %+v, want unknown: network error", sec.RuleID, v)
		}
		t.Logf("%s: %s", sec.RuleID, v.Reason)
		// Clean by construction: not even a redacted URL.
		if strings.Contains(v.Reason, sec.Value) || strings.Contains(v.Reason, "/services/") ||
			strings.Contains(v.Reason, "redacted") || strings.Contains(v.Reason, "http") {
			t.Errorf("%s: the reason holds the secret: %s", sec.RuleID, v.Reason)
		}
	}
}

// TestDefaultClientHonoursHTTPSProxy: a process whose environment is the
// stand-ins' Env (HTTPS_PROXY, SSL_CERT_FILE) checks through them with
// the default client. The check runs in a child process (this test
// binary): net/http reads the proxy settings once per process.
func TestDefaultClientHonoursHTTPSProxy(t *testing.T) {
	s := newStand(t)
	tok := "ghp_" + fill(alnum, 36)
	s.p.Set(tok, verifytest.Token{Behaviour: verifytest.Valid, Owner: "octocat", Scopes: []string{"repo"}})
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperVerify$")
	cmd.Env = append(os.Environ(), s.p.Env()...)
	cmd.Env = append(cmd.Env, "VERIFY_HELPER_RULE=github-pat", "VERIFY_HELPER_VALUE="+tok)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper: %v: %s", err, out)
	}
	line := out[:max(0, strings.IndexByte(string(out), '\n'))]
	var v verify.Verdict
	if err := json.Unmarshal(line, &v); err != nil {
		t.Fatalf("helper printed %q: %v", out, err)
	}
	if v.Validity != verify.Valid || v.Owner != "octocat" {
		t.Errorf("verdict through HTTPS_PROXY: %+v", v)
	}
	if !slices.Contains(s.p.Connects(), "api.github.com:443") || len(s.p.Search(tok)) != 1 {
		t.Errorf("the proxy saw CONNECT %q and %d requests with the token", s.p.Connects(), len(s.p.Search(tok)))
	}
}

// TestHelperVerify is TestDefaultClientHonoursHTTPSProxy's child process:
// it prints the verdict of one check made with the default client.
func TestHelperVerify(t *testing.T) {
	rule := os.Getenv("VERIFY_HELPER_RULE")
	if rule == "" {
		return // not the child: nothing to do
	}
	v := verify.New(verify.Options{}).Verify(context.Background(), verify.Secret{RuleID: rule, Value: os.Getenv("VERIFY_HELPER_VALUE")})
	b, _ := json.Marshal(v)
	os.Stdout.Write(append(b, '\n'))
}

// TestRedirectsAreNotFollowed: a provider's redirect is an unknown
// verdict, and the secret never reaches the redirect's target (net/http
// would forward headers such as PRIVATE-TOKEN).
func TestRedirectsAreNotFollowed(t *testing.T) {
	var elsewhere []string
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere = append(elsewhere, r.Header.Get("Private-Token"))
	}))
	defer target.Close()
	moved := httptest.NewServer(http.RedirectHandler(target.URL+"/stolen", http.StatusFound))
	defer moved.Close()
	c := verify.New(verify.Options{GitLabURL: moved.URL})
	v := c.Verify(context.Background(), verify.Secret{RuleID: "gitlab-pat", Value: "glpat-" + fill(alnum, 20)})
	if v.Validity != verify.Unknown || v.Reason != "HTTP 302" {
		t.Errorf("verdict %+v, want unknown (HTTP 302)", v)
	}
	if len(elsewhere) != 0 {
		t.Errorf("the redirect was followed, with PRIVATE-TOKEN %q", elsewhere)
	}
}

// TestParseValidity: the four validities parse; anything else is an error
// naming what is accepted.
func TestParseValidity(t *testing.T) {
	for _, s := range []string{"valid", "invalid", "unknown", " not_checked"} {
		if v, err := verify.ParseValidity(s); err != nil || string(v) != strings.TrimSpace(s) {
			t.Errorf("ParseValidity(%q) = %q, %v", s, v, err)
		}
	}
	if _, err := verify.ParseValidity("live"); err == nil || !strings.Contains(err.Error(), "not_checked") {
		t.Errorf("ParseValidity(live): %v, want an error listing the validities", err)
	}
}

// TestBadBaseURLs: a configured base URL that does not parse is a reason,
// not a panic, for every verifier that uses it.
func TestBadBaseURLs(t *testing.T) {
	c := verify.New(verify.Options{GitLabURL: "http://[::1", GitLabToken: adminToken, GitHubURL: "https://[bad"})
	for _, sec := range []verify.Secret{
		{RuleID: "gitlab-pat", Value: "glpat-" + fill(alnum, 20)},
		{RuleID: "gitlab-runner-authentication-token", Value: "glrt-" + fill(alnum, 20)},
		{RuleID: "gitlab-deploy-token", Value: "gldt-" + fill(alnum, 20)},
		{RuleID: "github-pat", Value: "ghp_" + fill(alnum, 36)},
	} {
		v := c.Verify(context.Background(), sec)
		if v.Validity == verify.Valid || v.Validity == verify.Invalid || !strings.Contains(v.Reason, "URL is not valid") {
			t.Errorf("%s: %+v, want a reason saying the URL is not valid", sec.RuleID, v)
		}
	}
}
