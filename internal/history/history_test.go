package history_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/verify/verifytest"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/gitlab/gitserver"
	"github.com/secbot/secbot/internal/history"
	"github.com/secbot/secbot/internal/store"
)

// A history scan of an instance of 250 projects, listed over three pages
// through a rate-limited API: the three whose history holds a secret and
// the two clean ones are scanned once each, a worker restart mid-way
// rescans nothing, a burst of 429s is waited out, archived and empty
// projects are skipped with their reasons, the findings are tagged
// historical, nothing is notified, and a second run skips every head
// already scanned.
func TestHistoryScanOfAnInstance(t *testing.T) {
	t.Parallel()
	s := newStack(t, config.Env{"SECBOT_HISTORY_CONCURRENCY": "1"})
	heads := map[int64]string{} // the projects to scan, by id
	var archivedHead string
	var list []gitserver.Project
	for id := int64(1); id <= 250; id++ {
		p := gitserver.Project{ID: id, Path: fmt.Sprintf("org/team%d/empty-%03d", id%3, id), Empty: true}
		switch id {
		case 7, 120, 233:
			p = gitserver.Project{ID: id, Path: fmt.Sprintf("org/team%d/secret-%03d", id%3, id), DefaultBranch: "main"}
			heads[id] = secretRepo(t, s.git, p.Path, int(id))
		case 50, 170:
			p = gitserver.Project{ID: id, Path: fmt.Sprintf("org/clean-%03d", id), DefaultBranch: "main"}
			heads[id] = cleanRepo(t, s.git, p.Path)
		case 90:
			p = gitserver.Project{ID: id, Path: "org/old-090", DefaultBranch: "main", Archived: true}
			archivedHead = secretRepo(t, s.git, p.Path, int(id))
		case 200:
			// Listed with a default branch, but its repository has none.
			p = gitserver.Project{ID: id, Path: "org/gone-200", DefaultBranch: "main"}
		}
		list = append(list, p)
	}
	s.git.Projects.Add(list...)
	// The instance knows the token planted in project 120: it is live.
	s.git.Tokens.Add(fmt.Sprintf("glpat-Xk9vQ2mT7pLr4sW%05d", 120), verifytest.GitLabToken{Kind: "personal", ID: 120, UserID: 3})
	s.git.Projects.SetLimit(4)
	s.git.Projects.Throttle(2, 1)

	s.startWorker()
	id := s.start(history.Request{Instance: s.git.Server.URL})
	s.waitFor(id, "one project done", func(r history.Report) bool { return r.Progress.Done >= 1 })
	s.stopWorker()
	if mid := s.report(id); mid.Progress.Done >= len(heads) || !mid.Active() {
		t.Fatalf("the restart was not mid-way: %+v", mid.Progress)
	}
	s.startWorker()
	rep := s.waitEnded(id)

	p := rep.Progress
	if rep.State != store.HistoryDone || p.Listed != 250 || p.Done != len(heads) || p.Failed != 0 ||
		p.Skipped != 250-len(heads) || p.Findings != 3 || p.Pending+p.Scanning != 0 {
		t.Fatalf("run ended %s with %+v; want done, 250 listed, %d done, 3 findings", rep.State, p, len(heads))
	}
	if p.LiveSecrets == nil || *p.LiveSecrets != 1 || p.ETASeconds == nil || *p.ETASeconds != 0 {
		t.Errorf("live secrets %v, eta %v; want 1 (the token the instance knows) and 0", p.LiveSecrets, p.ETASeconds)
	}
	for pid, head := range heads {
		if n := s.scans.of(head); n != 1 {
			t.Errorf("project %d (head %s) scanned %d times; want once", pid, head, n)
		}
	}
	if n := s.scans.of(archivedHead); n != 0 {
		t.Errorf("the archived project was scanned %d times", n)
	}
	if got := s.git.Projects.Throttled(); got != 2 {
		t.Errorf("%d requests answered 429; want the 2 asked for, waited out", got)
	}
	// Only the restarted worker's first request may come past the limit:
	// a new process cannot know it is spent.
	if n := s.git.Projects.OverLimit(); n > 1 {
		t.Errorf("%d requests came past the rate limit: RateLimit-Remaining was not honoured", n)
	}
	pages := 0
	for _, r := range s.git.Projects.Requests() {
		if strings.HasPrefix(r, "/api/v4/projects?") && !strings.HasSuffix(r, " 429") {
			pages++
		}
	}
	if pages != 3 {
		t.Errorf("%d pages answered; want the three of 250 projects, once each", pages)
	}
	reasons := map[int64]string{}
	for _, hp := range s.projects(id) {
		reasons[hp.ProjectID] = hp.State + ": " + hp.Reason
		if _, scanned := heads[hp.ProjectID]; scanned && (hp.HeadSHA != heads[hp.ProjectID] || !strings.HasPrefix(hp.CheckID, "history:")) {
			t.Errorf("project %d: head %q check %q", hp.ProjectID, hp.HeadSHA, hp.CheckID)
		}
	}
	// Each project's check is an ordinary one, under its history: id.
	var gate struct {
		Status    string `json:"status"`
		EventType string `json:"event_type"`
	}
	for _, hp := range s.projects(id) {
		if hp.ProjectID != 7 && hp.ProjectID != 50 {
			continue
		}
		want := map[int64]string{7: "fail", 50: "success"}[hp.ProjectID]
		if code := s.call(http.MethodGet, "/v1/security/gitlab/check/"+hp.CheckID, "", nil, &gate); code != http.StatusOK ||
			gate.Status != want || gate.EventType != "history" {
			t.Errorf("gate of %s: %d %+v; want %s of a history event", hp.CheckID, code, gate, want)
		}
	}
	for pid, want := range map[int64]string{90: "skipped: archived", 200: "skipped: empty repository", 1: "skipped: empty repository", 7: "done: "} {
		if !strings.HasPrefix(reasons[pid], want) {
			t.Errorf("project %d: %q; want %q…", pid, reasons[pid], want)
		}
	}

	// The findings are in the findings service, tagged historical, test and all.
	rows, err := s.reporter.Store.Pool().Query(context.Background(), `
		SELECT f.tags, t.tags FROM findings f JOIN tests t ON t.id = f.test ORDER BY f.id`)
	if err != nil {
		t.Fatal(err)
	}
	var found int
	for rows.Next() {
		var findingTags, testTags []string
		if err := rows.Scan(&findingTags, &testTags); err != nil {
			t.Fatal(err)
		}
		found++
		if !contains(findingTags, "historical") || !contains(testTags, "historical") {
			t.Errorf("finding tagged %v in a test tagged %v; want historical on both", findingTags, testTags)
		}
	}
	if rows.Close(); found != 3 {
		t.Errorf("%d findings stored; want 3", found)
	}
	if sent := s.notified.list(); len(sent) != 0 {
		t.Errorf("notifications sent for %v; history scans notify only when the job asks", sent)
	}

	// A second run finds every head scanned already.
	again := s.waitEnded(s.start(history.Request{Instance: s.git.Server.URL}))
	if again.State != store.HistoryDone || again.Progress.Done != 0 || again.Progress.Skipped != 250 {
		t.Fatalf("second run: %s %+v; want every project skipped", again.State, again.Progress)
	}
	for _, hp := range s.projects(again.ID) {
		if _, scanned := heads[hp.ProjectID]; scanned && hp.Reason != fmt.Sprintf("head %s already scanned by history scan %d", hp.HeadSHA, id) {
			t.Errorf("second run, project %d: %q", hp.ProjectID, hp.Reason)
		}
	}
	if n := s.scans.total(); n != len(heads) {
		t.Errorf("%d scans in all; want %d", n, len(heads))
	}
}

