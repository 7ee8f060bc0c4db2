package history

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// retryAfter reads Retry-After in seconds or as an HTTP date, else
// RateLimit-Reset, else backs off, within its bounds.
func TestRetryAfter(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	for _, tc := range []struct {
		name    string
		headers map[string]string
		attempt int
		want    time.Duration
	}{
		{"seconds", map[string]string{"Retry-After": "7"}, 0, 7 * time.Second},
		{"date", map[string]string{"Retry-After": now.Add(42 * time.Second).UTC().Format(http.TimeFormat)}, 0, 42 * time.Second},
		{"reset", map[string]string{"RateLimit-Reset": strconv.FormatInt(now.Add(9*time.Second).Unix(), 10)}, 0, 9 * time.Second},
		{"backoff", nil, 3, 8 * time.Second},
		{"at least a second", map[string]string{"Retry-After": "0"}, 0, time.Second},
		{"at most maxWait", map[string]string{"Retry-After": "86400"}, 0, maxWait},
	} {
		h := http.Header{}
		for k, v := range tc.headers {
			h.Set(k, v)
		}
		if got := retryAfter(h, now, tc.attempt); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

// The throttle waits out 429s for their Retry-After and sends the request
// again, and holds the next request until RateLimit-Reset once
// RateLimit-Remaining reaches 0.
func TestThrottleWaitsForGitLab(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	reset := time.Now().Add(30 * time.Second).Unix()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n <= 2 {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Header().Set("RateLimit-Remaining", "0")
		w.Header().Set("RateLimit-Reset", strconv.FormatInt(reset, 10))
		_, _ = w.Write([]byte("[]"))
	}))
	defer srv.Close()
	var waits []time.Duration
	th := &throttle{next: http.DefaultTransport, sleep: func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		return nil
	}}
	client := &http.Client{Transport: th}
	for range 2 {
		resp, err := client.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d, want the 429s waited out", resp.StatusCode)
		}
	}
	if len(waits) != 3 || waits[0] != 7*time.Second || waits[1] != 7*time.Second || waits[2] < 25*time.Second || waits[2] > 30*time.Second {
		t.Fatalf("waits %v; want 7s, 7s for the 429s, then about 30s for the spent limit", waits)
	}
	if calls != 4 {
		t.Errorf("%d requests; want 4 (two refused, two answered)", calls)
	}
}
