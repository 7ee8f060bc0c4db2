package verify_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/secbot/secbot/internal/scan/gitleaks/engine"
	"github.com/secbot/secbot/internal/verify"
	"github.com/secbot/secbot/internal/verify/verifytest"
)

const adminToken = "glpat-AdminAdminAdminAdmin"

// fill is n characters of alphabet, varied enough to look random.
func fill(alphabet string, n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteByte(alphabet[(i*7+3)%len(alphabet)])
	}
	return b.String()
}

const (
	alnum = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
	hexa  = "0123456789abcdef"
	lower = "abcdefghijklmnopqrstuvwxyz0123456789"
)

// tcase is one verifier's case: a secret of the rule's shape, and what
// the stand-ins know of it when it is live.
type tcase struct {
	name, rule, value, context string
	provider                   string
	gitlab                     *verifytest.GitLabToken // GitLab's token; nil: a proxied provider's
	token                      verifytest.Token
	paired                     string // the pair's other half, in context
	owner                      string // the verdict's owner when valid
	scopes                     []string
}

func cases() []tcase {
	pat := &verifytest.GitLabToken{Kind: "personal", ID: 42, UserID: 7, Name: "ci", Scopes: []string{"api", "read_repository"}, ExpiresAt: "2099-01-01"}
	awsSecret := "Zk3" + fill(alnum+"/+", 37)
	twilioSecret := fill(alnum, 32)
	gl := func(kind string, id int64) *verifytest.GitLabToken {
		t := &verifytest.GitLabToken{Kind: kind, ID: id, UserID: 9, Name: kind}
		if kind == "deploy" {
			t.Username, t.Scopes = "deployer", []string{"read_repository"}
		}
		return t
	}
	prov := func(owner string, scopes ...string) verifytest.Token {
		return verifytest.Token{Owner: owner, Scopes: scopes}
	}
	return []tcase{
		{name: "gitlab PAT", rule: "gitlab-pat", value: "glpat-" + fill(alnum, 20), provider: "gitlab", gitlab: pat, owner: "user 7", scopes: pat.Scopes},
		{name: "gitlab PAT routable", rule: "gitlab-pat-routable", value: "glpat-" + fill(alnum, 27) + ".01" + fill(lower, 7), provider: "gitlab", gitlab: pat, owner: "user 7", scopes: pat.Scopes},
		{name: "gitlab runner", rule: "gitlab-runner-authentication-token", value: "glrt-" + fill(alnum, 20), provider: "gitlab", gitlab: &verifytest.GitLabToken{Kind: "runner", ID: 12}, owner: "runner 12"},
		{name: "gitlab runner routable", rule: "gitlab-runner-authentication-token-routable", value: "glrt-t1_" + fill(alnum, 27) + ".01" + fill(lower, 7), provider: "gitlab", gitlab: &verifytest.GitLabToken{Kind: "runner", ID: 13}, owner: "runner 13"},
		{name: "gitlab deploy", rule: "gitlab-deploy-token", value: "gldt-" + fill(alnum, 20), provider: "gitlab", gitlab: gl("deploy", 3), owner: "deployer", scopes: []string{"read_repository"}},
		{name: "gitlab feed", rule: "gitlab-feed-token", value: "glft-" + fill(alnum, 20), provider: "gitlab", gitlab: gl("feed", 4), owner: "user 9"},
		{name: "gitlab trigger", rule: "gitlab-ptt", value: "glptt-" + fill(hexa, 40), provider: "gitlab", gitlab: gl("trigger", 5), owner: "user 9"},
		{name: "gitlab job", rule: "gitlab-cicd-job-token", value: "glcbt-ab12_" + fill(alnum, 20), provider: "gitlab", gitlab: gl("job", 6), owner: "user 9"},
		{name: "gitlab feature flags", rule: "gitlab-feature-flag-client-token", value: "glffct-" + fill(alnum, 20), provider: "gitlab", gitlab: gl("feature_flags", 7), owner: "user 9"},
		{name: "gitlab incoming mail", rule: "gitlab-incoming-mail-token", value: "glimt-" + fill(alnum, 25), provider: "gitlab", gitlab: gl("incoming_email", 8), owner: "user 9"},
		{name: "gitlab agent", rule: "gitlab-kubernetes-agent-token", value: "glagent-" + fill(alnum, 50), provider: "gitlab", gitlab: gl("agent", 9), owner: "user 9"},
		{name: "gitlab oauth app", rule: "gitlab-oauth-app-secret", value: "gloas-" + fill(alnum, 64), provider: "gitlab", gitlab: gl("oauth_app", 10), owner: "user 9"},
		{name: "gitlab session", rule: "gitlab-session-cookie", value: "_gitlab_session=" + fill(lower, 32), provider: "gitlab", gitlab: gl("session", 11), owner: "user 9"},

		{name: "github classic", rule: "github-pat", value: "ghp_" + fill(alnum, 36), provider: "github", token: prov("octocat", "repo", "read:org"), owner: "octocat", scopes: []string{"repo", "read:org"}},
		{name: "github fine-grained", rule: "github-fine-grained-pat", value: "github_pat_" + fill(alnum+"_", 82), provider: "github", token: prov("octocat"), owner: "octocat"},
		{name: "github oauth", rule: "github-oauth", value: "gho_" + fill(alnum, 36), provider: "github", token: prov("octocat", "user"), owner: "octocat", scopes: []string{"user"}},
		{name: "github user-to-server", rule: "github-app-token", value: "ghu_" + fill(alnum, 36), provider: "github", token: prov("octocat"), owner: "octocat"},
		{name: "github installation", rule: "github-app-token", value: "ghs_" + fill(alnum, 36), provider: "github", token: prov("octo-org"), owner: "octo-org"},

		{name: "slack bot", rule: "slack-bot-token", value: "xoxb-1234567890123-1234567890123-" + fill(alnum, 24), provider: "slack", token: prov("bot", "chat:write"), owner: "bot@Team", scopes: []string{"chat:write"}},
		{name: "slack user", rule: "slack-user-token", value: "xoxp-1234567890-1234567890-1234567890-" + fill(alnum, 32), provider: "slack", token: prov("alice"), owner: "alice@Team"},
		{name: "slack legacy bot", rule: "slack-legacy-bot-token", value: "xoxb-12345678-" + fill(alnum, 20), provider: "slack", token: prov("bot"), owner: "bot@Team"},
		{name: "slack legacy", rule: "slack-legacy-token", value: "xoxs-1-2-3-" + fill(hexa, 12), provider: "slack", token: prov("legacy"), owner: "legacy@Team"},
		{name: "slack legacy workspace", rule: "slack-legacy-workspace-token", value: "xoxa-2-" + fill(alnum, 30), provider: "slack", token: prov("ws"), owner: "ws@Team"},
		{name: "slack webhook", rule: "slack-webhook-url", value: "https://hooks.slack.com/services/T00000000/B00000000/" + fill(alnum, 24), provider: "slack", token: prov("")},

		{name: "aws", rule: "aws-access-token", value: "AKIAQWERTYUIOPASDFGH", provider: "aws", paired: awsSecret,
			context: "[default]\naws_access_key_id = AKIAQWERTYUIOPASDFGH\naws_secret_access_key = " + awsSecret + "\n",
			token:   verifytest.Token{Owner: "arn:aws:iam::123456789012:user/ci", Secret: awsSecret}, owner: "arn:aws:iam::123456789012:user/ci"},
		{name: "stripe", rule: "stripe-access-token", value: "sk_live_" + fill(alnum, 24), provider: "stripe", token: prov("billing@example.com"), owner: "billing@example.com (acct_1Verifytest)"},
		{name: "openai", rule: "openai-api-key", value: "sk-" + fill(alnum, 20) + "T3BlbkFJ" + fill(alnum, 20), provider: "openai", token: prov("org-example"), owner: "org-example"},
		{name: "anthropic", rule: "anthropic-api-key", value: "sk-ant-api03-" + fill(alnum+"_-", 93) + "AA", provider: "anthropic", token: prov("org-uuid-1"), owner: "org-uuid-1"},
		{name: "anthropic admin", rule: "anthropic-admin-api-key", value: "sk-ant-admin01-" + fill(alnum+"_-", 93) + "AA", provider: "anthropic", token: prov("Example Org"), owner: "Example Org"},
		{name: "sendgrid", rule: "sendgrid-api-token", value: "SG." + fill(alnum, 22) + "." + fill(alnum, 43), provider: "sendgrid", token: prov("", "mail.send", "alerts.read"), scopes: []string{"mail.send", "alerts.read"}},
		{name: "npm", rule: "npm-access-token", value: "npm_" + fill(alnum, 36), provider: "npm", token: prov("publisher"), owner: "publisher"},
		{name: "twilio", rule: "twilio-api-key", value: "SK" + fill(hexa, 32), provider: "twilio", paired: twilioSecret,
			context: "TWILIO_API_KEY=SK" + fill(hexa, 32) + "\nTWILIO_API_SECRET=" + twilioSecret + "\n",
			token:   verifytest.Token{Owner: "Main", Secret: twilioSecret}, owner: "Main (AC" + strings.Repeat("0", 32) + ")"},
		{name: "digitalocean pat", rule: "digitalocean-pat", value: "dop_v1_" + fill(hexa, 64), provider: "digitalocean", token: prov("ops@example.com"), owner: "ops@example.com"},
		{name: "digitalocean oauth", rule: "digitalocean-access-token", value: "doo_v1_" + fill(hexa, 64), provider: "digitalocean", token: prov("ops@example.com"), owner: "ops@example.com"},
		{name: "heroku", rule: "heroku-api-key", value: "01234567-89ab-cdef-0123-" + fill(hexa, 12), provider: "heroku",
			context: "HEROKU_API_KEY=01234567-89ab-cdef-0123-" + fill(hexa, 12) + "\n", token: prov("dev@example.com"), owner: "dev@example.com"},
		{name: "heroku v2", rule: "heroku-api-key-v2", value: "HRKU-AA" + fill(alnum+"_-", 58), provider: "heroku", token: prov("dev@example.com"), owner: "dev@example.com"},
	}
}

