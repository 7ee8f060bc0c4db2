package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// gitlabToken is the part of GitLab's token answers a verdict uses: the
// personal access token entity (personal_access_tokens/self, and the
// token information API for PATs, deploy and other tokens).
type gitlabToken struct {
	ID        int64    `json:"id"`
	UserID    int64    `json:"user_id"`
	Username  string   `json:"username"`
	Name      string   `json:"name"`
	Scopes    []string `json:"scopes"`
	ExpiresAt *string  `json:"expires_at"`
	Revoked   bool     `json:"revoked"`
	Expired   bool     `json:"expired"`
	Active    *bool    `json:"active"`
}

// verdict is a live token's verdict, or invalid when GitLab says it is
// revoked, expired or inactive.
func (t gitlabToken) verdict() Verdict {
	v := Verdict{Validity: Valid, TokenID: t.ID, Scopes: t.Scopes}
	switch {
	case t.Username != "":
		v.Owner = t.Username
	case t.UserID != 0:
		v.Owner = fmt.Sprintf("user %d", t.UserID)
	}
	if t.ExpiresAt != nil {
		v.ExpiresAt = *t.ExpiresAt
	}
	switch {
	case t.Revoked:
		v.Validity, v.Reason = Invalid, "revoked"
	case t.Expired:
		v.Validity, v.Reason = Invalid, "expired"
	case t.Active != nil && !*t.Active:
		v.Validity, v.Reason = Invalid, "inactive"
	}
	return v
}

// gitlabAPI is the instance's API base, or "" when no instance is known.
func (c *Checker) gitlabAPI() string {
	base := strings.TrimRight(c.opts.GitLabURL, "/")
	if base == "" {
		return ""
	}
	return base + "/api/v4"
}

var noInstance = Verdict{Validity: NotChecked, Reason: "no GitLab instance URL to check against"}

// checkGitLabPAT asks the instance about a personal, project or group
// access token with the token itself: GET /personal_access_tokens/self.
func checkGitLabPAT(ctx context.Context, c *Checker, s Secret) Verdict {
	api := c.gitlabAPI()
	if api == "" {
		return noInstance
	}
	req, ok := get(ctx, api+"/personal_access_tokens/self")
	if !ok {
		return errBadURL
	}
	req.Header.Set("PRIVATE-TOKEN", s.Value)
	a, v := c.ask(req, s.Value)
	if a == nil {
		return v
	}
	if a.status == http.StatusForbidden && bytes.Contains(a.body, []byte("insufficient_scope")) {
		// GitLab authenticated the token; its scopes (read_repository…)
		// do not reach the API.
		return Verdict{Validity: Valid, Reason: "live, but its scopes do not allow the API"}
	}
	if v.Validity != Valid {
		return v
	}
	var t gitlabToken
	if !decode(a, &v, &t) {
		return v
	}
	return t.verdict()
}

// checkGitLabRunner asks the instance about a runner authentication token:
// POST /runners/verify (read-only without a system_id).
func checkGitLabRunner(ctx context.Context, c *Checker, s Secret) Verdict {
	api := c.gitlabAPI()
	if api == "" {
		return noInstance
	}
	form := url.Values{"token": {s.Value}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, api+"/runners/verify", strings.NewReader(form))
	if err != nil {
		return Verdict{Validity: NotChecked, Reason: "the GitLab instance URL is not valid"}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	a, v := c.ask(req, s.Value)
	if v.Validity != Valid {
		return v
	}
	var r struct {
		ID             int64   `json:"id"`
		TokenExpiresAt *string `json:"token_expires_at"`
	}
	if decode(a, &v, &r) {
		v.Owner = fmt.Sprintf("runner %d", r.ID)
		if r.TokenExpiresAt != nil {
			v.ExpiresAt = *r.TokenExpiresAt
		}
	}
	return v
}

// checkGitLabAdmin identifies any other GitLab token with the instance's
// token information API (POST /admin/token), which needs an
// administrator's token: the instance's auth_token.
func checkGitLabAdmin(ctx context.Context, c *Checker, s Secret) Verdict {
	api := c.gitlabAPI()
	if api == "" {
		return noInstance
	}
	if c.opts.GitLabToken == "" {
		return Verdict{Validity: NotChecked, Reason: "needs the instance's auth_token of an administrator (GitLab's token information API)"}
	}
	a, err := c.adminToken(ctx, http.MethodPost, api, s.Value, c.opts.GitLabToken)
	if err != nil {
		return failed(err)
	}
	switch a.status {
	case http.StatusOK:
		v := Verdict{Validity: Valid}
		var t gitlabToken
		if decode(a, &v, &t) {
			return t.verdict()
		}
		return v
	case http.StatusNotFound:
		return Verdict{Validity: Invalid, Reason: "HTTP 404: GitLab knows no such token"}
	case http.StatusUnauthorized, http.StatusForbidden:
		// The refused token is the instance's, not the found one.
		return Verdict{Validity: Unknown, Reason: fmt.Sprintf("HTTP %d: the instance's auth_token may not use the token information API (an administrator's token is needed)", a.status)}
	case http.StatusUnprocessableEntity:
		return Verdict{Validity: Unknown, Reason: "HTTP 422: this GitLab does not support the token's type"}
	}
	return byStatus(a)
}

// adminToken calls GitLab's token information API (POST to identify,
// DELETE to revoke) with the secret in the JSON body.
func (c *Checker) adminToken(ctx context.Context, method, api, secret, auth string) (*answer, error) {
	body, _ := json.Marshal(map[string]string{"token": secret})
	req, err := http.NewRequestWithContext(ctx, method, api+"/admin/token", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("the GitLab instance URL is not valid")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("PRIVATE-TOKEN", auth)
	return c.send(req, secret, auth)
}
