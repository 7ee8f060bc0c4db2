package verifytest

import (
	"fmt"
	"net/http"
	"strings"
)

// Stripe: 401 with an invalid_request_error for an unknown key.
func (p *Providers) stripeAccount(w http.ResponseWriter, r *http.Request) {
	tok := bearer(r)
	if tok == "" {
		tok, _, _ = r.BasicAuth() // Stripe also takes the key as the Basic user
	}
	p.answer(w, r, tok, answers{
		invalid: func(w http.ResponseWriter) {
			w.Header().Set("Www-Authenticate", `Basic realm="Stripe"`)
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]string{
				"type": "invalid_request_error", "message": "Invalid API Key provided: sk_test_****"}})
		},
		limited: func(w http.ResponseWriter) {
			writeJSON(w, http.StatusTooManyRequests, map[string]any{"error": map[string]string{
				"type": "invalid_request_error", "code": "rate_limit", "message": "Too many requests hit the API too quickly."}})
		},
		valid: func(w http.ResponseWriter, t Token) {
			writeJSON(w, http.StatusOK, map[string]any{"id": "acct_1Verifytest", "object": "account", "email": t.Owner})
		},
	})
}

// OpenAI: 401 invalid_api_key; the organization is a response header.
func (p *Providers) openaiModels(w http.ResponseWriter, r *http.Request) {
	p.answer(w, r, bearer(r), answers{
		invalid: func(w http.ResponseWriter) {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]any{
				"message": "Incorrect API key provided.", "type": "invalid_request_error", "param": nil, "code": "invalid_api_key"}})
		},
		limited: func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "20")
			writeJSON(w, http.StatusTooManyRequests, map[string]any{"error": map[string]any{
				"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}})
		},
		valid: func(w http.ResponseWriter, t Token) {
			w.Header().Set("Openai-Organization", t.Owner)
			writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": []any{
				map[string]any{"id": "gpt-4o", "object": "model", "owned_by": "system"}}})
		},
	})
}

// Anthropic: the key in x-api-key, anthropic-version required (400
// without it), errors as {"type":"error","error":{…}}.
func (p *Providers) anthropic(w http.ResponseWriter, r *http.Request, valid func(w http.ResponseWriter, t Token)) {
	if r.Header.Get("Anthropic-Version") == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"type": "error", "error": map[string]string{
			"type": "invalid_request_error", "message": "anthropic-version: header is required"}})
		return
	}
	p.answer(w, r, r.Header.Get("X-Api-Key"), answers{
		invalid: func(w http.ResponseWriter) {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"type": "error", "error": map[string]string{
				"type": "authentication_error", "message": "invalid x-api-key"}})
		},
		limited: func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "15")
			writeJSON(w, http.StatusTooManyRequests, map[string]any{"type": "error", "error": map[string]string{
				"type": "rate_limit_error", "message": "Number of requests has exceeded your rate limit"}})
		},
		valid: valid,
	})
}

func (p *Providers) anthropicModels(w http.ResponseWriter, r *http.Request) {
	p.anthropic(w, r, func(w http.ResponseWriter, t Token) {
		w.Header().Set("Anthropic-Organization-Id", t.Owner)
		writeJSON(w, http.StatusOK, map[string]any{"data": []any{map[string]any{"type": "model",
			"id": "claude-sonnet-4-5", "display_name": "Claude Sonnet 4.5"}}, "has_more": false})
	})
}

func (p *Providers) anthropicOrganization(w http.ResponseWriter, r *http.Request) {
	p.anthropic(w, r, func(w http.ResponseWriter, t Token) {
		writeJSON(w, http.StatusOK, map[string]any{"id": "org-1", "type": "organization", "name": t.Owner})
	})
}

// SendGrid: 401 {"errors":[…]}; the key's scopes.
func (p *Providers) sendgridScopes(w http.ResponseWriter, r *http.Request) {
	p.answer(w, r, bearer(r), answers{
		invalid: func(w http.ResponseWriter) {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"errors": []any{
				map[string]any{"field": nil, "message": "authorization required"}}})
		},
		valid: func(w http.ResponseWriter, t Token) {
			writeJSON(w, http.StatusOK, map[string]any{"scopes": t.Scopes})
		},
	})
}

