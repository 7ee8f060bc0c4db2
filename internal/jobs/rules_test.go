package jobs

import (
	"errors"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/config"
)

func parseJobs(t *testing.T, doc string) []config.Job {
	t.Helper()
	f, err := config.Parse([]byte(doc), config.Env{})
	if err != nil {
		t.Fatal(err)
	}
	return f.Jobs
}

// The original Security Bot's documentation writes a rule as
// `/gitlab-test/`; rules match in full, so that matches nothing the
// documentation meant. The matcher keeps the meaning and warns, once,
// with the rule, the reason and the rule to write instead.
func TestSlashedRuleWarns(t *testing.T) {
	t.Parallel()
	jobs := parseJobs(t, `components:
  g: {handler_name: gitleaks}
jobs:
  - name: Common merge request event
    rules:
      gitlab:
        event_type: "merge_request"
        project.path_with_namespace: /gitlab-test/
    scans: [g]
  - name: tags
    rules:
      gitlab:
        event_type: tag_push
        ref: /V1\./i
    scans: [g]
`)
	m, err := NewMatcher(jobs)
	if err != nil {
		t.Fatal(err)
	}
	ws := m.Warnings()
	if len(ws) != 2 {
		t.Fatalf("warnings = %v, want one per slashed rule", ws)
	}
	first := ws[0].Error()
	for _, want := range []string{`line 8: jobs[0] ("Common merge request event").rules.gitlab.project.path_with_namespace: "/gitlab-test/"`,
		"begin and end with a slash", "match the whole value", `write ".*gitlab-test.*"`} {
		if !strings.Contains(first, want) {
			t.Errorf("warning %q lacks %q", first, want)
		}
	}
	if !strings.Contains(ws[1].Error(), `write "(?i).*V1\\..*"`) {
		t.Errorf("warning %q does not keep the i flag", ws[1].Error())
	}

	mr := payload(t, "Merge Request Hook", "webhooks/merge_request.json") // gitlabhq/gitlab-test
	if _, err := m.Match(mr); !errors.Is(err, ErrNoJob) {
		t.Fatalf("the slashed rule matched %v: full matches must stay full", err)
	}
	fixed, err := NewMatcher(parseJobs(t, strings.Replace(`components:
  g: {handler_name: gitleaks}
jobs:
  - name: Common merge request event
    rules:
      gitlab:
        event_type: "merge_request"
        project.path_with_namespace: /gitlab-test/
    scans: [g]
`, "/gitlab-test/", ".*gitlab-test.*", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if len(fixed.Warnings()) != 0 {
		t.Fatalf("the suggested rule still warns: %v", fixed.Warnings())
	}
	if job, err := fixed.Match(mr); err != nil || job.Name != "Common merge request event" {
		t.Fatalf("the suggested rule does not match gitlabhq/gitlab-test: %v", err)
	}
}

// Every bad rule of every job is reported at once, each at its line.
func TestNewMatcherReportsEveryBadRule(t *testing.T) {
	t.Parallel()
	_, err := NewMatcher(parseJobs(t, `components:
  g: {handler_name: gitleaks}
jobs:
  - name: one
    rules:
      gitlab:
        ref: "([a-z"
        project.path_with_namespace: ok/.*
    scans: [g]
  - name: two
    rules:
      gitlab:
        a..b: x
    scans: [g]
`))
	if err == nil {
		t.Fatal("bad rules accepted")
	}
	msg := err.Error()
	for _, want := range []string{`line 7: jobs[0] ("one").rules.gitlab.ref: error parsing regexp`,
		`line 13: jobs[1] ("two").rules.gitlab.a..b: not a dotted JSON path`} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if n := strings.Count(msg, "\n") + 1; n != 2 {
		t.Errorf("%d problems reported, want 2:\n%s", n, msg)
	}
}
