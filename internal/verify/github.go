package verify

import (
	"context"
	"net/http"
	"strings"
)

// githubAPI is the GitHub API base: Enterprise's when configured.
func (c *Checker) githubAPI() string {
	if c.opts.GitHubURL != "" {
		return strings.TrimRight(c.opts.GitHubURL, "/")
	}
	return "https://api.github.com"
}

// checkGitHub asks GitHub who a token is: GET /user (classic,
// fine-grained, OAuth and user-to-server tokens; the scopes of a classic
// one are in X-OAuth-Scopes), or GET /installation/repositories for an
// app installation's token (ghs_), which /user refuses.
func checkGitHub(ctx context.Context, c *Checker, s Secret) Verdict {
	path := "/user"
	installation := strings.HasPrefix(s.Value, "ghs_")
	if installation {
		path = "/installation/repositories?per_page=1"
	}
	req, ok := get(ctx, c.githubAPI()+path)
	if !ok {
		return errBadURL
	}
	req.Header.Set("Authorization", "Bearer "+s.Value)
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	a, v := c.ask(req, s.Value)
	if a == nil {
		return v
	}
	// GitHub answers its rate limits with 403 or 429 and
	// x-ratelimit-remaining: 0, or with Retry-After (secondary limits).
	if (a.status == http.StatusForbidden || a.status == http.StatusTooManyRequests) &&
		(a.header.Get("X-RateLimit-Remaining") == "0" || a.header.Get("Retry-After") != "") {
		return Verdict{Validity: Unknown, Reason: rateLimited(a)}
	}
	if v.Validity != Valid {
		return v
	}
	v.Scopes = splitScopes(a.header.Get("X-OAuth-Scopes"))
	v.ExpiresAt = a.header.Get("GitHub-Authentication-Token-Expiration")
	if installation {
		var r struct {
			Repositories []struct {
				Owner struct {
					Login string `json:"login"`
				} `json:"owner"`
			} `json:"repositories"`
		}
		if decode(a, &v, &r) && len(r.Repositories) > 0 {
			v.Owner = r.Repositories[0].Owner.Login
		}
		return v
	}
	var u struct {
		Login string `json:"login"`
	}
	if decode(a, &v, &u) {
		v.Owner = u.Login
	}
	return v
}