// stand is a test's stand-ins and a Checker pointed at them.
type stand struct {
	p      *verifytest.Providers
	g      *verifytest.GitLab
	gitlab string
}

func newStand(t *testing.T) *stand {
	p := verifytest.New(t)
	g := verifytest.NewGitLab(adminToken)
	return &stand{p: p, g: g, gitlab: g.Serve(t)}
}

func (s *stand) checker(timeout time.Duration) *verify.Checker {
	return verify.New(verify.Options{GitLabURL: s.gitlab, GitLabToken: adminToken, Client: s.p.Client(), Timeout: timeout})
}

// learn tells the stand-ins how to answer c's secret.
func (s *stand) learn(c tcase, b verifytest.Behaviour) {
	if c.gitlab != nil {
		if b != verifytest.Invalid {
			t := *c.gitlab
			t.Behaviour = b
			s.g.Add(c.value, t)
		}
		return
	}
	t := c.token
	t.Behaviour = b
	s.p.Set(c.value, t)
}

// requests are every request the stand-ins saw.
func (s *stand) requests() []verifytest.Request {
	return append(s.p.Requests(), s.g.Requests()...)
}

func count(reqs []verifytest.Request, secret string) int {
	n := 0
	for _, r := range reqs {
		if r.Contains(secret) {
			n++
		}
	}
	return n
}

