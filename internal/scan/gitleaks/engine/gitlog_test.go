package engine

import (
	"strings"
	"testing"
)

func TestLogCommandTakesOnlySHAs(t *testing.T) {
	t.Parallel()
	sha := "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"
	for _, revs := range [][]string{
		{"--output=/tmp/x"}, {sha, "--all"}, {"main"}, {sha + " --all"}, {"^" + sha}, nil,
	} {
		if _, _, err := logCommand(false, revs); err == nil {
			t.Errorf("logCommand(%q) accepted", revs)
		}
	}
	args, stdin, err := logCommand(false, []string{sha, "^" + strings.Repeat("a", 40)})
	if err != nil || strings.Contains(strings.Join(args, " "), sha) || stdin != sha+"\n^"+strings.Repeat("a", 40)+"\n" {
		t.Fatalf("logCommand: %q %q %v", args, stdin, err)
	}
}
