package gitlab

import (
	"fmt"
	"strings"
)

// History is the event of a history scan (onboarding): the whole history
// of a project's default branch, up to its head. SecBot makes these
// events itself; no hook is parsed into one.
const History EventType = "history"

// HistoryCheckPrefix begins the id of every history scan's check, which
// neither a security_check_id a pipeline computes nor any other check id
// begins with (it has a colon, which no instance prefix has), so the
// checks of history scans and their tasks are told apart by id alone.
const HistoryCheckPrefix = "history:"

// HistoryCheckID is the check id of the history scan of a project's
// commit: HistoryCheckPrefix and the commit's security_check_id, so the
// history scan of a commit a push checked already is a check of its own.
func HistoryCheckID(prefix, gitSSHURL, commit string) string {
	return HistoryCheckPrefix + SecurityCheckID(prefix, gitSSHURL, commit)
}

// IsHistoryCheck reports a check (or task) id of a history scan.
func IsHistoryCheck(id string) bool { return strings.HasPrefix(id, HistoryCheckPrefix) }

// HistoryEvent is the event a history scan of a project's default branch
// at head goes through the task plan with.
func HistoryEvent(p Project, head string) *Event {
	ref := "refs/heads/" + p.DefaultBranch
	return &Event{Type: History, Project: p, CommitSHA: head, Ref: ref, After: head,
		Payload: map[string]any{
			"event_type": string(History), "event_name": string(History), "object_kind": string(History),
			"ref": ref, "after": head, "checkout_sha": head,
			"project": map[string]any{
				"id": p.ID, "path_with_namespace": p.PathWithNamespace, "web_url": p.WebURL,
				"git_ssh_url": p.GitSSHURL, "git_http_url": p.GitHTTPURL, "default_branch": p.DefaultBranch,
			},
		}}
}

// checkHistory checks a stored history event's branch.
func (c *fieldChecker) checkHistory(e *Event) {
	c.check("ref", e.Ref, "ref", func(ref string) error {
		name, ok := strings.CutPrefix(ref, "refs/heads/")
		if !ok {
			return fmt.Errorf("%s is not a branch", quoteValue(ref))
		}
		return checkBranch(name)
	})
}
