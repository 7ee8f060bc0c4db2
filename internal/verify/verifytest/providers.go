package verifytest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Hosts are the providers' fixed hosts the proxy answers for.
var Hosts = []string{
	"api.github.com", "slack.com", "hooks.slack.com", "sts.amazonaws.com", "api.stripe.com",
	"api.openai.com", "api.anthropic.com", "api.sendgrid.com", "registry.npmjs.org",
	"api.twilio.com", "api.digitalocean.com", "api.heroku.com",
}

// answers are a provider's documented answers.
type answers struct {
	invalid func(w http.ResponseWriter)
	limited func(w http.ResponseWriter) // nil: 429, Retry-After: 30, a JSON error
	valid   func(w http.ResponseWriter, t Token)
}

// answer answers tok as it was told to (unknown tokens are invalid).
func (p *Providers) answer(w http.ResponseWriter, r *http.Request, tok string, a answers) {
	t := p.token(tok)
	if tok == "" {
		t.Behaviour = Invalid
	}
	switch t.Behaviour {
	case Valid:
		if t.Delay > 0 {
			select {
			case <-time.After(t.Delay):
			case <-r.Context().Done():
				return
			}
		}
		a.valid(w, t)
	case RateLimited:
		if a.limited != nil {
			a.limited(w)
			return
		}
		w.Header().Set("Retry-After", "30")
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"error": map[string]string{"type": "rate_limit_error", "message": "Too many requests"}})
	case Slow:
		p.stall(r)
		writeJSON(w, http.StatusGatewayTimeout, map[string]string{"message": "stalled"})
	case Unavailable:
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"message": "Service Unavailable"})
	default:
		a.invalid(w)
	}
}

// stall waits until the client gives up (or the test ends). When the
// client is gone the handler is aborted: no answer at all, as from a
// provider that never answered.
func (p *Providers) stall(r *http.Request) {
	stall(r, p.done)
}

func stall(r *http.Request, done <-chan struct{}) {
	select {
	case <-r.Context().Done():
		panic(http.ErrAbortHandler)
	case <-done:
	case <-time.After(30 * time.Second):
	}
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// bearer is a token sent as "Authorization: Bearer" (or GitHub's "token").
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	for _, prefix := range []string{"Bearer ", "bearer ", "token "} {
		if tok, ok := strings.CutPrefix(h, prefix); ok {
			return strings.TrimSpace(tok)
		}
	}
	return ""
}

// AddGitHubEnterprise makes host answer as GitHub Enterprise Server's API
// does, under /api/v3 (call it before any request is sent).
func (p *Providers) AddGitHubEnterprise(host string) {
	p.hosts[host] = http.StripPrefix("/api/v3", p.hosts["api.github.com"])
}

// routes are the stand-ins, by host.
func (p *Providers) routes() map[string]http.Handler {
	hosts := map[string]http.Handler{}
	mux := func(routes map[string]http.HandlerFunc) http.Handler {
		m := http.NewServeMux()
		for pattern, h := range routes {
			m.HandleFunc(pattern, h)
		}
		return m
	}
	hosts["api.github.com"] = mux(map[string]http.HandlerFunc{
		"GET /user":                      p.githubUser,
		"GET /installation/repositories": p.githubInstallation,
	})
	hosts["slack.com"] = mux(map[string]http.HandlerFunc{"POST /api/auth.test": p.slackAuthTest})
	hosts["hooks.slack.com"] = mux(map[string]http.HandlerFunc{"POST /services/": p.slackWebhook})
	hosts["sts.amazonaws.com"] = mux(map[string]http.HandlerFunc{"POST /{$}": p.sts})
	hosts["api.stripe.com"] = mux(map[string]http.HandlerFunc{"GET /v1/account": p.stripeAccount})
	hosts["api.openai.com"] = mux(map[string]http.HandlerFunc{"GET /v1/models": p.openaiModels})
	hosts["api.anthropic.com"] = mux(map[string]http.HandlerFunc{
		"GET /v1/models":           p.anthropicModels,
		"GET /v1/organizations/me": p.anthropicOrganization,
	})
	hosts["api.sendgrid.com"] = mux(map[string]http.HandlerFunc{"GET /v3/scopes": p.sendgridScopes})
	hosts["registry.npmjs.org"] = mux(map[string]http.HandlerFunc{"GET /-/whoami": p.npmWhoami})
	hosts["api.twilio.com"] = mux(map[string]http.HandlerFunc{"GET /2010-04-01/Accounts.json": p.twilioAccounts})
	hosts["api.digitalocean.com"] = mux(map[string]http.HandlerFunc{"GET /v2/account": p.digitaloceanAccount})
	hosts["api.heroku.com"] = mux(map[string]http.HandlerFunc{"GET /account": p.herokuAccount})
	return hosts
}