// Cancelling a run skips its projects not started and the unstarted
// tasks of the one being scanned: it stops, and a second cancel is
// refused. The routes also refuse requests without a superuser's token,
// and requests that name no configured instance.
func TestCancelStopsAHistoryScan(t *testing.T) {
	t.Parallel()
	s := newStack(t, config.Env{"SECBOT_HISTORY_CONCURRENCY": "1"})
	var paths []string
	for i := range 6 {
		path := fmt.Sprintf("team/app-%d", i)
		cleanRepo(t, s.git, path)
		s.git.Projects.Add(gitserver.Project{ID: int64(100 + i), Path: path, DefaultBranch: "main"})
		paths = append(paths, path)
	}

	var envelope struct {
		Code    string `json:"code"`
		Details []struct {
			Field string `json:"field"`
		} `json:"details"`
	}
	if code := s.call(http.MethodPost, history.Path, "", history.Request{}, &envelope); code != http.StatusUnauthorized {
		t.Errorf("no token: %d %+v; want 401", code, envelope)
	}
	if code := s.call(http.MethodPost, history.Path, "0123456789abcdef0123456789abcdef01234567", history.Request{}, &envelope); code != http.StatusUnauthorized {
		t.Errorf("unknown token: %d; want 401", code)
	}
	code := s.call(http.MethodPost, history.Path, adminToken, history.Request{Instance: "https://elsewhere.example", Projects: []string{""}}, &envelope)
	if code != http.StatusBadRequest || envelope.Code != "VALIDATION_FAILED" || len(envelope.Details) != 2 ||
		envelope.Details[0].Field != "instance" || envelope.Details[1].Field != "projects[0]" {
		t.Errorf("bad request: %d %+v; want 400 naming instance and projects[0]", code, envelope)
	}
	if code := s.call(http.MethodGet, history.Path+"/999", adminToken, nil, &envelope); code != http.StatusNotFound {
		t.Errorf("unknown run: %d; want 404", code)
	}

	s.startWorker()
	id := s.start(history.Request{Instance: s.git.Server.URL, Projects: paths})
	s.waitFor(id, "one project done", func(r history.Report) bool { return r.Progress.Done >= 1 })
	var rep history.Report
	if code := s.call(http.MethodPost, fmt.Sprintf("%s/%d/cancel", history.Path, id), adminToken, nil, &rep); code != http.StatusOK ||
		rep.State != store.HistoryCancelled {
		t.Fatalf("cancel: %d %s", code, rep.State)
	}
	if code := s.call(http.MethodPost, fmt.Sprintf("%s/%d/cancel", history.Path, id), adminToken, nil, &envelope); code != http.StatusConflict {
		t.Errorf("second cancel: %d; want 409", code)
	}
	s.waitFor(id, "without tasks in flight", func(history.Report) bool {
		var open int
		err := s.reporter.Store.Pool().QueryRow(context.Background(), `
			SELECT count(*) FROM tasks WHERE check_id LIKE 'history:%' AND state IN ('waiting', 'queued', 'running')`).Scan(&open)
		return err == nil && open == 0
	})
	s.stopWorker()

	end := s.report(id)
	cancelled := 0
	for _, hp := range s.projects(id) {
		if hp.State == store.ProjectPending || hp.State == store.ProjectScanning {
			t.Errorf("project %s still %s after the cancel", hp.Path, hp.State)
		}
		if strings.HasPrefix(hp.Reason, "cancelled") {
			cancelled++
		}
	}
	if end.State != store.HistoryCancelled || cancelled < 3 || s.scans.total() > 3 || end.Progress.Done+cancelled != len(paths) {
		t.Fatalf("after the cancel: %s %+v, %d cancelled, %d scans; want it stopped", end.State, end.Progress, cancelled, s.scans.total())
	}
}

