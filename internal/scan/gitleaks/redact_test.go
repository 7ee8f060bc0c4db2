package gitleaks

import (
	"reflect"
	"testing"

	"github.com/zricethezav/gitleaks/v8/report"

	"github.com/secbot/secbot/internal/scan/gitleaks/engine"
)

// TestRedactionIsGitleaksOwn pins the worker's reports to what they were
// when gitleaks' Finding.Redact(100) made them: the findings service
// hashes their Secret and Match, so a change here would make every
// finding of the next scan look new.
func TestRedactionIsGitleaksOwn(t *testing.T) {
	t.Parallel()
	raw := []report.Finding{
		{RuleID: "gitlab-pat", Secret: secret, Match: "GITLAB_TOKEN=" + secret, Line: "GITLAB_TOKEN=" + secret + "\n", File: "a.env"},
		{RuleID: "generic-api-key", Secret: secret2, Match: "key = " + secret2 + " # and again " + secret2, File: "b.py"},
		{RuleID: "already", Secret: "REDACTED", Match: "TOKEN=REDACTED", File: "c.env"},
	}
	got := engine.Redact(raw)
	for i, f := range raw {
		want := f
		want.Redact(100)
		want.Line, want.Fragment = "", nil
		if !reflect.DeepEqual(got[i].Finding, want) {
			t.Errorf("finding %d: redacted as\n%+v\nwant gitleaks' own\n%+v", i, got[i].Finding, want)
		}
	}
	if got[0].SecretHash == got[1].SecretHash || len(got[0].SecretHash) != 64 {
		t.Fatalf("secret hashes %q %q", got[0].SecretHash, got[1].SecretHash)
	}
}

// TestCommitMessageIsRedacted: a commit whose message quotes the token it
// adds is reported with the message redacted, as the match is.
func TestCommitMessageIsRedacted(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Settings{})
	before := f.repo.Head()
	after := f.repo.Commit("deploy with "+secret+" for now", map[string]string{"deploy.env": "GITLAB_TOKEN=\"" + secret + "\"\n"})
	f.repo.Push("main")
	got := f.mustScan(f.push(before, after, "refs/heads/main"))
	if len(got) != 1 {
		t.Fatalf("%d findings, want 1", len(got))
	}
	if m := got[0].Message; m != "deploy with REDACTED for now" {
		t.Errorf("commit message reported as %q", m)
	}
}
