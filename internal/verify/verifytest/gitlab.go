package verifytest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// GitLabToken is a token the GitLab stand-in knows.
type GitLabToken struct {
	// Kind is personal (personal, project and group access tokens), runner,
	// deploy, feed, trigger…
	Kind      string
	ID        int64
	UserID    int64
	Username  string
	Name      string
	Scopes    []string
	ExpiresAt string // YYYY-MM-DD; "" never
	Revoked   bool
	// Behaviour: Valid unless set (RateLimited, Slow, Unavailable).
	Behaviour Behaviour
	// Delay holds a valid answer that long.
	Delay time.Duration
}

// GitLabRoutes are the patterns GitLab.Handler serves, for mounting it on
// another GitLab stand-in's mux.
var GitLabRoutes = []string{
	"GET /api/v4/personal_access_tokens/self",
	"POST /api/v4/runners/verify",
	"POST /api/v4/admin/token",
	"DELETE /api/v4/admin/token",
	"DELETE /api/v4/personal_access_tokens/{id}",
}

// GitLab stands in for the parts of GitLab's REST API v4 that the
// verifiers use: personal_access_tokens/self, runners/verify, the token
// information API (admin/token, POST and DELETE) and the revocation of a
// personal access token by id. It records every request.
type GitLab struct {
	admin  string
	mu     sync.Mutex
	tokens map[string]*GitLabToken
	rec    recorder
	done   chan struct{}
}

// NewGitLab returns a stand-in whose administrator's token is admin.
func NewGitLab(admin string) *GitLab {
	return &GitLab{admin: admin, tokens: map[string]*GitLabToken{}, done: make(chan struct{})}
}

// Serve serves the stand-in until the test ends and returns its URL.
func (g *GitLab) Serve(t testing.TB) string {
	srv := httptest.NewServer(g.Handler())
	t.Cleanup(func() {
		close(g.done)
		srv.Close()
	})
	return srv.URL
}

// Add makes GitLab know token.
func (g *GitLab) Add(token string, t GitLabToken) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t.Behaviour == Invalid {
		t.Behaviour = Valid
	}
	g.tokens[token] = &t
}

// Token is what GitLab now knows of token (revoked or not).
func (g *GitLab) Token(token string) (GitLabToken, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	t, ok := g.tokens[token]
	if !ok {
		return GitLabToken{}, false
	}
	return *t, true
}

// Requests are every request the stand-in got.
func (g *GitLab) Requests() []Request {
	g.rec.mu.Lock()
	defer g.rec.mu.Unlock()
	return append([]Request(nil), g.rec.reqs...)
}

// MaxInFlight is the most requests the stand-in had in flight at once.
func (g *GitLab) MaxInFlight() int {
	g.rec.mu.Lock()
	defer g.rec.mu.Unlock()
	return g.rec.max["gitlab"]
}

// Handler serves the API under /api/v4/.
func (g *GitLab) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v4/personal_access_tokens/self", g.self)
	mux.HandleFunc("POST /api/v4/runners/verify", g.runnerVerify)
	mux.HandleFunc("POST /api/v4/admin/token", g.adminToken)
	mux.HandleFunc("DELETE /api/v4/admin/token", g.adminToken)
	mux.HandleFunc("DELETE /api/v4/personal_access_tokens/{id}", g.revokeByID)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.rec.add(r, nil)
		end := g.rec.enter("gitlab")
		defer end()
		mux.ServeHTTP(w, r)
	})
}

func gitlabMessage(w http.ResponseWriter, status int) {
	writeJSON(w, status, map[string]string{"message": fmt.Sprintf("%d %s", status, http.StatusText(status))})
}

// caller is the token a request authenticates with (PRIVATE-TOKEN or Bearer).
func caller(r *http.Request) string {
	if t := r.Header.Get("Private-Token"); t != "" {
		return t
	}
	return bearer(r)
}

// behave answers for a rate-limited, slow or unavailable token; it says
// whether it did.
func (g *GitLab) behave(w http.ResponseWriter, r *http.Request, t *GitLabToken) bool {
	switch t.Behaviour {
	case RateLimited: // Rack::Attack's answer
		w.Header().Set("Retry-After", "60")
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, "Retry later\n")
	case Slow:
		stall(r, g.done)
		gitlabMessage(w, http.StatusGatewayTimeout)
	case Unavailable:
		gitlabMessage(w, http.StatusServiceUnavailable)
	default:
		if t.Delay > 0 {
			select {
			case <-r.Context().Done():
				return true
			case <-time.After(t.Delay):
			}
		}
		return false
	}
	return true
}

