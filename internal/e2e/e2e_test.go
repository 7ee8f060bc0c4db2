package e2e_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/gitlab"
)

// TestPushTriageMergeRequestAndCleanPush follows one project through the
// whole flow with the three real processes: a push that plants a secret
// fails the gate, tells both Slack channels once and fails the commit
// status; triage in the findings API turns the gate to success; a merge
// request on the same commit scans nothing again and sends no second Slack
// message but writes one note; a clean push succeeds and says nothing.
func TestPushTriageMergeRequestAndCleanPush(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	secret := "glpat-" + randomHex(10)
	base := s.repo.Commit("initial", map[string]string{"README.md": "# app\n"})
	s.repo.Push("main")

	// 1. A push with a secret.
	leaky := s.repo.Commit("add settings", map[string]string{"config/settings.env": "DEBUG=false\nGITLAB_TOKEN=" + secret + "\n"})
	s.repo.Push("main")
	id := s.push(base, leaky)
	if want := gitlab.SecurityCheckID(prefix, "git@"+s.projectKey+".git", leaky); id != want {
		t.Fatalf("security_check_id = %s, want %s", id, want)
	}
	if got := s.gate(id, "60s"); got.Status != "fail" {
		t.Fatalf("push with a secret: gate says %q, want fail: %+v", got.Status, got)
	}
	s.settled(id)
	var findings struct {
		Count   int `json:"count"`
		Results []struct {
			ID       int    `json:"id"`
			Title    string `json:"title"`
			FilePath string `json:"file_path"`
			Line     int    `json:"line"`
		} `json:"results"`
	}
	s.api(http.MethodGet, "/api/v2/findings/?test__tags="+leaky, nil, &findings)
	if findings.Count != 1 || findings.Results[0].FilePath != "config/settings.env" || findings.Results[0].Line != 2 {
		t.Fatalf("findings of the leaky commit: %+v", findings)
	}
	finding := findings.Results[0]
	link := fmt.Sprintf("%s/finding/%d", s.reporter, finding.ID)
	for _, channel := range []string{"secbot-a", "secbot-b"} {
		msgs := s.slack.Messages(channel)
		if len(msgs) != 1 {
			t.Fatalf("#%s got %d messages, want 1: %q", channel, len(msgs), msgs)
		}
		want := fmt.Sprintf("Worker gitleaks found 1 new findings in %s (%s/grp/app):", s.projectKey, s.git.Server.URL)
		if !strings.HasPrefix(msgs[0], want) || !strings.Contains(msgs[0], "- [High] "+finding.Title+" "+link) {
			t.Fatalf("#%s message:\n%s\nwant it to start %q and list the finding with %s", channel, msgs[0], want, link)
		}
	}
	statuses := s.git.API.Statuses(projectID, leaky, "secbot")
	if len(statuses) != 1 || strings.Join(statuses[0].History, " ") != "pending running failed" {
		t.Fatalf("commit status of the leaky commit: %+v, want one that went pending running failed", statuses)
	}
	if statuses[0].TargetURL != s.reporter+"/check/"+id {
		t.Fatalf("commit status links to %q, want the check page", statuses[0].TargetURL)
	}

	// The check and finding pages show the finding, never the secret.
	pages := s.pages("/check/"+id, fmt.Sprintf("/finding/%d", finding.ID), "/")
	if !strings.Contains(pages[0], fmt.Sprintf(`href="/finding/%d"`, finding.ID)) || !strings.Contains(pages[1], "config/settings.env") {
		t.Fatalf("the check page does not link the finding, or the finding page lacks its file:\n%s\n%s", pages[0], pages[1])
	}
	for i, body := range pages {
		if strings.Contains(body, secret) || strings.Contains(body, secret[6:]) {
			t.Fatalf("page %d shows the planted secret", i)
		}
	}

	// 2. Triage: the finding is a false positive.
	if code := s.api(http.MethodPatch, fmt.Sprintf("/api/v2/findings/%d/", finding.ID),
		map[string]any{"false_p": true, "verified": false}, nil); code != http.StatusOK {
		t.Fatalf("marking the finding false positive: %d", code)
	}
	if got := s.gate(id, ""); got.Status != "success" {
		t.Fatalf("after triage the gate says %q, want success", got.Status)
	}

	// 3. A merge request on the same commit.
	if mr := s.mergeRequest(leaky); mr != id {
		t.Fatalf("the merge request's check is %s, want the push's %s", mr, id)
	}
	settled := s.settled(id)
	scoped := 0
	for _, task := range settled.Tasks {
		if task.Kind == "scan" && task.Attempts != 1 {
			t.Fatalf("the scan ran %d times, want once", task.Attempts)
		}
		if strings.HasSuffix(task.ID, fmt.Sprintf("@!%d", mrIID)) {
			scoped++
		}
	}
	if scoped != 2 {
		t.Fatalf("the merge request ran %d notification tasks, want slack and gitlab: %+v", scoped, settled.Tasks)
	}
	if n := s.slack.Total(); n != 2 {
		t.Fatalf("Slack got %d messages in all, want the push's 2 and no more", n)
	}
	notes := s.git.API.Notes(projectID, mrIID)
	if len(notes) != 1 || !strings.Contains(notes[0].Body, "**1** new findings in commit `"+leaky[:8]+"`") ||
		!strings.Contains(notes[0].Body, link) {
		t.Fatalf("merge request notes: %+v, want one listing the finding", notes)
	}
	if got := s.git.API.Statuses(projectID, leaky, "secbot"); len(got) != 1 || len(got[0].History) != 3 {
		t.Fatalf("the merge request re-posted the commit status: %+v", got)
	}

	// 4. A clean push.
	clean := s.repo.Commit("docs", map[string]string{"README.md": "# app\n\nNothing secret here.\n"})
	s.repo.Push("main")
	cleanID := s.push(leaky, clean)
	if got := s.gate(cleanID, "60s"); got.Status != "success" {
		t.Fatalf("clean push: gate says %q, want success: %+v", got.Status, got)
	}
	s.settled(cleanID)
	if n := s.slack.Total(); n != 2 {
		t.Fatalf("a clean push sent Slack messages: %d in all, want still 2", n)
	}
	if got := s.git.API.Statuses(projectID, clean, "secbot"); len(got) != 1 || strings.Join(got[0].History, " ") != "pending running success" {
		t.Fatalf("commit status of the clean commit: %+v", got)
	}

	// The planted secret and every credential appear nowhere: not in any
	// table, not in any request to Slack or GitLab, not in any log (Slack's
	// API is sent its own token: that is how it authenticates).
	found := 0
	for place, texts := range s.everywhere() {
		for _, text := range texts {
			found++
			for name, value := range map[string]string{"the planted secret": secret, "the GitLab token": s.apiToken,
				"the webhook secret": hookSecret, "the Slack token": slackToken, "the findings token": dojoToken,
				"the admin password": adminPassword} {
				if strings.Contains(text, value) && (place != "Slack requests" || value != slackToken) {
					t.Errorf("%s holds %s", place, name)
				}
			}
		}
	}
	if found < 50 {
		t.Fatalf("searched only %d texts: the sweep is not looking", found)
	}
}
