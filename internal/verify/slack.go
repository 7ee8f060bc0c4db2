package verify

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// checkSlackToken asks Slack who a bot or user token is: POST
// https://slack.com/api/auth.test. Slack answers 200 either way; "ok"
// says whether the token works.
func checkSlackToken(ctx context.Context, c *Checker, s Secret) Verdict {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "https://slack.com/api/auth.test", nil)
	req.Header.Set("Authorization", "Bearer "+s.Value)
	a, v := c.ask(req, s.Value)
	if v.Validity != Valid {
		return v
	}
	var r struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
		Team  string `json:"team"`
		User  string `json:"user"`
	}
	if !decode(a, &v, &r) {
		return Verdict{Validity: Unknown, Reason: "Slack's answer did not parse"}
	}
	switch {
	case r.OK:
		v.Owner = r.User
		if r.Team != "" {
			v.Owner += "@" + r.Team
		}
		v.Scopes = splitScopes(a.header.Get("X-OAuth-Scopes"))
		return v
	case r.Error == "ratelimited":
		return Verdict{Validity: Unknown, Reason: "rate limited"}
	case r.Error == "invalid_auth", r.Error == "not_authed", r.Error == "token_revoked",
		r.Error == "token_expired", r.Error == "account_inactive", r.Error == "no_permission":
		return Verdict{Validity: Invalid, Reason: "Slack: " + r.Error}
	}
	return Verdict{Validity: Unknown, Reason: "Slack: " + short(r.Error)}
}

// checkSlackWebhook checks an incoming webhook without posting: it sends
// a message with empty text, which Slack refuses with 400 no_text
// (missing_text_or_fallback_or_attachments) on a live webhook and with
// 403 invalid_token, 404 no_service or 410 channel_is_archived on a dead
// one. The webhook's URL is itself the secret: the request goes to the
// fixed host hooks.slack.com whatever host the match named, and only the
// path is taken from it. Workflow and trigger webhooks are not checked
// (an empty payload could start a workflow).
func checkSlackWebhook(ctx context.Context, c *Checker, s Secret) Verdict {
	i := strings.Index(s.Value, "hooks.slack.com/")
	if i < 0 {
		return Verdict{Validity: NotChecked, Reason: "not a hooks.slack.com URL"}
	}
	path := s.Value[i+len("hooks.slack.com"):]
	if !strings.HasPrefix(path, "/services/") {
		return Verdict{Validity: NotChecked, Reason: "only incoming webhooks (/services/) can be checked without posting"}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://hooks.slack.com"+path, strings.NewReader(`{"text":""}`))
	if err != nil {
		return Verdict{Validity: NotChecked, Reason: "the webhook's path is not a valid URL path"}
	}
	req.Header.Set("Content-Type", "application/json")
	a, err := c.send(req, s.Value, path)
	if err != nil {
		return failed(err)
	}
	body := strings.TrimSpace(string(a.body))
	switch {
	case a.status == http.StatusBadRequest && (body == "no_text" || body == "missing_text_or_fallback_or_attachments"):
		return Verdict{Validity: Valid}
	case a.status == http.StatusForbidden, a.status == http.StatusNotFound, a.status == http.StatusGone:
		return Verdict{Validity: Invalid, Reason: "Slack: " + short(body)}
	case a.status == http.StatusOK:
		// Should not happen: an empty text is never posted.
		return Verdict{Validity: Valid, Reason: "Slack accepted an empty message"}
	case a.status == http.StatusTooManyRequests:
		return Verdict{Validity: Unknown, Reason: rateLimited(a)}
	}
	return Verdict{Validity: Unknown, Reason: fmt.Sprintf("HTTP %d: %s", a.status, short(body))}
}

// short keeps a provider's error code readable in a reason.
func short(s string) string {
	if len(s) > 60 {
		return s[:60]
	}
	return s
}
