package verify

import "context"

// verifier checks the secrets of one rule with its provider.
type verifier struct {
	provider string
	check    func(ctx context.Context, c *Checker, s Secret) Verdict
}

// verifiers is the one table of gitleaks rules (v8.30.1's default set) and
// their checks. Rules of these providers that are left out have no
// read-only check: github-refresh-token and slack-config-refresh-token
// (using one rotates it), slack-app-token and slack-config-access-token
// (no read-only method takes them), digitalocean-refresh-token (same as
// GitHub's), gitlab-rrt and gitlab-scim-token (GitLab's token API does not
// know them), aws-amazon-bedrock-* (Bedrock calls cost money),
// yandex-aws-access-token (Yandex, not AWS).
var verifiers = map[string]verifier{
	"gitlab-pat":                                  {"gitlab", checkGitLabPAT},
	"gitlab-pat-routable":                         {"gitlab", checkGitLabPAT},
	"gitlab-runner-authentication-token":          {"gitlab", checkGitLabRunner},
	"gitlab-runner-authentication-token-routable": {"gitlab", checkGitLabRunner},
	"gitlab-deploy-token":                         {"gitlab", checkGitLabAdmin},
	"gitlab-feed-token":                           {"gitlab", checkGitLabAdmin},
	"gitlab-ptt":                                  {"gitlab", checkGitLabAdmin},
	"gitlab-cicd-job-token":                       {"gitlab", checkGitLabAdmin},
	"gitlab-feature-flag-client-token":            {"gitlab", checkGitLabAdmin},
	"gitlab-incoming-mail-token":                  {"gitlab", checkGitLabAdmin},
	"gitlab-kubernetes-agent-token":               {"gitlab", checkGitLabAdmin},
	"gitlab-oauth-app-secret":                     {"gitlab", checkGitLabAdmin},
	"gitlab-session-cookie":                       {"gitlab", checkGitLabAdmin},

	"github-pat":              {"github", checkGitHub},
	"github-fine-grained-pat": {"github", checkGitHub},
	"github-oauth":            {"github", checkGitHub},
	"github-app-token":        {"github", checkGitHub},

	"slack-bot-token":              {"slack", checkSlackToken},
	"slack-user-token":             {"slack", checkSlackToken},
	"slack-legacy-bot-token":       {"slack", checkSlackToken},
	"slack-legacy-token":           {"slack", checkSlackToken},
	"slack-legacy-workspace-token": {"slack", checkSlackToken},
	"slack-webhook-url":            {"slack", checkSlackWebhook},

	"aws-access-token": {"aws", checkAWS},

	"stripe-access-token": {"stripe", checkStripe},

	"openai-api-key": {"openai", checkOpenAI},

	"anthropic-api-key":       {"anthropic", checkAnthropic},
	"anthropic-admin-api-key": {"anthropic", checkAnthropicAdmin},

	"sendgrid-api-token": {"sendgrid", checkSendGrid},

	"npm-access-token": {"npm", checkNPM},

	"twilio-api-key": {"twilio", checkTwilio},

	"digitalocean-pat":          {"digitalocean", checkDigitalOcean},
	"digitalocean-access-token": {"digitalocean", checkDigitalOcean},

	"heroku-api-key":    {"heroku", checkHeroku},
	"heroku-api-key-v2": {"heroku", checkHeroku},
}

// Paired reports whether the check of a rule's secrets needs the other
// half of a pair from the lines around it (Secret.Context): an AWS key
// id's secret access key, a Twilio API key's secret.
func Paired(ruleID string) bool {
	switch verifiers[ruleID].provider {
	case "aws", "twilio":
		return true
	}
	return false
}
