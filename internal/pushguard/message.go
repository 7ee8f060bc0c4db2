package pushguard

import (
	"fmt"
	"io"
	"strings"

	"github.com/secbot/secbot/internal/scan/gitleaks/engine"
)

// maxShown is how many findings the pusher is shown; the rest are counted.
const maxShown = 20

// writeRefusal tells the pusher which secrets refused the push, where they
// are (redacted), and how to remove them or push anyway.
func writeRefusal(w io.Writer, found []engine.Finding) {
	var b strings.Builder
	fmt.Fprintf(&b, "PUSH BLOCKED by SecBot push protection: %d secret(s) found in the commits of this push.\n", len(found))
	commit := ""
	for i, f := range found {
		if i == maxShown {
			fmt.Fprintf(&b, "\n... and %d more.\n", len(found)-maxShown)
			break
		}
		if f.Commit != commit {
			commit = f.Commit
			fmt.Fprintf(&b, "\ncommit %s\n", commit)
		}
		fmt.Fprintf(&b, "  %s:%d  %s (%s)\n", f.File, f.StartLine, f.RuleID, f.Description)
		fmt.Fprintf(&b, "    %s\n", oneLine(f.Match))
		fmt.Fprintf(&b, "    .gitleaksignore: %s\n", f.Fingerprint)
	}
	b.WriteString(`
To push, take each secret out of the commit that adds it (git commit --amend
for the last commit, git rebase -i for an older one) and push again; revoke a
real secret: it has left your machine.
A false positive: add its .gitleaksignore line above, or an allowlist to
.gitleaks.toml, in a commit of this push.
To push anyway (the push is recorded): git push -o ` + SkipPushOption + `,
or put ` + SkipMarker + ` in a commit message.
`)
	_, _ = io.WriteString(w, b.String())
}

// oneLine keeps a redacted match to one short line.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 100 {
		return string(r[:100]) + "…"
	}
	return s
}