// GitHub REST API: bad credentials are 401; the primary rate limit is 403
// with x-ratelimit-remaining: 0; a classic token's scopes are X-OAuth-Scopes.
func (p *Providers) github(w http.ResponseWriter, r *http.Request, valid func(w http.ResponseWriter, t Token)) {
	p.answer(w, r, bearer(r), answers{
		invalid: func(w http.ResponseWriter) {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "Bad credentials",
				"documentation_url": "https://docs.github.com/rest", "status": "401"})
		},
		limited: func(w http.ResponseWriter) {
			w.Header().Set("X-RateLimit-Limit", "5000")
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", fmt.Sprint(time.Now().Add(time.Hour).Unix()))
			writeJSON(w, http.StatusForbidden, map[string]any{"message": "API rate limit exceeded",
				"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"})
		},
		valid: func(w http.ResponseWriter, t Token) {
			if len(t.Scopes) > 0 {
				w.Header().Set("X-OAuth-Scopes", strings.Join(t.Scopes, ", "))
			}
			w.Header().Set("X-RateLimit-Remaining", "4999")
			valid(w, t)
		},
	})
}

func (p *Providers) githubUser(w http.ResponseWriter, r *http.Request) {
	p.github(w, r, func(w http.ResponseWriter, t Token) {
		writeJSON(w, http.StatusOK, map[string]any{"login": t.Owner, "id": 1, "type": "User"})
	})
}

func (p *Providers) githubInstallation(w http.ResponseWriter, r *http.Request) {
	p.github(w, r, func(w http.ResponseWriter, t Token) {
		writeJSON(w, http.StatusOK, map[string]any{"total_count": 1, "repositories": []any{
			map[string]any{"id": 1, "full_name": t.Owner + "/repo", "owner": map[string]any{"login": t.Owner}}}})
	})
}

// Slack Web API: 200 with "ok" false for a bad token; the token may also
// come as a form field.
func (p *Providers) slackAuthTest(w http.ResponseWriter, r *http.Request) {
	tok := bearer(r)
	if tok == "" {
		_ = r.ParseForm()
		tok = r.Form.Get("token")
	}
	p.answer(w, r, tok, answers{
		invalid: func(w http.ResponseWriter) {
			writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_auth"})
		},
		limited: func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "30")
			writeJSON(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"})
		},
		valid: func(w http.ResponseWriter, t Token) {
			if len(t.Scopes) > 0 {
				w.Header().Set("X-OAuth-Scopes", strings.Join(t.Scopes, ","))
			}
			writeJSON(w, http.StatusOK, map[string]any{"ok": true, "url": "https://team.slack.com/",
				"team": "Team", "user": t.Owner, "team_id": "T0001", "user_id": "U0001"})
		},
	})
}

// Slack incoming webhooks answer plain text: "ok", or an error code with
// its status (400 no_text, 403 invalid_token, 404 no_service…).
func (p *Providers) slackWebhook(w http.ResponseWriter, r *http.Request) {
	tok := "https://hooks.slack.com" + r.URL.Path
	if p.token(tok).Behaviour == Invalid {
		tok = "hooks.slack.com" + r.URL.Path
	}
	text := func(w http.ResponseWriter, status int, s string) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		fmt.Fprint(w, s)
	}
	p.answer(w, r, tok, answers{
		invalid: func(w http.ResponseWriter) { text(w, http.StatusForbidden, "invalid_token") },
		limited: func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "30")
			text(w, http.StatusTooManyRequests, "rate_limited")
		},
		valid: func(w http.ResponseWriter, _ Token) {
			var msg struct {
				Text   string `json:"text"`
				Blocks []any  `json:"blocks"`
			}
			if err := json.NewDecoder(r.Body).Decode(&msg); err != nil {
				text(w, http.StatusBadRequest, "invalid_payload")
				return
			}
			if msg.Text == "" && len(msg.Blocks) == 0 {
				text(w, http.StatusBadRequest, "no_text")
				return
			}
			p.rec.mu.Lock()
			p.rec.posted = append(p.rec.posted, msg.Text)
			p.rec.mu.Unlock()
			text(w, http.StatusOK, "ok")
		},
	})
}
