package config

import (
	"strings"
	"testing"
)

// A job's history key turns its notifications on for history scans; any
// other key or value there is refused at its line.
func TestJobHistoryNotifications(t *testing.T) {
	const doc = "components:\n  g: {handler_name: gitleaks}\n  o: {handler_name: defectdojo}\n  n: {handler_name: slack}\n" +
		"jobs:\n  - name: loud\n    rules: {gitlab: null}\n    scans: [g]\n    outputs: [o]\n    notifications: [n]\n    history: {notifications: true}\n" +
		"  - name: quiet\n    rules: {gitlab: {event_type: push}}\n    scans: [g]\n"
	f, err := Parse([]byte(doc), Env{})
	if err != nil {
		t.Fatal(err)
	}
	if !f.Jobs[0].HistoryNotifications || f.Jobs[1].HistoryNotifications {
		t.Errorf("history notifications: %v, %v; want true for loud only", f.Jobs[0].HistoryNotifications, f.Jobs[1].HistoryNotifications)
	}
	bad := "components:\n  g: {handler_name: gitleaks}\njobs:\n  - name: a\n    rules: {gitlab: null}\n    scans: [g]\n" +
		"    history:\n      notify: true\n      notifications: sometimes\n"
	_, err = Parse([]byte(bad), Env{})
	got := lines(err)
	if len(got) != 2 || !strings.Contains(got[0], `line 8: jobs[0] ("a").history.notify: unknown key`) ||
		!strings.Contains(got[1], `line 9: jobs[0] ("a").history.notifications: want true or false`) {
		t.Errorf("errors: %q", got)
	}
}

// An instance prefix may not hold a colon: history scans' check ids
// begin with "history:", and no pipeline's may.
func TestPrefixWithAColonIsRefused(t *testing.T) {
	_, err := ParseInstances(`[{"host":"https://gitlab.example.com","webhook_secret_token":"w","prefix":"history:x"}]`)
	if err == nil || !strings.Contains(err.Error(), `prefix "history:x" has a colon`) {
		t.Errorf("err = %v; want the colon refused", err)
	}
}
