package gitleaks

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/zricethezav/gitleaks/v8/report"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/scan/gitleaks/engine"
	"github.com/secbot/secbot/internal/verify"
)

// The scan checks each secret it finds with its provider while the secret
// is in the worker's memory (internal/verify), and keeps only the
// verdict: valid, invalid, unknown or not_checked, when, and what the
// provider said of its owner and scopes. With revoke: true a live GitLab
// access token is revoked at once with the instance's admin_token, and
// checked again.

// contextLines is how many lines around a secret its check sees: where
// the other half of a pair is (an AWS secret access key beside its key id).
const contextLines = 5

// Revocation is what GitLab answered when the scan revoked a token.
type Revocation = engine.Revocation

// checked is the verdict on one finding's secret, and its revocation.
type checked struct {
	verdict    verify.Verdict
	revocation *Revocation
}

// checkers keeps one checker per GitLab instance, so that each
// provider's bound on concurrent checks holds for the whole worker.
type checkers struct {
	mu   sync.Mutex
	byID map[string]*verify.Checker
}

func (c *checkers) of(s Settings, in config.Instance) *verify.Checker {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byID == nil {
		c.byID = map[string]*verify.Checker{}
	}
	key := in.Host
	if ch, ok := c.byID[key]; ok {
		return ch
	}
	ch := verify.New(verify.Options{GitLabURL: in.Host, GitLabToken: in.AuthToken, GitHubURL: s.GitHubURL,
		PerProvider: s.VerifyConcurrency, Disabled: s.VerifySkipRules, Client: s.VerifyClient})
	c.byID[key] = ch
	return ch
}

// check checks the secrets of raw (nil when checks are off).
func (s *Scanner) check(ctx context.Context, git engine.Git, in config.Instance, raw []report.Finding) []checked {
	if !s.settings.Verifies() || len(raw) == 0 {
		return nil
	}
	ch := s.checkers.of(s.settings, in)
	secrets := make([]verify.Secret, len(raw))
	around := contexts(ctx, git, raw)
	for i, f := range raw {
		secrets[i] = verify.Secret{RuleID: f.RuleID, Value: f.Secret, Context: around[i]}
	}
	out := make([]checked, len(raw))
	for i, v := range ch.VerifyAll(ctx, secrets) {
		out[i].verdict = v
		if s.settings.Revoke && v.Validity == verify.Valid && v.Provider == "gitlab" {
			out[i].revocation, out[i].verdict = revoke(ctx, ch, secrets[i], v, in.AdminToken)
		}
	}
	return out
}

// revoke revokes a live GitLab token and returns what GitLab answered and
// the token's verdict since. A rule that cannot be revoked keeps its
// verdict and records nothing.
func revoke(ctx context.Context, ch *verify.Checker, s verify.Secret, v verify.Verdict, adminToken string) (*Revocation, verify.Verdict) {
	r, err := ch.Revoke(ctx, s, v, adminToken)
	if r.Call == "" && err != nil {
		return nil, v // not a revocable token, or no admin_token: nothing was sent
	}
	rec := &Revocation{At: r.At, By: "SecBot: " + r.Call, Status: r.Status, Answer: r.Message, After: string(v.Validity)}
	if err != nil {
		rec.Answer = err.Error() // the verify package's errors hold no token
		return rec, v
	}
	rec.After = string(r.After.Validity)
	return rec, r.After
}

// contexts are the lines around each finding's secret where its check
// pairs it with another (verify.Paired: an AWS secret access key below its
// key id), read from the file at the finding's commit, through one git
// cat-file a commit: gitleaks' findings carry only their own line. A file
// that cannot be read leaves the finding its line (its check then finds
// no pair: not_checked).
func contexts(ctx context.Context, git engine.Git, raw []report.Finding) []string {
	out := make([]string, len(raw))
	wanted := map[string][]string{} // commit → files
	for i, f := range raw {
		out[i] = f.Line
		if verify.Paired(f.RuleID) && f.Commit != "" && f.File != "" && !slices.Contains(wanted[f.Commit], f.File) {
			wanted[f.Commit] = append(wanted[f.Commit], f.File)
		}
	}
	files := map[string]map[string][]byte{}
	for commit, names := range wanted {
		if got, err := engine.FilesAt(ctx, git, commit, names...); err == nil {
			files[commit] = got
		}
	}
	for i, f := range raw {
		if content, ok := files[f.Commit][f.File]; ok && verify.Paired(f.RuleID) {
			out[i] = linesAround(string(content), f.StartLine, f.Line)
		}
	}
	return out
}

// linesAround is the text of the contextLines lines on each side of line
// at (from 1) of content, or line itself when content has no such line.
func linesAround(content string, at int, line string) string {
	lines := strings.Split(content, "\n")
	at-- // from 0
	from, to := max(0, at-contextLines), min(len(lines), at+contextLines+1)
	if at < 0 || from >= to {
		return line
	}
	return strings.Join(lines[from:to], "\n")
}

// withVerdict sets a redacted finding's validity fields from its check.
func withVerdict(f *Finding, c checked) {
	v := c.verdict
	f.Validity = string(v.Validity)
	if !v.CheckedAt.IsZero() {
		f.ValidityCheckedAt = v.CheckedAt.UTC().Format(time.RFC3339Nano)
	}
	f.ValidityOwner, f.ValidityScopes, f.Revocation = v.Owner, v.Scopes, c.revocation
}
