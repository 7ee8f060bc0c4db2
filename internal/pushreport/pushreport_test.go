package pushreport

import (
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	good := func() Report {
		return Report{Kind: Refused, Reason: ReasonSecrets, Project: "g/p", Refs: []string{"refs/heads/main"}, Commits: 1,
			Findings: []Finding{{Commit: strings.Repeat("a", 40), File: "a.env", Line: 2, Rule: "gitlab-pat", SecretHash: strings.Repeat("b", 64)}}}
	}
	r := good()
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		change func(*Report)
		want   string
	}{
		"kind":          {func(r *Report) { r.Kind = "done" }, "kind"},
		"reason":        {func(r *Report) { r.Reason = ReasonPushOption }, "reason"},
		"project":       {func(r *Report) { r.Project = "" }, "project"},
		"commits":       {func(r *Report) { r.Commits = -1 }, "commits"},
		"commit":        {func(r *Report) { r.Findings[0].Commit = "HEAD" }, "findings[0].commit"},
		"raw secret":    {func(r *Report) { r.Findings[0].SecretHash = "glpat-Xk9vQ2mT7pLr4sWz8YbN" }, "secret_hash"},
		"file":          {func(r *Report) { r.Findings[0].File = "" }, "findings[0]"},
		"NUL":           {func(r *Report) { r.User = "a\x00b" }, "NUL"},
		"too many refs": {func(r *Report) { r.Refs = make([]string, MaxRefs+1) }, "at most"},
	} {
		r := good()
		tc.change(&r)
		if err := r.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Validate = %v, want an error about %s", name, err, tc.want)
		}
	}
}