// live is the known, unrevoked, unexpired token tok of kind.
func (g *GitLab) live(tok, kind string) *GitLabToken {
	g.mu.Lock()
	defer g.mu.Unlock()
	t, ok := g.tokens[tok]
	if !ok || t.Kind != kind || t.Revoked || (t.ExpiresAt != "" && t.ExpiresAt < time.Now().Format(time.DateOnly)) {
		return nil
	}
	return t
}

// apiScopes are the scopes that reach the REST API.
var apiScopes = []string{"api", "read_api", "read_user", "sudo", "admin_mode", "self_rotate"}

func (g *GitLab) self(w http.ResponseWriter, r *http.Request) {
	t := g.live(caller(r), "personal")
	if t == nil {
		gitlabMessage(w, http.StatusUnauthorized)
		return
	}
	if g.behave(w, r, t) {
		return
	}
	if !slices.ContainsFunc(t.Scopes, func(s string) bool { return slices.Contains(apiScopes, s) }) {
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "insufficient_scope",
			"error_description": "The request requires higher privileges than provided by the access token.",
			"scope":             "api read_api read_user"})
		return
	}
	writeJSON(w, http.StatusOK, g.entity(t))
}

// entity is GitLab's personal access token entity.
func (g *GitLab) entity(t *GitLabToken) map[string]any {
	var expires any
	if t.ExpiresAt != "" {
		expires = t.ExpiresAt
	}
	return map[string]any{"id": t.ID, "name": t.Name, "revoked": t.Revoked, "created_at": "2026-01-01T00:00:00.000Z",
		"description": nil, "scopes": t.Scopes, "user_id": t.UserID, "last_used_at": nil,
		"active": !t.Revoked, "expires_at": expires}
}

func (g *GitLab) runnerVerify(w http.ResponseWriter, r *http.Request) {
	tok := r.FormValue("token")
	if tok == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "token is missing"})
		return
	}
	t := g.live(tok, "runner")
	if t == nil {
		gitlabMessage(w, http.StatusForbidden)
		return
	}
	if g.behave(w, r, t) {
		return
	}
	var expires any
	if t.ExpiresAt != "" {
		expires = t.ExpiresAt + "T00:00:00.000Z"
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": t.ID, "token": tok, "token_expires_at": expires})
}

// adminToken is the token information API: POST identifies, DELETE revokes.
func (g *GitLab) adminToken(w http.ResponseWriter, r *http.Request) {
	if caller(r) != g.admin || g.admin == "" {
		g.mu.Lock()
		_, known := g.tokens[caller(r)]
		g.mu.Unlock()
		if known {
			gitlabMessage(w, http.StatusForbidden) // a user's token, not an administrator's
		} else {
			gitlabMessage(w, http.StatusUnauthorized)
		}
		return
	}
	var body struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Token == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "token is missing"})
		return
	}
	g.mu.Lock()
	t, ok := g.tokens[body.Token]
	g.mu.Unlock()
	if !ok {
		gitlabMessage(w, http.StatusNotFound)
		return
	}
	if g.behave(w, r, t) {
		return
	}
	if r.Method == http.MethodDelete {
		g.mu.Lock()
		t.Revoked = true
		g.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	e := g.entity(t)
	if t.Kind == "deploy" {
		e = map[string]any{"id": t.ID, "name": t.Name, "username": t.Username, "expires_at": e["expires_at"],
			"scopes": t.Scopes, "revoked": t.Revoked, "expired": false}
	}
	writeJSON(w, http.StatusOK, e)
}

func (g *GitLab) revokeByID(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		gitlabMessage(w, http.StatusNotFound)
		return
	}
	who := caller(r)
	g.mu.Lock()
	defer g.mu.Unlock()
	self, isUser := g.tokens[who]
	if who == "" || (who != g.admin && (!isUser || self.Revoked)) {
		gitlabMessage(w, http.StatusUnauthorized)
		return
	}
	for _, t := range g.tokens {
		if t.Kind == "personal" && t.ID == id && !t.Revoked {
			// A user may revoke only their own tokens; an administrator any.
			if who != g.admin && self.UserID != t.UserID {
				gitlabMessage(w, http.StatusForbidden)
				return
			}
			t.Revoked = true
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	gitlabMessage(w, http.StatusNotFound)
}