// npm registry: whoami.
func (p *Providers) npmWhoami(w http.ResponseWriter, r *http.Request) {
	p.answer(w, r, bearer(r), answers{
		invalid: func(w http.ResponseWriter) {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "You must be logged in to perform this action"})
		},
		valid: func(w http.ResponseWriter, t Token) {
			writeJSON(w, http.StatusOK, map[string]any{"username": t.Owner})
		},
	})
}

// Twilio: HTTP Basic with the key's SID and secret; 401 code 20003.
func (p *Providers) twilioAccounts(w http.ResponseWriter, r *http.Request) {
	sid, secret, _ := r.BasicAuth()
	if t := p.token(sid); t.Behaviour == Valid && t.Secret != secret {
		sid = "" // the secret does not match: not authenticated
	}
	p.answer(w, r, sid, answers{
		invalid: func(w http.ResponseWriter) {
			w.Header().Set("Www-Authenticate", `Basic realm="Twilio API"`)
			writeJSON(w, http.StatusUnauthorized, map[string]any{"code": 20003, "message": "Authenticate",
				"more_info": "https://www.twilio.com/docs/errors/20003", "status": 401})
		},
		limited: func(w http.ResponseWriter) {
			writeJSON(w, http.StatusTooManyRequests, map[string]any{"code": 20429, "message": "Too Many Requests",
				"more_info": "https://www.twilio.com/docs/errors/20429", "status": 429})
		},
		valid: func(w http.ResponseWriter, t Token) {
			writeJSON(w, http.StatusOK, map[string]any{"accounts": []any{map[string]any{
				"sid": "AC" + strings.Repeat("0", 32), "friendly_name": t.Owner, "status": "active"}},
				"page": 0, "page_size": 1})
		},
	})
}

// DigitalOcean: 401 {"id":"Unauthorized"}; rate limits with ratelimit-* headers.
func (p *Providers) digitaloceanAccount(w http.ResponseWriter, r *http.Request) {
	p.answer(w, r, bearer(r), answers{
		invalid: func(w http.ResponseWriter) {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"id": "Unauthorized", "message": "Unable to authenticate you"})
		},
		limited: func(w http.ResponseWriter) {
			w.Header().Set("Ratelimit-Limit", "5000")
			w.Header().Set("Ratelimit-Remaining", "0")
			w.Header().Set("Retry-After", "60")
			writeJSON(w, http.StatusTooManyRequests, map[string]string{"id": "too_many_requests", "message": "API Rate limit exceeded."})
		},
		valid: func(w http.ResponseWriter, t Token) {
			writeJSON(w, http.StatusOK, map[string]any{"account": map[string]any{"email": t.Owner,
				"uuid": "b6fr89dbf6d9156cace5f3c78dc9851d957381ef", "status": "active", "email_verified": true}})
		},
	})
}

// Heroku Platform API v3: the Accept header names the version.
func (p *Providers) herokuAccount(w http.ResponseWriter, r *http.Request) {
	if !strings.Contains(r.Header.Get("Accept"), "application/vnd.heroku+json; version=3") {
		writeJSON(w, http.StatusBadRequest, map[string]string{"id": "bad_request",
			"message": fmt.Sprintf("Unsupported Accept header %q", r.Header.Get("Accept"))})
		return
	}
	p.answer(w, r, bearer(r), answers{
		invalid: func(w http.ResponseWriter) {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"id": "unauthorized", "message": "Invalid credentials provided."})
		},
		limited: func(w http.ResponseWriter) {
			writeJSON(w, http.StatusTooManyRequests, map[string]string{"id": "rate_limit",
				"message": "Your account reached the API rate limit. Please wait a few minutes before making new requests"})
		},
		valid: func(w http.ResponseWriter, t Token) {
			writeJSON(w, http.StatusOK, map[string]any{"email": t.Owner, "id": "01234567-89ab-cdef-0123-456789abcdef"})
		},
	})
}
