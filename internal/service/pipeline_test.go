package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/gitlab"
	"github.com/secbot/secbot/internal/handler"
	"github.com/secbot/secbot/internal/output/defectdojo"
)

func TestStatusPaths(t *testing.T) {
	t.Parallel()
	h := newHarness(t, oneJob, nil)
	h.startWorker()
	if r := h.status(checkIDOf(shaClean), ""); r.Code != http.StatusOK || r.Body["status"] != "not_started" {
		t.Fatalf("unknown id: %d %s", r.Code, r.Raw)
	}
	tests := []struct {
		name, sha, want string
		attempts        float64
		taskError       string
	}{
		{name: "clean push succeeds", sha: shaClean, want: "success", attempts: 1},
		{name: "active finding fails", sha: shaSecret, want: "fail", attempts: 1},
		{name: "transient error is retried", sha: shaFlaky, want: "fail", attempts: 2},
		{name: "permanent error is an error with its reason", sha: shaPermanent, want: "error", attempts: 1, taskError: "permanent: commit does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := h.post("Push Hook", pushOf(t, tt.sha), nil); r.Code != http.StatusOK {
				t.Fatalf("hook: %d %s", r.Code, r.Raw)
			}
			r := h.waitAllTasks(checkIDOf(tt.sha))
			if r.Body["status"] != tt.want {
				t.Fatalf("status = %s, want %s", r.Raw, tt.want)
			}
			scan := r.Body["tasks"].([]any)[0].(map[string]any)
			if scan["kind"] != "scan" || scan["attempts"] != tt.attempts {
				t.Fatalf("scan task = %v, want %v attempts", scan, tt.attempts)
			}
			if tt.taskError != "" && scan["error"] != tt.taskError {
				t.Fatalf("scan error = %q, want %q", scan["error"], tt.taskError)
			}
		})
	}
}

func TestInProgressAndWait(t *testing.T) {
	t.Parallel()
	h := newHarness(t, oneJob, nil)
	h.startWorker()
	id := checkIDOf(shaHold)
	h.post("Push Hook", pushOf(t, shaHold), nil)
	deadline := time.Now().Add(30 * time.Second)
	for h.scanner.count(shaHold) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the scan never started")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if r := h.status(id, ""); r.Body["status"] != "in_progress" {
		t.Fatalf("status while scanning = %s", r.Raw)
	}
	if r := h.status(id, "300ms"); r.Body["status"] != "in_progress" {
		t.Fatalf("?wait= shorter than the scan must answer in_progress: %s", r.Raw)
	}
	answered := make(chan response, 1)
	start := time.Now()
	go func() { answered <- h.status(id, "2m") }()
	select {
	case r := <-answered:
		t.Fatalf("?wait= answered before the check finished: %s", r.Raw)
	case <-time.After(300 * time.Millisecond):
	}
	close(h.scanner.release)
	r := <-answered
	if r.Body["status"] != "success" {
		t.Fatalf("status = %s", r.Raw)
	}
	// The answer must come from the check finishing, not from the 2m limit.
	if waited := time.Since(start); waited > time.Minute {
		t.Fatalf("?wait= held the request for %s after the check finished", waited)
	}
	if n := h.scanner.count(shaHold); n != 1 {
		t.Fatalf("the held scan ran %d times; the sweeper must not duplicate a running task", n)
	}
}

func TestWorkerProbesAndMetrics(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	h := newHarness(t, oneJob, config.Env{"SECBOT_WORKER_ADDR": addr})
	h.startWorker()
	h.post("Push Hook", pushOf(t, shaSecret), nil)
	h.waitAllTasks(checkIDOf(shaSecret))
	get := func(path string) string {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s = %d %s", path, resp.StatusCode, body)
		}
		return string(body)
	}
	if got := get("/readyz"); got != `{"status":"ok"}` {
		t.Fatalf("/readyz = %s", got)
	}
	m := get("/metrics")
	for _, kind := range []string{"scan", "output", "notification"} {
		if want := `secbot_tasks_total{kind="` + kind + `",outcome="done"} 1`; !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestWaitValidation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, oneJob, nil)
	r := h.status(checkIDOf(shaClean), "soon")
	if r.Code != http.StatusBadRequest || r.Body["code"] != "VALIDATION_FAILED" {
		t.Fatalf("got %d %s", r.Code, r.Raw)
	}
	if r := h.status(checkIDOf(shaClean), "1"); r.Code != http.StatusOK || r.Body["status"] != "not_started" {
		t.Fatalf("?wait=1 on an unknown id: %d %s", r.Code, r.Raw)
	}
}

