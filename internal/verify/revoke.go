package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Revocation is what GitLab answered when a token was revoked, and the
// token's verdict checked again afterwards. It holds no secret.
type Revocation struct {
	// At is when GitLab answered.
	At time.Time
	// Call names the API call made ("DELETE /api/v4/personal_access_tokens/42").
	Call string
	// Status is GitLab's HTTP status (204 when revoked).
	Status int
	// Message is GitLab's message, if it gave one.
	Message string
	// After is the verdict of the check made after revoking (invalid when it worked).
	After Verdict
}

// revocable are the rules of GitLab's personal, project and group access
// tokens (all personal access tokens to GitLab's API).
var revocable = map[string]bool{"gitlab-pat": true, "gitlab-pat-routable": true}

// Revoke revokes a live GitLab personal, project or group access token on
// the instance with adminToken (an administrator's token with the api
// scope): DELETE /personal_access_tokens/:id when the verdict knows the
// token's id, else DELETE /admin/token with the token in the body. It then
// checks the token again. It refuses other rules and tokens not found
// valid; an error never holds either token.
func (c *Checker) Revoke(ctx context.Context, s Secret, v Verdict, adminToken string) (Revocation, error) {
	switch {
	case !revocable[s.RuleID]:
		return Revocation{}, fmt.Errorf("revoke: rule %q is not a GitLab access token: only personal, project and group access tokens can be revoked", s.RuleID)
	case v.Validity != Valid:
		return Revocation{}, fmt.Errorf("revoke: the token is %s, not valid: only a live token is revoked", v.Validity)
	case adminToken == "":
		return Revocation{}, errors.New("revoke: no admin_token: set the instance's admin_token (an administrator's token with the api scope)")
	}
	api := c.gitlabAPI()
	if api == "" {
		return Revocation{}, errors.New("revoke: no GitLab instance URL")
	}
	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var r Revocation
	var a *answer
	var err error
	if v.TokenID != 0 {
		r.Call = fmt.Sprintf("DELETE /api/v4/personal_access_tokens/%d", v.TokenID)
		req, rerr := http.NewRequestWithContext(rctx, http.MethodDelete, fmt.Sprintf("%s/personal_access_tokens/%d", api, v.TokenID), nil)
		if rerr != nil {
			return Revocation{}, errors.New("revoke: the GitLab instance URL is not valid")
		}
		req.Header.Set("PRIVATE-TOKEN", adminToken)
		a, err = c.send(req, s.Value, adminToken)
	} else {
		r.Call = "DELETE /api/v4/admin/token"
		a, err = c.adminToken(rctx, http.MethodDelete, api, s.Value, adminToken)
	}
	r.At = time.Now().UTC()
	if err != nil {
		return r, fmt.Errorf("revoke: %s: %w", r.Call, err)
	}
	r.Status = a.status
	var m struct {
		Message any `json:"message"`
	}
	if json.Unmarshal(a.body, &m) == nil && m.Message != nil {
		msg := fmt.Sprint(m.Message)
		if len(msg) > 200 {
			msg = msg[:200]
		}
		r.Message = scrub(msg, s.Value, adminToken)
	}
	if a.status != http.StatusNoContent && a.status != http.StatusOK {
		return r, fmt.Errorf("revoke: %s: GitLab answered HTTP %d %s", r.Call, a.status, r.Message)
	}
	r.After = c.Verify(ctx, s)
	return r, nil
}
