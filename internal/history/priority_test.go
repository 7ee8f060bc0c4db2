package history_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/gitlab"
	"github.com/secbot/secbot/internal/gitlab/gitserver"
	"github.com/secbot/secbot/internal/handler"
	"github.com/secbot/secbot/internal/history"
	"github.com/secbot/secbot/internal/jobs"
	"github.com/secbot/secbot/internal/output/defectdojo"
	"github.com/secbot/secbot/internal/queue"
	"github.com/secbot/secbot/internal/scan/gitleaks/settings"
	"github.com/secbot/secbot/internal/service"
	"github.com/secbot/secbot/internal/store"
	"github.com/secbot/secbot/internal/testenv/fixtures"
)

// A hook that arrives while a history scan's tasks wait in the queue is
// handled first: a worker running one task at a time starts the hook's
// scan before any history scan, although those were queued earlier. The
// run lists a group with its subgroups, not the projects beside it.
func TestHookGoesBeforeHistoryWork(t *testing.T) {
	t.Parallel()
	s := newStack(t, config.Env{"SECBOT_WORKER_CONCURRENCY": "1"})
	for i, path := range []string{"grp/a", "grp/sub/b", "grp/sub/deep/c", "other/d"} {
		cleanRepo(t, s.git, path)
		s.git.Projects.Add(gitserver.Project{ID: int64(10 + i), Path: path, DefaultBranch: "main"})
	}
	liveHead := secretRepo(t, s.git, "live/app", 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// The history scan's tasks are queued before any worker runs.
	cfg, err := config.LoadFile(s.env["SECBOT_CONFIG"], s.env)
	if err != nil {
		t.Fatal(err)
	}
	st, q := s.reporter.Store, s.reporter.Queue
	pump, err := history.NewPump(history.Options{Store: st, Queue: queue.Dispatcher{Queue: q, Store: st}, Jobs: cfg.Jobs,
		Instances: s.instances(), Concurrency: 3, Interval: 50 * time.Millisecond, Log: s.base("pump").Log})
	if err != nil {
		t.Fatal(err)
	}
	id := s.start(history.Request{Groups: []string{"grp"}})
	if err := pump.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if rep := s.report(id); rep.Progress.Listed != 3 || rep.Progress.Scanning != 3 {
		t.Fatalf("after one step: %+v; want the group's 3 projects listed and being scanned", rep.Progress)
	}

	// Then a push arrives.
	rcv, err := service.NewReceiver(ctx, s.base("receiver"), s.registry())
	if err != nil {
		t.Fatal(err)
	}
	defer rcv.Close()
	live := push(t, s, "live/app", liveHead)
	req := httptest.NewRequest(http.MethodPost, "/v1/gitlab/webhook", bytes.NewReader(live))
	req.Header.Set("X-Gitlab-Event", "Push Hook")
	req.Header.Set("X-Gitlab-Token", hookToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := rcv.App.Test(req, -1)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("webhook: %v %v", resp, err)
	}
	resp.Body.Close()
	liveID := gitlab.SecurityCheckID(prefix, "git@localhost:live/app.git", liveHead)

	go pump.Run(ctx)
	s.startWorker()
	s.waitEnded(id)
	liveScan := s.scanTask(liveID)
	for _, hp := range s.projects(id) {
		if hp.State != store.ProjectDone {
			t.Fatalf("project %s: %s %s", hp.Path, hp.State, hp.Reason)
		}
		if scan := s.scanTask(hp.CheckID); !liveScan.StartedAt.Before(*scan.StartedAt) {
			t.Errorf("history scan of %s started at %s, before the hook's scan (%s)", hp.Path, scan.StartedAt, liveScan.StartedAt)
		}
	}
}

// scanTask waits for a check's scan task to end and returns it.
func (s *stack) scanTask(checkID string) jobs.TaskStatus {
	s.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		c, err := s.reporter.Store.GetCheck(context.Background(), checkID)
		if err == nil {
			for _, task := range c.Tasks {
				if task.Kind == jobs.KindScan && task.State.Final() && task.StartedAt != nil {
					return task
				}
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("check %s: no scan ended after a minute (%v)\n%s", checkID, err, s.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *stack) instances() []config.Instance {
	s.t.Helper()
	list, err := config.ParseInstances(s.env["GITLAB_CONFIGS"])
	if err != nil {
		s.t.Fatal(err)
	}
	return list
}

// registry is the handlers the receiver checks config.yml against.
func (s *stack) registry() *handler.Registry {
	return handler.NewRegistry(
		handler.Scan("gitleaks", settings.Check, func(config.Component) (handler.Scanner, error) { return nil, nil }),
		handler.Export(defectdojo.HandlerName, nil, defectdojo.New),
		handler.Notify("count", nil, func(config.Component) (handler.Notifier, error) { return s.notified, nil }))
}

// push is the push hook fixture for a new branch main of a served
// project at head.
func push(t *testing.T, s *stack, path, head string) []byte {
	t.Helper()
	data, err := fixtures.ReadFile("gitlab/webhooks/push.json")
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal(data, &body); err != nil {
		t.Fatal(err)
	}
	body["before"] = strings.Repeat("0", 40)
	body["after"], body["checkout_sha"], body["ref"] = head, head, "refs/heads/main"
	project := body["project"].(map[string]any)
	project["path_with_namespace"] = path
	project["git_http_url"] = s.git.Server.URL + "/" + path + ".git"
	project["git_ssh_url"] = "git@localhost:" + path + ".git"
	project["web_url"] = s.git.Server.URL + "/" + path
	out, _ := json.Marshal(body)
	return out
}