// A worker restart in the middle of a listing resumes it at the next
// page: with GitLab allowing one request a second, the worker stops once
// the first page is recorded, and the next worker lists the other pages:
// the recorded page is not asked for again. The page the stopped worker
// had in flight (asked, answered, not yet recorded) may be asked twice.
func TestListingResumesAfterARestart(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	var list []gitserver.Project
	for id := int64(1); id <= 250; id++ {
		list = append(list, gitserver.Project{ID: id, Path: fmt.Sprintf("big/p-%03d", id), Empty: true})
	}
	s.git.Projects.Add(list...)
	s.git.Projects.SetLimit(1)
	s.startWorker()
	id := s.start(history.Request{Instance: s.git.Server.URL})
	s.waitFor(id, "a page listed", func(r history.Report) bool { return r.Progress.Listed >= 100 })
	s.stopWorker()
	if mid := s.report(id); mid.Progress.Listed >= 250 || mid.State != store.HistoryListing {
		t.Fatalf("the restart was not mid-listing: %s %+v", mid.State, mid.Progress)
	}
	s.startWorker()
	rep := s.waitEnded(id)
	if rep.State != store.HistoryDone || rep.Progress.Listed != 250 || rep.Progress.Skipped != 250 {
		t.Fatalf("run ended %s with %+v; want done, 250 listed and skipped (empty)", rep.State, rep.Progress)
	}
	asked := map[string]int{}
	for _, r := range s.git.Projects.Requests() {
		if path, query, _ := strings.Cut(r, "?"); path == "/api/v4/projects" && !strings.HasSuffix(query, " 429") {
			for _, kv := range strings.Split(query, "&") {
				if strings.HasPrefix(kv, "page=") {
					asked[kv]++
				}
			}
		}
	}
	if len(asked) != 3 || asked["page=1"] != 1 || asked["page=2"] < 1 || asked["page=2"] > 2 || asked["page=3"] != 1 {
		t.Errorf("pages answered: %v; want the recorded page 1 once, page 2 (in flight at the stop) once or twice, page 3 once", asked)
	}
	// A worker that starts cannot know the limit is spent: its first
	// request may be refused (and waited out); no other may.
	if n := s.git.Projects.OverLimit(); n > 1 {
		t.Errorf("%d requests came past the limit; want at most the new worker's first", n)
	}
}
