// Package verify tells a live leaked credential from a dead one: while a
// secret found by a scan is in the worker's memory, a verifier for its
// gitleaks rule asks the provider, with one read-only request to the
// provider's fixed HTTPS host, whether it works. Only the Verdict (never
// the secret) leaves the package. GitLab tokens are checked against the
// instance the event came from, and live personal, project and group
// access tokens can be revoked there (Checker.Revoke).
package verify

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Validity is what a provider said of a secret.
type Validity string

// The validities a Verdict may carry.
const (
	// Valid: the provider accepted the secret.
	Valid Validity = "valid"
	// Invalid: the provider refused it (unknown, revoked or expired).
	Invalid Validity = "invalid"
	// Unknown: the provider did not say (timeout, rate limit, 5xx, network).
	Unknown Validity = "unknown"
	// NotChecked: no verifier for the rule, or checks of the rule are off.
	NotChecked Validity = "not_checked"
)

// DefaultTimeout bounds one check: the provider's answer included.
const DefaultTimeout = 5 * time.Second

// DefaultPerProvider is how many checks of one provider run at once.
const DefaultPerProvider = 4

// Secret is one found secret, in memory only.
type Secret struct {
	// RuleID is the gitleaks rule that found it (gitlab-pat, aws-access-token…).
	RuleID string
	// Value is the secret itself.
	Value string
	// Context is the text around it in the same file (the lines around the
	// match): the other half of a pair (an AWS secret access key, a Twilio
	// API key secret) is looked for there.
	Context string
}

// Verdict is what a check found out; it never holds the secret.
type Verdict struct {
	Validity  Validity  `json:"validity"`
	CheckedAt time.Time `json:"checked_at"`
	// Provider names the verifier's provider (gitlab, github, slack, aws…).
	Provider string `json:"provider,omitempty"`
	// Owner is who the secret belongs to, where the provider's answer says.
	Owner  string   `json:"owner,omitempty"`
	Scopes []string `json:"scopes,omitempty"`
	// ExpiresAt is the expiry the provider gave, as it gave it.
	ExpiresAt string `json:"expires_at,omitempty"`
	// TokenID is GitLab's id of the token, where known (for Revoke).
	TokenID int64 `json:"token_id,omitempty"`
	// Reason says why a verdict is unknown, invalid or not checked.
	Reason string `json:"reason,omitempty"`
}

// Validities are the four validities, in the order of their urgency.
var Validities = []Validity{Valid, Unknown, Invalid, NotChecked}

// ParseValidity reads a validity as configured or filtered on ("valid",
// "invalid", "unknown", "not_checked").
func ParseValidity(s string) (Validity, error) {
	if v := Validity(strings.TrimSpace(s)); slices.Contains(Validities, v) {
		return v, nil
	}
	return "", fmt.Errorf("validity %q: want one of valid, invalid, unknown, not_checked", s)
}

// Options configures a Checker.
type Options struct {
	// GitLabURL is the instance the event came from ("https://gitlab.example.com").
	GitLabURL string
	// GitLabToken is the instance's auth_token, used only by the checks that
	// need an administrator (GitLab's token information API: deploy, feed,
	// trigger tokens…); without it those rules are not checked.
	GitLabToken string
	// GitHubURL is a GitHub Enterprise API base ("https://ghe.example.com/api/v3");
	// "" is https://api.github.com.
	GitHubURL string
	// Client sends the checks; nil: a client honouring HTTPS_PROXY, with the
	// system's roots (SSL_CERT_FILE).
	Client *http.Client
	// Timeout bounds one check; 0 is DefaultTimeout.
	Timeout time.Duration
	// PerProvider is how many checks of one provider run at once; 0 is
	// DefaultPerProvider.
	PerProvider int
	// Disabled lists rule ids not to check (their verdict is not_checked).
	Disabled []string
}

// Checker runs the verifiers; it is safe for concurrent use.
type Checker struct {
	opts    Options
	client  *http.Client
	timeout time.Duration
	perProv int
	mu      sync.Mutex
	slots   map[string]chan struct{} // per provider
}

// New returns a Checker for o.
func New(o Options) *Checker {
	c := &Checker{opts: o, client: o.Client, timeout: o.Timeout, perProv: o.PerProvider,
		slots: map[string]chan struct{}{}}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.perProv <= 0 {
		c.perProv = DefaultPerProvider
	}
	if c.client == nil {
		c.client = defaultClient(c.timeout)
	}
	// A redirect would carry headers such as PRIVATE-TOKEN or X-Api-Key
	// (net/http drops only Authorization and cookies) to wherever it
	// points: the secret goes into the one request to its provider only.
	cl := *c.client
	cl.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.client = &cl
	return c
}

// defaultClient honours HTTPS_PROXY and NO_PROXY and trusts the system's
// roots (on Linux SSL_CERT_FILE replaces them).
func defaultClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = http.ProxyFromEnvironment
	return &http.Client{Transport: t, Timeout: timeout}
}

// Rules lists the gitleaks rule ids that have a verifier, sorted.
func Rules() []string {
	ids := make([]string, 0, len(verifiers))
	for id := range verifiers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Provider names the provider whose verifier checks rule ("" when none does).
func Provider(rule string) string {
	return verifiers[rule].provider
}

// Verify checks one secret. It never fails: what went wrong is the
// verdict's Reason, and a rule without a verifier is not_checked.
func (c *Checker) Verify(ctx context.Context, s Secret) Verdict {
	v, ok := verifiers[s.RuleID]
	if !ok {
		return Verdict{Validity: NotChecked, CheckedAt: time.Now().UTC(),
			Reason: fmt.Sprintf("no verifier for rule %q", s.RuleID)}
	}
	if strings.TrimSpace(s.Value) == "" {
		return Verdict{Validity: NotChecked, CheckedAt: time.Now().UTC(), Provider: v.provider,
			Reason: "the secret is empty"}
	}
	if slices.Contains(c.opts.Disabled, s.RuleID) {
		return Verdict{Validity: NotChecked, CheckedAt: time.Now().UTC(), Provider: v.provider,
			Reason: fmt.Sprintf("checks of rule %q are off", s.RuleID)}
	}
	slot := c.slot(v.provider)
	select {
	case slot <- struct{}{}:
	case <-ctx.Done():
		return Verdict{Validity: Unknown, CheckedAt: time.Now().UTC(), Provider: v.provider,
			Reason: "cancelled before the check started"}
	}
	defer func() { <-slot }()
	cctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	verdict := v.check(cctx, c, s)
	verdict.Provider = v.provider
	verdict.CheckedAt = time.Now().UTC()
	return scrubVerdict(verdict, s.Value)
}

// VerifyAll checks secrets concurrently, at most Options.PerProvider at
// once per provider; verdicts are in the order of secrets. A secret listed
// twice (same rule, value and context) is checked once.
func (c *Checker) VerifyAll(ctx context.Context, secrets []Secret) []Verdict {
	out := make([]Verdict, len(secrets))
	first := map[Secret]int{}
	var wg sync.WaitGroup
	for i, s := range secrets {
		if _, seen := first[s]; seen {
			continue
		}
		first[s] = i
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = c.Verify(ctx, s)
		}()
	}
	wg.Wait()
	for i, s := range secrets {
		out[i] = out[first[s]]
	}
	return out
}

func (c *Checker) slot(provider string) chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.slots[provider]
	if !ok {
		s = make(chan struct{}, c.perProv)
		c.slots[provider] = s
	}
	return s
}
