// Package gitrev checks the commit selections SecBot hands to git: full
// SHAs only, and revisions on git's standard input rather than as
// arguments, so that no value from outside can become an option of git's.
// The worker's mirror and the pre-receive hook share it.
package gitrev

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// shaPattern is a full commit SHA (SHA-1 or SHA-256).
var shaPattern = regexp.MustCompile(`^[0-9a-f]{40}([0-9a-f]{24})?$`)

// IsSHA reports whether s is a full object name in lower-case hex.
func IsSHA(s string) bool { return shaPattern.MatchString(s) }

// Input checks a selection of commits (full SHAs, "^" before those left
// out, at least one included) and returns it as `git log --stdin` reads
// it. With no commit included git would read HEAD, so that is an error.
func Input(revs []string) (string, error) {
	include := false
	for _, r := range revs {
		if !IsSHA(strings.TrimPrefix(r, "^")) {
			return "", fmt.Errorf("revision %q is not a commit SHA", r)
		}
		include = include || r[0] != '^'
	}
	if !include {
		return "", errors.New("no commit selected: every revision is one left out")
	}
	return strings.Join(revs, "\n") + "\n", nil
}
