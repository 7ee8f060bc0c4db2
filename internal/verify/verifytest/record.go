package verifytest

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Behaviour is how a stand-in answers a token.
type Behaviour int

// The behaviours a token can be given; a token never given one is
// unknown to the provider (Invalid).
const (
	// Invalid: the provider's answer to a token it does not know.
	Invalid Behaviour = iota
	// Valid: the provider accepts the token.
	Valid
	// RateLimited: 429 with Retry-After (or the provider's own rate-limit answer).
	RateLimited
	// Slow: no answer until the client gives up.
	Slow
	// Unavailable: 503.
	Unavailable
)

// Token is what a stand-in knows of a token.
type Token struct {
	Behaviour Behaviour
	// Owner is who the provider says the token belongs to.
	Owner string
	// Scopes are the scopes the provider reports.
	Scopes []string
	// Secret is a pair's other half the provider checks: an AWS secret
	// access key (the SigV4 signature must be made with it), a Twilio API
	// key's secret.
	Secret string
	// Delay holds a valid answer that long (as a distant provider would).
	Delay time.Duration
}

type tokens struct {
	mu sync.Mutex
	m  map[string]Token
}

// Set tells the stand-ins how to answer token (for AWS and Twilio: the key id).
func (p *Providers) Set(token string, t Token) {
	p.tokens.mu.Lock()
	defer p.tokens.mu.Unlock()
	p.tokens.m[token] = t
}

func (p *Providers) token(tok string) Token {
	p.tokens.mu.Lock()
	defer p.tokens.mu.Unlock()
	return p.tokens.m[tok]
}

// Request is one request a stand-in saw, whole.
type Request struct {
	Host   string
	Method string
	// Target is the path and query.
	Target string
	Header http.Header
	Body   string
	At     time.Time
}

// Contains says whether s appears anywhere in the request: its target,
// headers (HTTP Basic credentials decoded) or body, as sent or
// URL-decoded.
func (r Request) Contains(s string) bool {
	hay := []string{"https://" + r.Host + r.Target, r.Body}
	for name, vs := range r.Header {
		for _, v := range vs {
			hay = append(hay, name+": "+v)
			if user, pass, ok := basic(v); ok {
				hay = append(hay, user+":"+pass)
			}
		}
	}
	for _, h := range hay {
		if strings.Contains(h, s) {
			return true
		}
		if d, err := url.QueryUnescape(h); err == nil && strings.Contains(d, s) {
			return true
		}
		if d, err := url.PathUnescape(h); err == nil && strings.Contains(d, s) {
			return true
		}
	}
	return false
}

func basic(v string) (user, pass string, ok bool) {
	enc, found := strings.CutPrefix(v, "Basic ")
	if !found {
		return "", "", false
	}
	dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
	if err != nil {
		return "", "", false
	}
	user, pass, ok = strings.Cut(string(dec), ":")
	return user, pass, ok
}

type recorder struct {
	mu       sync.Mutex
	reqs     []Request
	connects []string
	inFlight map[string]int
	max      map[string]int
	posted   []string
}

// add records r, reading its body and putting it back.
func (rc *recorder) add(r *http.Request, _ []byte) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	r.Body = io.NopCloser(bytes.NewReader(body))
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.reqs = append(rc.reqs, Request{Host: r.Host, Method: r.Method, Target: r.URL.RequestURI(),
		Header: r.Header.Clone(), Body: string(body), At: time.Now()})
}

func (rc *recorder) connect(host string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.connects = append(rc.connects, host)
}

// enter counts a request in flight at host until the returned func runs.
func (rc *recorder) enter(host string) func() {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.inFlight == nil {
		rc.inFlight, rc.max = map[string]int{}, map[string]int{}
	}
	rc.inFlight[host]++
	rc.max[host] = max(rc.max[host], rc.inFlight[host])
	return func() {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.inFlight[host]--
	}
}

// Requests are every request that came through the tunnels (and any plain
// one sent to the proxy), in order.
func (p *Providers) Requests() []Request {
	p.rec.mu.Lock()
	defer p.rec.mu.Unlock()
	return append([]Request(nil), p.rec.reqs...)
}

// Search is the requests that contain s (Request.Contains).
func (p *Providers) Search(s string) []Request {
	var out []Request
	for _, r := range p.Requests() {
		if r.Contains(s) {
			out = append(out, r)
		}
	}
	return out
}

// Connects are the CONNECT targets (host:port) the proxy was asked for.
func (p *Providers) Connects() []string {
	p.rec.mu.Lock()
	defer p.rec.mu.Unlock()
	return append([]string(nil), p.rec.connects...)
}

// MaxInFlight is the most requests host had in flight at once.
func (p *Providers) MaxInFlight(host string) int {
	p.rec.mu.Lock()
	defer p.rec.mu.Unlock()
	return p.rec.max[host]
}

// Posted are the texts posted to Slack webhooks (a check must post none).
func (p *Providers) Posted() []string {
	p.rec.mu.Lock()
	defer p.rec.mu.Unlock()
	return append([]string(nil), p.rec.posted...)
}
