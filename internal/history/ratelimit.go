package history

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/secbot/secbot/internal/config"
)

// maxThrottled is how many 429 answers in a row one request waits out
// before the pump gives up on it for this pass.
const maxThrottled = 8

// maxWait bounds one wait for GitLab's rate limit: a reset further away
// is waited for in steps, between which the pump notes the wait.
const maxWait = 5 * time.Minute

// throttle is the transport of a GitLab API client that honours GitLab's
// rate limits: it waits out a 429 for its Retry-After (or until
// RateLimit-Reset), and once RateLimit-Remaining reaches 0 it holds the
// next requests until RateLimit-Reset. Only GET requests go through it
// (the pump only reads), so a request is sent again as it was.
type throttle struct {
	next http.RoundTripper
	// sleep waits d or until ctx ends (time.Sleep in a select; tests
	// count the waits).
	sleep func(ctx context.Context, d time.Duration) error
	// waited, when set, hears every wait and its reason.
	waited func(d time.Duration, why string)

	mu    sync.Mutex
	until time.Time // no request before this (the limit is spent)
}

func (t *throttle) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	for attempt := 0; ; attempt++ {
		if err := t.hold(ctx); err != nil {
			return nil, err
		}
		resp, err := t.next.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		t.note(resp.Header)
		if resp.StatusCode != http.StatusTooManyRequests {
			return resp, nil
		}
		d := retryAfter(resp.Header, time.Now(), attempt)
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if attempt+1 >= maxThrottled {
			return nil, fmt.Errorf("GitLab answered 429 Too Many Requests %d times in a row for %s", maxThrottled, req.URL.Path)
		}
		if t.waited != nil {
			t.waited(d, "429 Too Many Requests")
		}
		if err := t.sleep(ctx, d); err != nil {
			return nil, err
		}
	}
}

// hold waits while the rate limit is spent.
func (t *throttle) hold(ctx context.Context) error {
	t.mu.Lock()
	d := time.Until(t.until)
	t.mu.Unlock()
	if d <= 0 {
		return nil
	}
	d = min(d, maxWait)
	if t.waited != nil {
		t.waited(d, "RateLimit-Remaining reached 0")
	}
	return t.sleep(ctx, d)
}

// note reads GitLab's RateLimit-* headers: with none left, no request
// goes before RateLimit-Reset (a Unix time).
func (t *throttle) note(h http.Header) {
	remaining, err := strconv.Atoi(strings.TrimSpace(h.Get("RateLimit-Remaining")))
	if err != nil || remaining > 0 {
		return
	}
	reset, err := strconv.ParseInt(strings.TrimSpace(h.Get("RateLimit-Reset")), 10, 64)
	if err != nil {
		return
	}
	t.mu.Lock()
	t.until = time.Unix(reset, 0)
	t.mu.Unlock()
}

// retryAfter is how long a 429 asks to wait: Retry-After (seconds, or an
// HTTP date), else until RateLimit-Reset, else a growing pause; never
// less than a second nor more than maxWait.
func retryAfter(h http.Header, now time.Time, attempt int) time.Duration {
	d := time.Second << min(attempt, 6)
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.Atoi(v); err == nil {
			d = time.Duration(s) * time.Second
		} else if at, err := http.ParseTime(v); err == nil {
			d = at.Sub(now)
		}
	} else if reset, err := strconv.ParseInt(strings.TrimSpace(h.Get("RateLimit-Reset")), 10, 64); err == nil {
		d = time.Unix(reset, 0).Sub(now)
	}
	return min(max(d, time.Second), maxWait)
}

// sleep waits d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// unlimited stands in for client-go's own rate limiter, which would
// guess from RateLimit-Limit; the throttle follows what GitLab says.
type unlimited struct{}

func (unlimited) Wait(context.Context) error { return nil }

// newClient is a GitLab API client for an instance, with its auth_token
// (read_api scope is enough), through a throttle; the throttle's own
// transport bounds each request (the waits are the throttle's).
func newClient(inst config.Instance, t *throttle) (*gl.Client, error) {
	if inst.AuthToken == "" {
		return nil, fmt.Errorf("GITLAB_CONFIGS: instance %s has no auth_token; a history scan lists projects with it (read_api scope)", inst.Host)
	}
	c, err := gl.NewClient(inst.AuthToken, gl.WithBaseURL(strings.TrimSuffix(inst.Host, "/")+"/api/v4"),
		gl.WithHTTPClient(&http.Client{Transport: t}),
		gl.WithoutRetries(), gl.WithCustomLimiter(unlimited{}))
	if err != nil {
		return nil, fmt.Errorf("GitLab API client for %s: %w", inst.Host, err)
	}
	return c, nil
}
