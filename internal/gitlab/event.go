// Package gitlab understands GitLab: webhook verification and parsing, and
// the security_check_id that ties a commit to its check.
package gitlab

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// EventType is the kind of GitLab event SecBot acts on; it is also the
// virtual event_type key available to job rules.
type EventType string

// The events SecBot acts on.
const (
	Push         EventType = "push"
	TagPush      EventType = "tag_push"
	MergeRequest EventType = "merge_request"
)

// ErrIgnoredEvent marks a well-formed hook that SecBot does not act on (an
// unsupported event, or a branch or tag deletion). It is answered 200.
var ErrIgnoredEvent = errors.New("ignored event")

// FieldError is one problem with one field of a hook body.
type FieldError struct {
	Code    string `json:"code"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError is a malformed hook: bad JSON or a supported event that
// lacks fields SecBot needs. It is answered 400.
type ValidationError struct {
	Message string
	Details []FieldError
}

func (e *ValidationError) Error() string {
	if len(e.Details) == 0 {
		return e.Message
	}
	parts := make([]string, len(e.Details))
	for i, d := range e.Details {
		parts[i] = d.Field + ": " + d.Message
	}
	return e.Message + ": " + strings.Join(parts, "; ")
}

// Project is the GitLab project an event belongs to.
type Project struct {
	ID                int64  `json:"id"`
	PathWithNamespace string `json:"path_with_namespace"`
	WebURL            string `json:"web_url"`
	GitSSHURL         string `json:"git_ssh_url"`
	GitHTTPURL        string `json:"git_http_url"`
	DefaultBranch     string `json:"default_branch"`
}

// MergeRequestInfo is what SecBot keeps of a merge request event.
type MergeRequestInfo struct {
	IID             int64  `json:"iid"`
	URL             string `json:"url"`
	Action          string `json:"action,omitempty"`
	State           string `json:"state,omitempty"`
	SourceBranch    string `json:"source_branch"`
	TargetBranch    string `json:"target_branch"`
	SourceProjectID int64  `json:"source_project_id"`
	TargetProjectID int64  `json:"target_project_id"`
	// SourceHTTPURL is where a fork MR's commits are fetched from.
	SourceHTTPURL string `json:"source_http_url"`
	SourceSSHURL  string `json:"source_ssh_url"`
}

// Event is a parsed, validated hook of a supported type. It carries what the
// scans, outputs and notifications need, so it is stored with the check.
type Event struct {
	Type EventType `json:"type"`
	// System is true for system hooks, false for project webhooks.
	System  bool    `json:"system"`
	Project Project `json:"project"`
	// CommitSHA is the commit the check is about: push after, tag
	// checkout_sha, MR last_commit.id.
	CommitSHA string `json:"commit_sha"`
	Ref       string `json:"ref,omitempty"`
	// Before and After bound a push; Before is all zeros for a new ref.
	Before            string            `json:"before,omitempty"`
	After             string            `json:"after,omitempty"`
	TotalCommitsCount int               `json:"total_commits_count,omitempty"`
	UserName          string            `json:"user_name,omitempty"`
	MergeRequest      *MergeRequestInfo `json:"merge_request,omitempty"`
	// Payload is the decoded body plus the virtual event_type key, for
	// rule matching. It is not stored.
	Payload map[string]any `json:"-"`
}

// ProjectKey is the project part of the security_check_id: the SSH clone URL
// without the leading "git@" and trailing ".git", e.g.
// "git.env.local:group/proj". It equals "$CI_SERVER_HOST:$CI_PROJECT_PATH".
func ProjectKey(gitSSHURL string) string {
	return strings.TrimSuffix(strings.TrimPrefix(gitSSHURL, "git@"), ".git")
}

// SecurityCheckID is the compat id a CI pipeline computes to ask for its
// verdict: prefix + "_" + hex(sha256(project + "_" + commit)).
func SecurityCheckID(prefix, gitSSHURL, commit string) string {
	sum := sha256.Sum256([]byte(ProjectKey(gitSSHURL) + "_" + commit))
	return prefix + "_" + hex.EncodeToString(sum[:])
}

// SecurityCheckID is the id of the check this event belongs to.
func (e *Event) SecurityCheckID(prefix string) string {
	return SecurityCheckID(prefix, e.Project.GitSSHURL, e.CommitSHA)
}

// NotificationScope is what the event is about beyond its commit, for the
// task plan: "!<iid>" for a merge request, "" otherwise.
func (e *Event) NotificationScope() string {
	if e.Type == MergeRequest && e.MergeRequest != nil {
		return fmt.Sprintf("!%d", e.MergeRequest.IID)
	}
	return ""
}

// String names the event for logs.
func (e *Event) String() string {
	return fmt.Sprintf("%s %s@%s", e.Type, e.Project.PathWithNamespace, e.CommitSHA)
}
