package e2e_test

import (
	"crypto/rand"
	"slices"
	"testing"
	"time"

	"github.com/secbot/secbot/internal/verify/verifytest"
)

// providerDelay is how long each provider's stand-in takes to answer, as
// a distant provider would.
const providerDelay = 50 * time.Millisecond

// fromAlphabet is n random characters of alphabet.
func fromAlphabet(alphabet string, n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// BenchmarkLiveSecretsVerdict is make bench's validity part: hook →
// final verdict of a one-commit push with five secrets of five providers
// (a GitLab token the instance knows, GitHub, Slack, npm, Stripe), each
// provider's stand-in answering in 50 ms, through the three real
// processes. It reports the p50 and p99 of the pushes (p50-ms, p99-ms).
func BenchmarkLiveSecretsVerdict(b *testing.B) {
	providers := verifytest.New(b)
	s := newStackWith(b, stackOptions{env: providers.Env()})
	prev := s.repo.Commit("initial", map[string]string{"README.md": "# app\n"})
	s.repo.Push("main")
	rules := []string{"gitlab-pat", "github-pat", "slack-bot-token", "npm-access-token", "stripe-access-token"}
	var took []time.Duration
	for i := range b.N {
		pat, ghp := "glpat-"+randomHex(10), "ghp_"+randomHex(18)
		slack := "xoxb-1234567890123-1234567890123-" + randomHex(12)
		npm := "npm_" + fromAlphabet("abcdefghijklmnopqrstuvwxyz0123456789", 36)
		stripe := "sk_live_" + randomHex(12)
		s.git.Tokens.Add(pat, verifytest.GitLabToken{Kind: "personal", ID: int64(i + 1), UserID: 7, Scopes: []string{"api"}, Delay: providerDelay})
		for _, tok := range []string{ghp, slack, npm, stripe} {
			providers.Set(tok, verifytest.Token{Behaviour: verifytest.Valid, Owner: "bench", Delay: providerDelay})
		}
		next := s.repo.Commit("tokens", map[string]string{
			"gitlab.env": "GITLAB_TOKEN=" + pat + "\n", "github.env": "GITHUB_TOKEN=" + ghp + "\n", "slack.env": "SLACK_TOKEN=" + slack + "\n",
			"npm.env": "NPM_TOKEN=" + npm + "\n", "stripe.env": "STRIPE_KEY=" + stripe + "\n",
		})
		s.repo.Push("main")
		start := time.Now()
		id := s.push(prev, next)
		if got := s.gate(id, "60s"); got.Status != "fail" {
			b.Fatalf("push %d: %q, want fail: %+v", i, got.Status, got.Tasks)
		}
		took = append(took, time.Since(start))
		prev = next
		b.StopTimer()
		var page struct {
			Results []struct {
				Validity       string `json:"validity"`
				VulnIDFromTool string `json:"vuln_id_from_tool"`
			}
		}
		s.settled(id)
		s.api("GET", "/api/v2/findings/?limit=100&test__tags="+next, nil, &page)
		valid := map[string]bool{}
		for _, f := range page.Results {
			valid[f.VulnIDFromTool] = valid[f.VulnIDFromTool] || f.Validity == "valid"
		}
		for _, rule := range rules {
			if !valid[rule] {
				b.Fatalf("push %d: the %s secret is not valid: %+v", i, rule, page.Results)
			}
		}
		b.StartTimer()
	}
	slices.Sort(took)
	at := func(q float64) float64 {
		return float64(took[min(len(took)-1, int(q*float64(len(took))))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.5), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}