// TestVerifiers: every verifier, against its provider's stand-in, gives
// valid, invalid, unknown (rate limited) and unknown (timeout) as its
// provider answers; the secret goes into exactly one request and into no
// verdict.
func TestVerifiers(t *testing.T) {
	behaviours := []struct {
		name string
		b    verifytest.Behaviour
		want verify.Validity
		why  string
	}{
		{"valid", verifytest.Valid, verify.Valid, ""},
		{"invalid", verifytest.Invalid, verify.Invalid, ""},
		{"rate-limited", verifytest.RateLimited, verify.Unknown, "rate limited"},
		{"timeout", verifytest.Slow, verify.Unknown, "timeout after"},
		{"unavailable", verifytest.Unavailable, verify.Unknown, "HTTP 503"},
	}
	for _, c := range cases() {
		for _, b := range behaviours {
			t.Run(c.name+"/"+b.name, func(t *testing.T) {
				t.Parallel()
				s := newStand(t)
				s.learn(c, b.b)
				timeout := 10 * time.Second
				if b.b == verifytest.Slow {
					timeout = 300 * time.Millisecond
				}
				secret := verify.Secret{RuleID: c.rule, Value: c.value, Context: c.context}
				v := s.checker(timeout).Verify(context.Background(), secret)
				if v.Validity != b.want || !strings.Contains(v.Reason, b.why) {
					t.Fatalf("verdict %+v, want %s with a reason saying %q", v, b.want, b.why)
				}
				if v.Provider != c.provider || v.CheckedAt.IsZero() {
					t.Errorf("provider %q checked at %v, want %q and a time", v.Provider, v.CheckedAt, c.provider)
				}
				if b.b == verifytest.Valid && (v.Owner != c.owner || !slices.Equal(v.Scopes, c.scopes)) {
					t.Errorf("owner %q scopes %q, want %q %q", v.Owner, v.Scopes, c.owner, c.scopes)
				}
				all := fmt.Sprintf("%+v", v)
				reqs := s.requests()
				if n := count(reqs, c.value); n != 1 {
					t.Errorf("the secret is in %d requests, want exactly 1: %+v", n, reqs)
				}
				if strings.Contains(all, c.value) {
					t.Errorf("the verdict holds the secret: %s", all)
				}
				if c.paired != "" && strings.Contains(all, c.paired) {
					t.Errorf("the verdict holds the pair's secret: %s", all)
				}
				if c.rule == "aws-access-token" && count(reqs, c.paired) != 0 {
					t.Error("the AWS secret access key was sent")
				}
				if posted := s.p.Posted(); len(posted) != 0 {
					t.Errorf("a check posted to Slack: %q", posted)
				}
			})
		}
	}
}

