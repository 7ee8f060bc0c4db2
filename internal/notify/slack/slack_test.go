package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/secbot/secbot/internal/gitlab"
	"github.com/secbot/secbot/internal/handler"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fakeSlack speaks Slack's Web API chat.postMessage and records posts.
// Channel "flaky" fails once with 500, "busy" is rate limited once, and
// "gone" does not exist.
type fakeSlack struct {
	mu    sync.Mutex
	posts map[string][]string // channel → texts
	calls map[string]int
	srv   *httptest.Server
}

func newFakeSlack(t *testing.T) *fakeSlack {
	f := &fakeSlack{posts: map[string][]string{}, calls: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/chat.postMessage" || r.ParseForm() != nil || r.Form.Get("token") != "xoxb-test" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		channel := r.Form.Get("channel")
		f.mu.Lock()
		defer f.mu.Unlock()
		f.calls[channel]++
		w.Header().Set("Content-Type", "application/json")
		switch {
		case channel == "flaky" && f.calls[channel] == 1:
			http.Error(w, "upstream trouble", http.StatusInternalServerError)
			return
		case channel == "busy" && f.calls[channel] == 1:
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		case channel == "gone":
			fmt.Fprint(w, `{"ok":false,"error":"channel_not_found"}`)
			return
		}
		if !json.Valid([]byte(r.Form.Get("blocks"))) {
			http.Error(w, "blocks are not JSON", http.StatusBadRequest)
			return
		}
		f.posts[channel] = append(f.posts[channel], r.Form.Get("text"))
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1700000000.%06d"}`, channel, f.calls[channel])
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSlack) count(channel string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.posts[channel])
}

// newMarks are the slack component's marks for a check, in memory.
func newMarks(*testing.T) handler.Marks { return &handler.MemoryMarks{} }

func findingsOf(n int) []handler.OutputFinding {
	sev := []string{"Low", "Critical", "Medium", "High", "Info"}
	var out []handler.OutputFinding
	for i := range n {
		out = append(out, handler.OutputFinding{ID: i + 1, Title: fmt.Sprintf("Hard coded token <%d> found in app/f%d.env", i, i),
			Severity: sev[i%len(sev)], New: i%7 != 6, Blocking: i%3 != 0, URL: fmt.Sprintf("http://127.0.0.1:5001/finding/%d", i+1)})
	}
	return out
}

func request(t *testing.T, m handler.Marks, list []handler.OutputFinding) *handler.Request {
	data, _ := json.Marshal(handler.OutputData{Findings: list})
	res := handler.Result{Data: data}
	return &handler.Request{Marks: m, Inputs: []handler.Input{{TaskID: "o", Scan: "gitleaks", Output: "dojo", Result: res}},
		Event: gitlab.Event{Project: gitlab.Project{WebURL: "https://gitlab.example.com/group/app", GitSSHURL: "git@gitlab.example.com:group/app.git"}}}
}

func TestMessageGolden(t *testing.T) {
	msg := compose("gitleaks", "https://gitlab.example.com/group/app", "gitlab.example.com:group/app", findingsOf(13), 5)
	got, err := json.MarshalIndent(msg, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	const path = "testdata/message.golden.json"
	if *update {
		os.MkdirAll("testdata", 0o755)
		os.WriteFile(path, append(got, '\n'), 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if !bytes.Equal(append(got, '\n'), want) {
		t.Fatalf("message differs from %s:\n%s", path, got)
	}
	// Sorted by severity before the cut: the five shown are the most severe.
	if !strings.Contains(msg.Text, "- [Critical]") || strings.Contains(msg.Text, "- [Low]") || !strings.Contains(msg.Text, "8 more were stripped") {
		t.Fatalf("fallback text: %s", msg.Text)
	}
}

func TestEachChannelOnceAcrossRetries(t *testing.T) {
	slackAPI := newFakeSlack(t)
	n, err := NewNotifier(Settings{Token: "xoxb-test", Channels: []string{"sec", "flaky", "busy"}, APIURL: slackAPI.srv.URL + "/api/"})
	if err != nil {
		t.Fatal(err)
	}
	req := request(t, newMarks(t), findingsOf(3))
	_, err = n.Notify(context.Background(), req)
	if err == nil || errors.Is(err, handler.ErrPermanent) {
		t.Fatalf("first run: err = %v, want a transient error (flaky and busy failed)", err)
	}
	for attempt := 0; attempt < 2; attempt++ {
		res, err := n.Notify(context.Background(), req)
		if err != nil {
			t.Fatalf("retry %d: %v", attempt, err)
		}
		if res.Findings != 3 {
			t.Fatalf("retry %d: notified about %d new findings, want 3", attempt, res.Findings)
		}
	}
	for _, ch := range []string{"sec", "flaky", "busy"} {
		if got := slackAPI.count(ch); got != 1 {
			t.Errorf("channel %s got %d messages, want exactly 1", ch, got)
		}
	}
}

func TestNothingSentWithoutNewFindings(t *testing.T) {
	slackAPI := newFakeSlack(t)
	n, _ := NewNotifier(Settings{Token: "xoxb-test", Channels: []string{"sec"}, APIURL: slackAPI.srv.URL + "/api/"})
	dups := findingsOf(3)
	for i := range dups {
		dups[i].New = false
	}
	if _, err := n.Notify(context.Background(), request(t, newMarks(t), dups)); err != nil {
		t.Fatal(err)
	}
	if slackAPI.count("sec") != 0 {
		t.Fatal("a message was sent for no new findings")
	}
}

func TestMissingChannelIsPermanentAndOthersStillGetIt(t *testing.T) {
	slackAPI := newFakeSlack(t)
	n, _ := NewNotifier(Settings{Token: "xoxb-test", Channels: []string{"gone", "sec"}, APIURL: slackAPI.srv.URL + "/api/"})
	_, err := n.Notify(context.Background(), request(t, newMarks(t), findingsOf(2)))
	if !errors.Is(err, handler.ErrPermanent) || !strings.Contains(err.Error(), "gone: channel_not_found") {
		t.Fatalf("err = %v", err)
	}
	if slackAPI.count("sec") != 1 {
		t.Fatal("a failing channel stopped the others (the original bot's bug)")
	}
}

// TestLiveSecretsComeFirst: a live secret of low severity is listed before
// a critical finding, marked LIVE, and kept when the message is cut.
func TestLiveSecretsComeFirst(t *testing.T) {
	list := findingsOf(6)
	list[0].Validity = "valid" // a Low one
	list[1].Validity = "invalid"
	msg := compose("gitleaks", "https://gitlab.example.com/group/app", "gitlab.example.com:group/app", list, 2)
	lines := strings.Split(msg.Text, "\n")
	if len(lines) < 3 || !strings.HasPrefix(lines[1], "- [Low] [LIVE] ") || !strings.HasPrefix(lines[2], "- [Critical] Hard") {
		t.Fatalf("the live secret is not first and marked:\n%s", msg.Text)
	}
	raw, _ := json.Marshal(msg.Blocks)
	if !strings.Contains(string(raw), ":rotating_light: *LIVE*") || strings.Count(string(raw), "LIVE") != 1 {
		t.Fatalf("blocks mark live secrets wrongly: %s", raw)
	}
}
