package service_test

import (
	"strings"
	"testing"
)

// A hook whose ref or branch git would read as an option, or whose project
// path is too deep, is refused before anything is stored: 400 naming the
// field (docs/security.md, audit items 1 and 10).
func TestWebhookRefusesHostileRefsAndPaths(t *testing.T) {
	t.Parallel()
	h := newHarness(t, oneJob, nil)
	project := `"project":{"path_with_namespace":"g/p","web_url":"https://example.com/g/p","git_http_url":"https://example.com/g/p.git","git_ssh_url":"git@example.com:g/p.git"}`
	deep := strings.Repeat("g/", 2000) + "p"
	tests := []struct {
		name, event, body, field string
	}{
		{name: "an option after the ref", event: "Push Hook", field: "ref",
			body: `{"object_kind":"push","ref":"refs/heads/main --output=/tmp/x/pwned","before":"0000000000000000000000000000000000000000","after":"` + shaSecret + `",` + project + `}`},
		{name: "a branch that reads as an option", event: "Push Hook", field: "ref",
			body: `{"object_kind":"push","ref":"refs/heads/--help","before":"0000000000000000000000000000000000000000","after":"` + shaSecret + `",` + project + `}`},
		{name: "a source branch that is an option", event: "Merge Request Hook", field: "object_attributes.source_branch",
			body: `{"object_kind":"merge_request",` + project + `,"object_attributes":{"iid":1,"source_branch":"--upload-pack=touch /tmp/x","target_branch":"main","last_commit":{"id":"` + shaSecret + `"}}}`},
		{name: "a project path 2,000 levels deep", event: "Push Hook", field: "project.path_with_namespace",
			body: `{"object_kind":"push","ref":"refs/heads/main","before":"` + shaClean + `","after":"` + shaSecret + `","project":{"path_with_namespace":"` + deep +
				`","web_url":"https://example.com/` + deep + `","git_http_url":"https://example.com/` + deep + `.git","git_ssh_url":"git@example.com:` + deep + `.git"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.post(tt.event, []byte(tt.body), nil)
			if r.Code != 400 || r.Body["code"] != "VALIDATION_FAILED" || !strings.Contains(r.Raw, `"field":"`+tt.field+`"`) {
				t.Fatalf("got %d %s, want 400 VALIDATION_FAILED naming %s", r.Code, r.Raw, tt.field)
			}
		})
	}
}
