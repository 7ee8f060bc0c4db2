package testenv

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
)

// SlackAPI stands in for Slack's Web API chat.postMessage: it accepts its
// bot token, answers like Slack and keeps each channel's messages (their
// plain-text fallback).
type SlackAPI struct {
	// URL is the API base to configure as the slack component's api_url.
	URL   string
	token string
	mu    sync.Mutex
	posts map[string][]string
	raw   []string // every request's form, whole
	// limited is how many more posts are answered "rate limited".
	limited int
}

// NewSlackAPI starts a stand-in that accepts token.
func NewSlackAPI(t testing.TB, token string) *SlackAPI {
	s := &SlackAPI{token: token, posts: map[string][]string{}}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL + "/api/"
	return s
}

func (s *SlackAPI) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path != "/api/chat.postMessage" {
		fmt.Fprint(w, `{"ok":false,"error":"unknown_method"}`)
		return
	}
	s.mu.Lock()
	if s.limited > 0 {
		s.limited--
		s.mu.Unlock()
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"ok":false,"error":"ratelimited"}`)
		return
	}
	s.mu.Unlock()
	_ = r.ParseForm()
	// Slack takes the token as a bearer header or as a form field.
	if r.Header.Get("Authorization") != "Bearer "+s.token && r.Form.Get("token") != s.token {
		fmt.Fprint(w, `{"ok":false,"error":"invalid_auth"}`)
		return
	}
	channel := r.Form.Get("channel")
	s.mu.Lock()
	s.raw = append(s.raw, r.Form.Encode())
	s.posts[channel] = append(s.posts[channel], r.Form.Get("text"))
	n := len(s.posts[channel])
	s.mu.Unlock()
	fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1700000000.%06d"}`, channel, n)
}

// RateLimit answers the next n posts 429 with Retry-After: 1, as Slack
// does when a bot posts too fast.
func (s *SlackAPI) RateLimit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limited = n
}

// Messages returns the texts posted to channel, oldest first.
func (s *SlackAPI) Messages(channel string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.posts[channel])
}

// Total counts the messages posted to every channel.
func (s *SlackAPI) Total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, p := range s.posts {
		n += len(p)
	}
	return n
}

// Raw returns every request's form as it was sent, for searching.
func (s *SlackAPI) Raw() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.raw)
}
