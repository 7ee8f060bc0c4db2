package jobs

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/gitlab"
	"github.com/secbot/secbot/internal/testenv/fixtures"
)

func payload(t *testing.T, header, fixture string) map[string]any {
	t.Helper()
	body, err := fixtures.ReadFile("gitlab/" + fixture)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := gitlab.ParseHook(header, body)
	if err != nil {
		t.Fatal(err)
	}
	return ev.Payload
}

func TestMatch(t *testing.T) {
	t.Parallel()
	push := payload(t, "System Hook", "systemhooks/push.json")
	mr := payload(t, "Merge Request Hook", "webhooks/merge_request.json")
	tests := []struct {
		name    string
		rules   map[string]string
		payload map[string]any
		want    bool
	}{
		{name: "null matches all", rules: nil, payload: push, want: true},
		{name: "event_type on a system push", rules: map[string]string{"event_type": "push"}, payload: push, want: true},
		{name: "event_type mismatch", rules: map[string]string{"event_type": "merge_request"}, payload: push},
		{name: "event_type on a webhook MR", rules: map[string]string{"event_type": "merge_request"}, payload: mr, want: true},
		{name: "nested path", rules: map[string]string{"project.path_with_namespace": "mike/.*"}, payload: push, want: true},
		{name: "full match, not substring", rules: map[string]string{"project.path_with_namespace": "jsmith"}, payload: push},
		{name: "alternation is anchored as a whole", rules: map[string]string{"ref": "main|refs/heads/master"}, payload: push, want: true},
		{name: "alternation cannot escape anchors", rules: map[string]string{"ref": "refs|nothing"}, payload: push},
		{name: "all rules AND-ed", rules: map[string]string{"event_type": "push", "ref": "refs/heads/develop"}, payload: push},
		{name: "number value", rules: map[string]string{"project_id": "15"}, payload: push, want: true},
		{name: "list index", rules: map[string]string{"commits.0.id": "c5feabde.*"}, payload: push, want: true},
		{name: "missing key", rules: map[string]string{"object_attributes.iid": ".*"}, payload: push},
		{name: "object value does not match", rules: map[string]string{"project": ".*"}, payload: push},
		{name: "MR target branch", rules: map[string]string{"object_attributes.target_branch": "master"}, payload: mr, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := NewMatcher([]config.Job{{Name: "j", Rules: tt.rules, Scans: []string{"s"}}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = m.Match(tt.payload)
			if got := err == nil; got != tt.want {
				t.Fatalf("matched = %v (err %v), want %v", got, err, tt.want)
			}
			if !tt.want && !errors.Is(err, ErrNoJob) {
				t.Fatalf("err = %v, want ErrNoJob", err)
			}
		})
	}
}

func TestMatchConflictNamesBothJobs(t *testing.T) {
	t.Parallel()
	m, err := NewMatcher([]config.Job{
		{Name: "pushes", Rules: map[string]string{"event_type": "push"}},
		{Name: "merge requests", Rules: map[string]string{"event_type": "merge_request"}},
		{Name: "catch all", Rules: nil},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Match(payload(t, "Push Hook", "webhooks/push.json"))
	var conflict *ConflictError
	if !errors.As(err, &conflict) || conflict.First != "pushes" || conflict.Second != "catch all" {
		t.Fatalf("err = %v, want a conflict between pushes and catch all", err)
	}
	if !strings.Contains(err.Error(), `"pushes"`) || !strings.Contains(err.Error(), `"catch all"`) {
		t.Fatalf("message does not name both jobs: %s", err)
	}
}

func TestNewMatcherRejectsBadRegex(t *testing.T) {
	t.Parallel()
	_, err := NewMatcher([]config.Job{{Name: "j", Rules: map[string]string{"ref": "([a-z"}}})
	if err == nil || !strings.Contains(err.Error(), `jobs[0] ("j").rules.gitlab.ref`) {
		t.Fatalf("err = %v, want it to name the rule", err)
	}
	_, err = NewMatcher([]config.Job{{Name: "j", Rules: map[string]string{"ref": strings.Repeat("a", maxRuleLength+1)}}})
	if err == nil {
		t.Fatal("accepted an over-long rule")
	}
}

func TestPlan(t *testing.T) {
	t.Parallel()
	job := config.Job{Scans: []string{"s1", "s2"}, Outputs: []string{"o1", "o2", "o3"}, Notifications: []string{"n1"}}
	tasks := Plan("c", job, "")
	if len(tasks) != 2+2*3+3*1 {
		t.Fatalf("len = %d, want 11", len(tasks))
	}
	seen := map[string]bool{}
	kinds := map[Kind]int{}
	for _, task := range tasks {
		if seen[task.ID] {
			t.Fatalf("duplicate id %s", task.ID)
		}
		for _, dep := range task.DependsOn {
			if !seen[dep] {
				t.Fatalf("%s depends on %s, which is not listed before it", task.ID, dep)
			}
		}
		seen[task.ID] = true
		kinds[task.Kind]++
	}
	if kinds[KindScan] != 2 || kinds[KindOutput] != 6 || kinds[KindNotification] != 3 {
		t.Fatalf("kinds = %v", kinds)
	}
	n := tasks[len(tasks)-1]
	if n.Kind != KindNotification || len(n.DependsOn) != 2 {
		t.Fatalf("a notification waits for its output from every scan: %+v", n)
	}
	if again := Plan("c", job, ""); again[5].ID != tasks[5].ID {
		t.Fatal("task ids are not deterministic")
	}

	// A merge request's plan shares the commit's scans and outputs and
	// has notifications of its own.
	mr := Plan("c", job, "!7")
	for i := range mr {
		same := mr[i].ID == tasks[i].ID
		if same != (mr[i].Kind != KindNotification) {
			t.Fatalf("task %d: commit plan %s, merge request plan %s", i, tasks[i].ID, mr[i].ID)
		}
	}
	if want := "c:notify:o3:n1@!7"; mr[len(mr)-1].ID != want {
		t.Fatalf("scoped notification id = %s, want %s", mr[len(mr)-1].ID, want)
	}
}

func FuzzMatch(f *testing.F) {
	f.Add("project.path_with_namespace", "jsmith/.*", []byte(`{"project":{"path_with_namespace":"jsmith/example"}}`))
	f.Add("commits.0.id", "[a-f0-9]+", []byte(`{"commits":[{"id":"abc"}]}`))
	f.Fuzz(func(t *testing.T, key, expr string, body []byte) {
		m, err := NewMatcher([]config.Job{{Name: "j", Rules: map[string]string{key: expr}}})
		if err != nil {
			return
		}
		var p map[string]any
		if json.Unmarshal(body, &p) != nil {
			return
		}
		_, _ = m.Match(p)
	})
}

func TestVerdict(t *testing.T) {
	t.Parallel()
	n := func(v int) *int { return &v }
	scan := func(s State, active int) TaskStatus { return TaskStatus{Kind: KindScan, State: s, Active: n(active)} }
	out := func(s State, active int) TaskStatus { return TaskStatus{Kind: KindOutput, State: s, Active: n(active)} }
	notify := func(s State) TaskStatus { return TaskStatus{Kind: KindNotification, State: s} }
	tests := []struct {
		name  string
		tasks []TaskStatus
		want  Status
	}{
		{"no tasks", nil, StatusNotStarted},
		{"scan queued", []TaskStatus{scan(StateQueued, 0)}, StatusInProgress},
		{"scan running", []TaskStatus{scan(StateRunning, 0), out(StateWaiting, 0)}, StatusInProgress},
		{"clean", []TaskStatus{scan(StateDone, 0), out(StateDone, 0)}, StatusSuccess},
		{"output decides over the scan", []TaskStatus{scan(StateDone, 3), out(StateDone, 0)}, StatusSuccess},
		{"active output finding", []TaskStatus{scan(StateDone, 1), out(StateDone, 1)}, StatusFail},
		{"scans decide without outputs", []TaskStatus{scan(StateDone, 1)}, StatusFail},
		{"failed scan", []TaskStatus{scan(StateFailed, 0), out(StateSkipped, 0)}, StatusError},
		{"failed scan waits for the others", []TaskStatus{scan(StateFailed, 0), scan(StateRunning, 0)}, StatusInProgress},
		{"failed notification is no error", []TaskStatus{scan(StateDone, 0), out(StateDone, 0), notify(StateFailed)}, StatusSuccess},
		{"running notification does not hold the verdict", []TaskStatus{scan(StateDone, 1), out(StateDone, 1), notify(StateRunning)}, StatusFail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Verdict(tt.tasks); got != tt.want {
				t.Fatalf("Verdict = %s, want %s", got, tt.want)
			}
		})
	}
}
