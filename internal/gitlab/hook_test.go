package gitlab

import (
	"errors"
	"path"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/testenv/fixtures"
)

const hooks = "gitlab"

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := fixtures.ReadFile(path.Join(hooks, name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestSecurityCheckIDVector(t *testing.T) {
	got := SecurityCheckID("prefix", "git@git.env.local:sample-group/sample-project.git", "commit_hash")
	want := "prefix_8666e7b2f4a9023e9049d3e1dcc6012c8ede0351562876d482fa89d07a66f6f0"
	if got != want {
		t.Fatalf("SecurityCheckID = %s, want %s", got, want)
	}
}

func TestProjectKey(t *testing.T) {
	for in, want := range map[string]string{
		"git@git.env.local:sample-group/sample-project.git": "git.env.local:sample-group/sample-project",
		"git@example.com:mike/diaspora.git":                 "example.com:mike/diaspora",
		// Exactly as the original: only a leading git@ and a trailing .git go.
		"ssh://git@example.com:2222/mike/diaspora.git": "ssh://git@example.com:2222/mike/diaspora",
	} {
		if got := ProjectKey(in); got != want {
			t.Errorf("ProjectKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseHookFixtures(t *testing.T) {
	tests := []struct {
		file, header string
		typ          EventType
		system       bool
		commit       string
		ignored      bool
	}{
		{file: "webhooks/push.json", header: "Push Hook", typ: Push, commit: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"},
		{file: "webhooks/tag_push.json", header: "Tag Push Hook", typ: TagPush, commit: "82b3d5ae55f7080f1e6022629cdb57bfae7cccc7"},
		{file: "webhooks/merge_request.json", header: "Merge Request Hook", typ: MergeRequest, commit: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"},
		{file: "webhooks/note_merge_request.json", header: "Note Hook", ignored: true},
		{file: "webhooks/pipeline.json", header: "Pipeline Hook", ignored: true},
		{file: "systemhooks/push.json", header: "System Hook", typ: Push, system: true, commit: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"},
		{file: "systemhooks/tag_push.json", header: "System Hook", typ: TagPush, system: true, commit: "5937ac0a7beb003549fc5fd26fc247adbce4a52e"},
		{file: "systemhooks/merge_request.json", header: "System Hook", typ: MergeRequest, system: true, commit: "ba3e0d8ff79c80d5b0bbb4f3e2e343e0aaa662b7"},
		{file: "systemhooks/project_create.json", header: "System Hook", ignored: true},
		{file: "systemhooks/repository_update.json", header: "System Hook", ignored: true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ev, err := ParseHook(tt.header, readFixture(t, tt.file))
			if tt.ignored {
				if !errors.Is(err, ErrIgnoredEvent) {
					t.Fatalf("err = %v, want ErrIgnoredEvent", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ev.Type != tt.typ || ev.System != tt.system || ev.CommitSHA != tt.commit {
				t.Fatalf("got type %s system %v commit %s, want %s %v %s", ev.Type, ev.System, ev.CommitSHA, tt.typ, tt.system, tt.commit)
			}
			if ev.Payload["event_type"] != string(tt.typ) {
				t.Errorf("virtual event_type = %v", ev.Payload["event_type"])
			}
			if ev.Project.GitSSHURL == "" || ev.Project.PathWithNamespace == "" {
				t.Errorf("project not filled: %+v", ev.Project)
			}
			if tt.typ == MergeRequest {
				mr := ev.MergeRequest
				if mr == nil || mr.IID == 0 || !strings.Contains(mr.URL, "merge_requests/") || mr.TargetBranch == "" {
					t.Fatalf("merge request not filled: %+v", mr)
				}
			}
		})
	}
}

func TestParseHookSystemMergeRequestURL(t *testing.T) {
	ev, err := ParseHook("System Hook", readFixture(t, "systemhooks/merge_request.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := "http://example.com/jsmith/example/-/merge_requests/1"
	if ev.MergeRequest.URL != want {
		t.Fatalf("MR URL = %q, want %q", ev.MergeRequest.URL, want)
	}
}

func TestParseHookDeletionIgnored(t *testing.T) {
	body := strings.Replace(string(readFixture(t, "webhooks/push.json")),
		`"after": "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"`, `"after": "0000000000000000000000000000000000000000"`, 1)
	if !strings.Contains(body, `"after": "0000000000000000000000000000000000000000"`) {
		t.Fatal("fixture edit did not apply")
	}
	_, err := ParseHook("Push Hook", []byte(body))
	if !errors.Is(err, ErrIgnoredEvent) {
		t.Fatalf("err = %v, want ErrIgnoredEvent for a branch deletion", err)
	}
}

func TestParseHookMalformed(t *testing.T) {
	tests := []struct {
		name, header, body string
		field              string
	}{
		{name: "not json", header: "Push Hook", body: `{"before": `},
		{name: "json array", header: "Push Hook", body: `[1,2]`},
		{name: "json null", header: "Push Hook", body: `null`},
		{name: "wrong type", header: "Push Hook", body: `{"before": 12}`},
		{name: "push without project", header: "Push Hook", body: `{"ref":"refs/heads/main","before":"95790bf891e76fee5e1747ab589903a6a1f80f22","after":"da1560886d4f094c3e6c9ef40349f7d38b5d27d7"}`, field: "project"},
		{name: "push bad sha", header: "Push Hook", body: `{"ref":"x","before":"zz","after":"da1560886d4f094c3e6c9ef40349f7d38b5d27d7","project":{"path_with_namespace":"a/b","git_ssh_url":"git@h:a/b.git","git_http_url":"http://h/a/b.git","web_url":"http://h/a/b"}}`, field: "before"},
		{name: "mr without last commit", header: "Merge Request Hook", body: `{"object_kind":"merge_request","project":{"path_with_namespace":"a/b","git_ssh_url":"git@h:a/b.git","git_http_url":"http://h/a/b.git","web_url":"http://h/a/b"},"object_attributes":{"iid":1,"source_branch":"f","target_branch":"main"}}`, field: "object_attributes.last_commit.id"},
		{name: "system hook without name", header: "System Hook", body: `{"project":{}}`, field: "event_name"},
		{name: "no event header", header: "", body: `{}`, field: HeaderEvent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseHook(tt.header, []byte(tt.body))
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want *ValidationError", err)
			}
			if tt.field == "" {
				return
			}
			for _, d := range ve.Details {
				if d.Field == tt.field {
					return
				}
			}
			t.Fatalf("details %+v do not name field %q", ve.Details, tt.field)
		})
	}
}

func TestVerifyToken(t *testing.T) {
	instances := []config.Instance{
		{Host: "https://gitlab.one.example", WebhookSecretToken: "secret-one", Prefix: "one"},
		{Host: "gitlab.two.example", WebhookSecretToken: "secret-two", Prefix: "two"},
	}
	tests := []struct {
		name, token, instance, wantPrefix string
	}{
		{name: "first", token: "secret-one", wantPrefix: "one"},
		{name: "second", token: "secret-two", wantPrefix: "two"},
		{name: "second with matching instance header", token: "secret-two", instance: "https://gitlab.two.example", wantPrefix: "two"},
		{name: "wrong token", token: "secret-three"},
		{name: "missing token", token: ""},
		{name: "prefix of a token", token: "secret-"},
		{name: "token of another instance", token: "secret-one", instance: "https://gitlab.two.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst, err := VerifyToken(instances, tt.token, tt.instance)
			if tt.wantPrefix == "" {
				if !errors.Is(err, ErrForbidden) {
					t.Fatalf("err = %v, want ErrForbidden", err)
				}
				return
			}
			if err != nil || inst.Prefix != tt.wantPrefix {
				t.Fatalf("got %q, %v; want %q", inst.Prefix, err, tt.wantPrefix)
			}
		})
	}
}

func FuzzParseHook(f *testing.F) {
	for _, name := range []string{"webhooks/push.json", "webhooks/merge_request.json", "systemhooks/tag_push.json", "systemhooks/merge_request.json"} {
		f.Add("System Hook", readFixture(f, name))
		f.Add("Push Hook", readFixture(f, name))
	}
	f.Add("Push Hook", []byte(`{"ref":"refs/heads/main --output=/tmp/x","before":"`+zeroSHA+`","after":"da1560886d4f094c3e6c9ef40349f7d38b5d27d7",`+
		`"project":{"path_with_namespace":"a/b","git_ssh_url":"git@h:a/b.git","git_http_url":"http://h/a/b.git","web_url":"http://h/a/b"}}`))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		ev, err := ParseHook(header, body)
		if err != nil {
			return
		}
		if ev.CommitSHA == "" || ev.Project.GitSSHURL == "" {
			t.Fatalf("accepted an event without commit or project: %+v", ev)
		}
		// What the receiver accepts, the worker accepts too.
		if err := ev.CheckGitValues(); err != nil {
			t.Fatalf("accepted an event the worker refuses: %v", err)
		}
	})
}
