package gitlab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/gitlab"
	"github.com/secbot/secbot/internal/handler"
	"github.com/secbot/secbot/internal/jobs"
	"github.com/secbot/secbot/internal/testenv"
)

const (
	apiToken  = "glpat-StandInToken00001"
	projectID = 42
	mrIID     = 7
	reporter  = "https://secbot.example.com"
)

var ctx = context.Background()

// fixture is a notifier talking to a GitLab API stand-in, with each
// check's marks in memory.
type fixture struct {
	t     *testing.T
	api   *testenv.GitLabAPI
	url   string
	n     *Notifier
	marks map[string]*handler.MemoryMarks
}

// marksOf are a component's marks for a check, the same on every call.
func (f *fixture) marksOf(checkID, component string) handler.Marks {
	key := checkID + "/" + component
	if f.marks[key] == nil {
		f.marks[key] = &handler.MemoryMarks{}
	}
	return f.marks[key]
}

func newFixture(t *testing.T) *fixture {
	api := testenv.NewGitLabAPI(apiToken)
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	n, err := NewNotifier(Settings{ReporterURL: reporter + "/", RenderLimit: 2})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, api: api, url: srv.URL, n: n, marks: map[string]*handler.MemoryMarks{}}
}

// request makes a request of the gitlab component for a check of sha;
// active is the output's blocking findings (-1: the
// output has not finished).
func (f *fixture) request(sha string, mr bool, active int, fresh ...handler.OutputFinding) *handler.Request {
	f.t.Helper()
	id := "chk_" + sha
	data, _ := json.Marshal(handler.OutputData{Findings: fresh})
	res := handler.Result{Findings: len(fresh), Data: data}
	ev := gitlab.Event{Type: gitlab.Push, CommitSHA: sha, Ref: "refs/heads/main", Project: gitlab.Project{ID: projectID, PathWithNamespace: "g/app"}}
	if mr {
		ev.Type = gitlab.MergeRequest
		ev.MergeRequest = &gitlab.MergeRequestInfo{IID: mrIID, SourceBranch: "feature"}
	}
	output := jobs.TaskStatus{Kind: jobs.KindOutput, State: jobs.StateRunning}
	if active >= 0 {
		output.State, output.Active = jobs.StateDone, &active
	}
	return &handler.Request{
		Check: handler.Check{ID: id, CommitSHA: sha, Tasks: []jobs.TaskStatus{
			{Kind: jobs.KindScan, State: jobs.StateDone}, output, {Kind: jobs.KindNotification, State: jobs.StateRunning}}},
		Event: ev, Instance: config.Instance{Host: f.url, AuthToken: apiToken},
		Inputs: []handler.Input{{TaskID: "o", Scan: "gitleaks", Output: "dojo", Result: res}},
		Marks:  f.marksOf(id, "gitlab"),
	}
}

func finding(id int, severity, title, file string) handler.OutputFinding {
	return handler.OutputFinding{ID: id, Title: title, Severity: severity, FilePath: file, Line: id, New: true, Active: true, Blocking: true,
		URL: fmt.Sprintf("%s/finding/%d", reporter, id)}
}

