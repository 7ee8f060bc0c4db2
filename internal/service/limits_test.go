package service_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/secbot/secbot/internal/config"
)

// The reporter takes its slow-client limits from the environment: the
// header timeout, and the bound on one client's ?wait= requests.
func TestReporterLimitsFromSettings(t *testing.T) {
	t.Parallel()
	h := newHarness(t, oneJob, config.Env{"SECBOT_HEADER_TIMEOUT": "3s", "SECBOT_MAX_WAITS_PER_CLIENT": "1"})
	if got := h.reporter.App.Server().ReadTimeout; got != 3*time.Second {
		t.Fatalf("the reporter reads headers within %s, want SECBOT_HEADER_TIMEOUT's 3s", got)
	}
	held := make(chan response, 1)
	go func() { held <- h.status(checkIDOf(shaHold), "2s") }()
	deadline := time.Now().Add(30 * time.Second)
	for testutil.ToFloat64(h.reporter.Metrics.GateWaits) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the first wait was never held")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if r := h.status(checkIDOf(shaHold), "2s"); r.Code != http.StatusTooManyRequests || r.Body["code"] != "TOO_MANY_WAITS" {
		t.Fatalf("a second wait from the same client: %d %s, want 429", r.Code, r.Raw)
	}
	if r := <-held; r.Code != http.StatusOK || r.Body["status"] != "not_started" {
		t.Fatalf("the held wait: %d %s", r.Code, r.Raw)
	}
}