// TestCasesAreTheRulesShapes: every rule with a verifier is a rule of
// gitleaks' default set, has a case above, and the case's secret is one
// that rule finds: the table maps what gitleaks really reports.
func TestCasesAreTheRulesShapes(t *testing.T) {
	rules, err := engine.NewRules()
	if err != nil {
		t.Fatal(err)
	}
	def := rules.Default().Rules
	covered := map[string]bool{}
	for _, c := range cases() {
		covered[c.rule] = true
		r, ok := def[c.rule]
		if !ok {
			t.Errorf("%s: rule %q is not in gitleaks' default set", c.name, c.rule)
			continue
		}
		text := c.value
		if c.context != "" {
			text = c.context
		}
		if m := r.Regex.FindStringSubmatch(text); m == nil || !slices.Contains(m, c.value) {
			t.Errorf("%s: rule %s does not find %q in %q (found %q)", c.name, c.rule, c.value, text, m)
		}
	}
	for _, id := range verify.Rules() {
		if !covered[id] {
			t.Errorf("rule %q has a verifier but no case in TestVerifiers", id)
		}
	}
	providers := map[string]bool{}
	for _, id := range verify.Rules() {
		providers[verify.Provider(id)] = true
	}
	if len(providers) < 12 {
		t.Errorf("only %d providers have a verifier: %v", len(providers), providers)
	}
}