func TestCommitStatusFollowsTheCheck(t *testing.T) {
	f := newFixture(t)
	const sha = "aaaa000000000000000000000000000000000001"
	req := f.request(sha, false, 1, finding(1, "High", "Hard coded token found in app/.env", "app/.env"))
	for range 2 { // a second scan of the check starting repeats nothing
		if err := f.n.Watch(ctx, req, jobs.StatusInProgress); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.n.Watch(ctx, req, jobs.StatusFail); err != nil {
		t.Fatal(err)
	}
	if _, err := f.n.Notify(ctx, req); err != nil { // the verdict is there already
		t.Fatal(err)
	}
	got := f.api.Statuses(projectID, sha, "secbot")
	if len(got) != 1 {
		t.Fatalf("statuses = %+v, want one", got)
	}
	st := got[0]
	if h := strings.Join(st.History, " → "); h != "pending → running → failed" {
		t.Fatalf("status went %s, want pending → running → failed", h)
	}
	if st.TargetURL != reporter+"/check/chk_"+sha || st.Ref != "main" || !strings.Contains(st.Description, "1 findings block") {
		t.Fatalf("status = %+v", st)
	}
	if n := len(f.api.Requests()); n != 3 {
		t.Fatalf("%d API requests, want 3 (pending, running, failed): %v", n, f.api.Requests())
	}
}

func TestNotifyAloneSetsTheVerdict(t *testing.T) {
	f := newFixture(t)
	const sha = "aaaa000000000000000000000000000000000002"
	if _, err := f.n.Notify(ctx, f.request(sha, false, 0)); err != nil {
		t.Fatal(err)
	}
	got := f.api.Statuses(projectID, sha, "secbot")
	if len(got) != 1 || got[0].Status != "success" {
		t.Fatalf("statuses = %+v, want one success", got)
	}
	if n := len(f.api.Notes(projectID, mrIID)); n != 0 {
		t.Fatalf("a push wrote %d notes", n)
	}
}

func TestStatusAlreadySetElsewhereIsNotAnError(t *testing.T) {
	f := newFixture(t)
	const sha = "aaaa000000000000000000000000000000000003"
	other, _ := NewNotifier(Settings{})
	req := f.request(sha, false, -1)
	if err := other.Watch(ctx, req, jobs.StatusInProgress); err != nil {
		t.Fatal(err)
	}
	// Another worker's notifier (no shared marks) finds GitLab's status
	// already running: GitLab answers 400 "Cannot transition".
	req.Marks = f.marksOf(req.Check.ID, "gitlab-twin")
	if err := f.n.Watch(ctx, req, jobs.StatusInProgress); err != nil {
		t.Fatalf("a status already running: %v", err)
	}
}

func TestGitLabFaults(t *testing.T) {
	f := newFixture(t)
	const sha = "aaaa000000000000000000000000000000000004"
	req := f.request(sha, false, 0)

	f.api.Fail = func(*http.Request) int { return http.StatusServiceUnavailable }
	err := f.n.Watch(ctx, req, jobs.StatusSuccess)
	if err == nil || errors.Is(err, handler.ErrPermanent) || !strings.Contains(err.Error(), "503") {
		t.Fatalf("GitLab down: err = %v, want a retryable error naming 503", err)
	}
	f.api.Fail = nil
	if _, err := f.n.Notify(ctx, req); err != nil { // the retry
		t.Fatal(err)
	}
	if got := f.api.Statuses(projectID, sha, "secbot"); len(got) != 1 || got[0].Status != "success" {
		t.Fatalf("after the retry: %+v, want success", got)
	}

	other := f.request("aaaa000000000000000000000000000000000005", false, 0)
	other.Instance.AuthToken = "glpat-WrongToken0000000"
	wrong, _ := NewNotifier(Settings{})
	_, err = wrong.Notify(ctx, other)
	if !errors.Is(err, handler.ErrPermanent) || !strings.Contains(err.Error(), "api scope") || strings.Contains(err.Error(), "WrongToken") {
		t.Fatalf("bad token: err = %v, want a permanent error naming the scope and not the token", err)
	}
	other.Instance.AuthToken = ""
	if _, err := wrong.Notify(ctx, other); !errors.Is(err, handler.ErrPermanent) || !strings.Contains(err.Error(), "auth_token") {
		t.Fatalf("no token: err = %v", err)
	}
}

func TestMergeRequestNoteIsUpdatedNotRepeated(t *testing.T) {
	f := newFixture(t)
	f.api.AddNote(projectID, mrIID, "LGTM") // people talk too
	req := f.request("bbbb000000000000000000000000000000000001", true, 3,
		finding(1, "Low", "Weak thing | in a table", "docs/a.md"),
		finding(2, "Critical", "Hard coded AWS key found in <deploy>.env", "deploy/.env"),
		finding(3, "High", "Hard coded token found in app/.env", "app/.env"))
	if _, err := f.n.Notify(ctx, req); err != nil {
		t.Fatal(err)
	}
	notes := f.api.Notes(projectID, mrIID)
	if len(notes) != 2 {
		t.Fatalf("notes = %+v, want the person's and SecBot's", notes)
	}
	body := notes[1].Body
	for _, want := range []string{"**3** new findings in commit `bbbb0000`", "([check](" + reporter + "/check/chk_bbbb",
		"#### gitleaks: 3 new, 3 blocking",
		"| Critical | [Hard coded AWS key found in &lt;deploy&gt;.env](" + reporter + "/finding/2) | `deploy/.env:2` | **yes** |",
		"| High | [Hard coded token", "1 more are on the check page."} {
		if !strings.Contains(body, want) {
			t.Fatalf("note lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "Weak thing") {
		t.Fatalf("the note lists the Low finding past render_limit 2, not the worst first:\n%s", body)
	}

	// A later push to the merge request: the same note, updated.
	later := f.request("bbbb000000000000000000000000000000000002", true, 0)
	if _, err := f.n.Notify(ctx, later); err != nil {
		t.Fatal(err)
	}
	notes = f.api.Notes(projectID, mrIID)
	if len(notes) != 2 || notes[1].ID == 0 || !strings.Contains(notes[1].Body, "no new findings in commit `bbbb0000`") {
		t.Fatalf("after a clean push: %+v", notes)
	}
}

// With several scans, the note has a section for each, saying which of its
// findings block.
func TestMergeRequestNoteGroupsByScan(t *testing.T) {
	f := newFixture(t)
	req := f.request("dddd000000000000000000000000000000000001", true, 1, finding(1, "High", "Hard coded token found in app/.env", "app/.env"))
	low := finding(9, "Low", "Use of eval", "app/x.py")
	low.Blocking = false
	data, _ := json.Marshal(handler.OutputData{Findings: []handler.OutputFinding{low}})
	req.Inputs = append(req.Inputs, handler.Input{TaskID: "o2", Scan: "bandit", Output: "dojo", Result: handler.Result{Findings: 1, Data: data}})
	if _, err := f.n.Notify(ctx, req); err != nil {
		t.Fatal(err)
	}
	notes := f.api.Notes(projectID, mrIID)
	if len(notes) != 1 {
		t.Fatalf("notes = %+v", notes)
	}
	body := notes[0].Body
	gitleaks, bandit := strings.Index(body, "#### gitleaks: 1 new, 1 blocking"), strings.Index(body, "#### bandit: 1 new, 0 blocking")
	if gitleaks < 0 || bandit < 0 || !strings.Contains(body, "**2** new findings") {
		t.Fatalf("note lacks a section per scan:\n%s", body)
	}
	if !strings.Contains(body[bandit:], "| Low | [Use of eval]("+reporter+"/finding/9) | `app/x.py:9` | no |") {
		t.Fatalf("the bandit section does not say its finding does not block:\n%s", body)
	}
}

func TestCleanMergeRequestGetsNoNote(t *testing.T) {
	f := newFixture(t)
	for range 120 { // more than one page of notes
		f.api.AddNote(projectID, mrIID, "chatter")
	}
	if _, err := f.n.Notify(ctx, f.request("cccc000000000000000000000000000000000001", true, 0)); err != nil {
		t.Fatal(err)
	}
	if n := len(f.api.Notes(projectID, mrIID)); n != 120 {
		t.Fatalf("%d notes, want only the 120 people wrote", n)
	}
	pages := 0
	for _, r := range f.api.Requests() {
		if strings.HasSuffix(r, "/notes") {
			pages++
		}
	}
	if pages != 2 {
		t.Fatalf("read %d pages of notes, want 2 (every page)", pages)
	}
}

func TestBadSettings(t *testing.T) {
	if _, err := NewNotifier(Settings{ReporterURL: "secbot.example.com"}); err == nil || !strings.Contains(err.Error(), "reporter_url") {
		t.Fatalf("err = %v", err)
	}
}

// TestMergeRequestNoteMarksLiveSecretsFirst: a live secret is listed
// before a more severe finding and marked.
func TestMergeRequestNoteMarksLiveSecretsFirst(t *testing.T) {
	f := newFixture(t)
	live := finding(2, "Medium", "Hard coded token found in app/live.env", "app/live.env")
	live.Validity = "valid"
	req := f.request("dddd000000000000000000000000000000000002", true, 2, finding(1, "Critical", "Hard coded key found in app/k.env", "app/k.env"), live)
	if _, err := f.n.Notify(ctx, req); err != nil {
		t.Fatal(err)
	}
	notes := f.api.Notes(projectID, mrIID)
	if len(notes) != 1 {
		t.Fatalf("notes = %+v", notes)
	}
	body := notes[0].Body
	liveAt, critical := strings.Index(body, "| Medium | **LIVE secret** [Hard coded token"), strings.Index(body, "| Critical | [Hard coded key")
	if liveAt < 0 || critical < 0 || liveAt > critical || strings.Count(body, "LIVE") != 1 {
		t.Fatalf("the live secret is not first and marked:\n%s", body)
	}
}