func TestHookAcceptedWhileRedisIsDownIsProcessedLater(t *testing.T) {
	t.Parallel()
	h := newHarness(t, oneJob, nil)
	h.startWorker()
	h.redis.Stop()
	id := checkIDOf(shaSecret)
	r := h.post("Push Hook", pushOf(t, shaSecret), nil)
	if r.Code != http.StatusOK || r.Body["security_check_id"] != id {
		t.Fatalf("a hook must be accepted while Redis is down: %d %s", r.Code, r.Raw)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, h.env["SECBOT_POSTGRES_DSN"])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var unqueued int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM tasks WHERE state = 'queued' AND enqueued_at IS NULL`).Scan(&unqueued); err != nil {
		t.Fatal(err)
	}
	if unqueued != 1 {
		t.Fatalf("tasks waiting for the sweeper = %d, want the 1 scan", unqueued)
	}
	time.Sleep(time.Second) // several sweeps fail meanwhile
	if s := h.status(id, ""); s.Body["status"] != "in_progress" {
		t.Fatalf("status while Redis is down = %s", s.Raw)
	}
	h.redis.Start()
	if got := h.waitAllTasks(id); got.Body["status"] != "fail" {
		t.Fatalf("status after Redis came back = %s", got.Raw)
	}
	if n := h.scanner.count(shaSecret); n != 1 {
		t.Fatalf("scanned %d times, want once", n)
	}
	if n := h.notifier.count(id); n != 1 {
		t.Fatalf("notified %d times, want once", n)
	}
}

func TestSameCommitPushThenMergeRequestReusesTheCheck(t *testing.T) {
	t.Parallel()
	h := newHarness(t, oneJob, nil)
	h.startWorker()
	id := checkIDOf(shaSecret)
	if r := h.post("Push Hook", pushOf(t, shaSecret), nil); r.Body["security_check_id"] != id {
		t.Fatalf("push: %s", r.Raw)
	}
	if got := h.waitAllTasks(id); got.Body["status"] != "fail" {
		t.Fatalf("after push: %s", got.Raw)
	}
	push := hook(t, "webhooks/push.json", nil)
	mr := hook(t, "webhooks/merge_request.json", func(b map[string]any) {
		var p map[string]any
		_ = json.Unmarshal(push, &p)
		b["project"] = p["project"]
		b["object_attributes"].(map[string]any)["last_commit"].(map[string]any)["id"] = shaSecret
	})
	r := h.post("Merge Request Hook", mr, nil)
	if r.Code != http.StatusOK || r.Body["security_check_id"] != id {
		t.Fatalf("merge request on the same commit: %d %s", r.Code, r.Raw)
	}
	got := h.waitAllTasks(id)
	if got.Body["status"] != "fail" {
		t.Fatalf("a repeat event must not change a finished verdict: %s", got.Raw)
	}
	if n := h.scanner.count(shaSecret); n != 1 {
		t.Fatalf("scanned %d times, want once", n)
	}
	if n := h.notifier.count(id); n != 1 {
		t.Fatalf("notified %d times, want once", n)
	}
	// The merge request ran its own notification, with its own event (a
	// note on the merge request needs it), on the push's results.
	if ev := h.notifier.eventsOf(id); len(ev) != 2 || ev[0] != gitlab.Push || ev[1] != gitlab.MergeRequest {
		t.Fatalf("notifications ran for %v, want [push merge_request]", ev)
	}
}

func TestWorkerStartingLaterSweepsAtOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, oneJob, config.Env{"SECBOT_SWEEP_INTERVAL": "1h"})
	h.redis.Stop()
	id := checkIDOf(shaClean)
	if r := h.post("Push Hook", pushOf(t, shaClean), nil); r.Code != http.StatusOK {
		t.Fatalf("hook: %d %s", r.Code, r.Raw)
	}
	h.redis.Start()
	// No sweep for an hour, but the first one runs when the worker starts.
	h.startWorker()
	if got := h.waitAllTasks(id); got.Body["status"] != "success" {
		t.Fatalf("status = %s", got.Raw)
	}
}

func TestTriageTurnsFailIntoSuccess(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	reporterURL := "http://" + ln.Addr().String()
	cfg := fmt.Sprintf(`
version: 1.0
components:
  fake-scan: {handler_name: fake-scan}
  dojo:
    handler_name: defectdojo
    config: {url: %q, secret_key: %q}
  fake-notify: {handler_name: fake-notify}
jobs:
  - name: everything
    rules: {gitlab: null}
    scans: [fake-scan]
    outputs: [dojo]
    notifications: [fake-notify]
`, reporterURL, dojoToken)
	h := newHarness(t, cfg, nil)
	go func() { _ = h.reporter.App.Listener(ln) }()
	h.startWorkerWith(h.registry(handler.Export("defectdojo", nil, defectdojo.New)))

	id := checkIDOf(shaReport)
	h.post("Push Hook", pushOf(t, shaReport), nil)
	got := h.waitAllTasks(id)
	if got.Body["status"] != "fail" {
		t.Fatalf("status = %s\n%s", got.Raw, h.logText())
	}
	// Mark the finding a false positive in the findings service.
	req, _ := http.NewRequest(http.MethodGet, reporterURL+"/api/v2/findings/?test__tags="+shaReport, nil)
	req.Header.Set("Authorization", "Token "+dojoToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Results []struct{ ID int } `json:"results"`
	}
	json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if len(list.Results) != 1 {
		t.Fatalf("findings of the commit: %+v", list)
	}
	patch, _ := http.NewRequest(http.MethodPatch, fmt.Sprintf("%s/api/v2/findings/%d/", reporterURL, list.Results[0].ID), strings.NewReader(`{"false_p": true}`))
	patch.Header.Set("Authorization", "Token "+dojoToken)
	patch.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(patch); err != nil || resp.StatusCode != 200 {
		t.Fatalf("triage: %v %v", resp, err)
	}
	if s := h.status(id, ""); s.Body["status"] != "success" {
		t.Fatalf("after marking the finding a false positive: %s", s.Raw)
	}
	if n := h.scanner.count(shaReport); n != 1 {
		t.Fatalf("triage re-ran the scan (%d runs)", n)
	}
}

func TestLaterEventRetriesFailedWork(t *testing.T) {
	t.Parallel()
	// An hour between sweeps: the retry must not wait for the sweeper.
	h := newHarness(t, oneJob, config.Env{"SECBOT_SWEEP_INTERVAL": "1h"})
	h.startWorker()
	id := checkIDOf(shaFailOnce)
	h.post("Push Hook", pushOf(t, shaFailOnce), nil)
	if got := h.waitAllTasks(id); got.Body["status"] != "error" {
		t.Fatalf("first event: %s", got.Raw)
	}
	// Resending the same delivery changes nothing.
	h.post("Push Hook", pushOf(t, shaFailOnce), nil)
	if got := h.status(id, ""); got.Body["status"] != "error" || h.scanner.count(shaFailOnce) != 1 {
		t.Fatalf("a resent delivery re-ran work: %s", got.Raw)
	}
	mr := hook(t, "webhooks/merge_request.json", func(b map[string]any) {
		var p map[string]any
		_ = json.Unmarshal(hook(t, "webhooks/push.json", nil), &p)
		b["project"] = p["project"]
		b["object_attributes"].(map[string]any)["last_commit"].(map[string]any)["id"] = shaFailOnce
	})
	h.post("Merge Request Hook", mr, nil)
	if got := h.waitAllTasks(id); got.Body["status"] != "success" {
		t.Fatalf("after a new event: %s", got.Raw)
	}
	if n := h.scanner.count(shaFailOnce); n != 2 {
		t.Fatalf("scanned %d times, want 2", n)
	}
}
