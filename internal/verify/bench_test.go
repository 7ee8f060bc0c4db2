package verify_test

import (
	"context"
	"testing"
	"time"

	"github.com/secbot/secbot/internal/verify"
	"github.com/secbot/secbot/internal/verify/verifytest"
)

// BenchmarkVerifyAllFive checks a push's five secrets of five providers
// (a GitLab PAT, GitHub, Slack, AWS, Stripe) against stand-ins that
// answer in 50 ms each: the checks run at once, so a batch costs about
// one answer, not five.
func BenchmarkVerifyAllFive(b *testing.B) {
	p := verifytest.New(b)
	g := verifytest.NewGitLab(adminToken)
	gitlabURL := g.Serve(b)
	delay := 50 * time.Millisecond
	awsSecret := fill(alnum, 40)
	secrets := []verify.Secret{
		{RuleID: "gitlab-pat", Value: "glpat-" + fill(alnum, 20)},
		{RuleID: "github-pat", Value: "ghp_" + fill(alnum, 36)},
		{RuleID: "slack-bot-token", Value: "xoxb-1234567890123-1234567890123-" + fill(alnum, 24)},
		{RuleID: "aws-access-token", Value: "AKIAQWERTYUIOPASDFGH", Context: "aws_secret_access_key = " + awsSecret},
		{RuleID: "stripe-access-token", Value: "sk_live_" + fill(alnum, 24)},
	}
	g.Add(secrets[0].Value, verifytest.GitLabToken{Kind: "personal", ID: 1, UserID: 1, Scopes: []string{"api"}, Delay: delay})
	for _, s := range secrets[1:] {
		p.Set(s.Value, verifytest.Token{Behaviour: verifytest.Valid, Owner: "o", Secret: awsSecret, Delay: delay})
	}
	c := verify.New(verify.Options{GitLabURL: gitlabURL, Client: p.Client()})
	for b.Loop() {
		for i, v := range c.VerifyAll(context.Background(), secrets) {
			if v.Validity != verify.Valid {
				b.Fatalf("secret %d: %+v", i, v)
			}
		}
	}
}
