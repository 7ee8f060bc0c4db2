package gitlab

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/secbot/secbot/internal/config"
)

// Hook headers GitLab sends.
const (
	HeaderToken          = "X-Gitlab-Token" //nolint:gosec // G101: a header name, not a credential
	HeaderEvent          = "X-Gitlab-Event"
	HeaderInstance       = "X-Gitlab-Instance"
	HeaderIdempotencyKey = "Idempotency-Key"
)

// ErrForbidden means no configured instance has the hook's token.
var ErrForbidden = errors.New("X-Gitlab-Token header is invalid")

// VerifyToken finds the instance whose webhook secret equals token, comparing
// in constant time with every instance. When the hook names its instance
// (X-Gitlab-Instance), that must agree with the matched instance's host.
func VerifyToken(instances []config.Instance, token, instanceHeader string) (config.Instance, error) {
	given := sha256.Sum256([]byte(token))
	match := -1
	for i, inst := range instances {
		want := sha256.Sum256([]byte(inst.WebhookSecretToken))
		if subtle.ConstantTimeCompare(given[:], want[:]) == 1 && token != "" {
			match = i
		}
	}
	if match < 0 {
		return config.Instance{}, ErrForbidden
	}
	inst := instances[match]
	if instanceHeader != "" && !inst.SameHost(instanceHeader) {
		return config.Instance{}, ErrForbidden
	}
	return inst, nil
}

var shaPattern = regexp.MustCompile(`^[0-9a-f]{40}([0-9a-f]{24})?$`)

const zeroSHA = "0000000000000000000000000000000000000000"

// eventKind holds the fields that name a system hook's event.
type eventKind struct {
	ObjectKind string `json:"object_kind"`
	EventName  string `json:"event_name"`
}

// hookBody holds the fields SecBot reads from push, tag push and merge
// request hooks, system or project.
type hookBody struct {
	ObjectKind        string   `json:"object_kind"`
	EventName         string   `json:"event_name"`
	Before            string   `json:"before"`
	After             string   `json:"after"`
	Ref               string   `json:"ref"`
	CheckoutSHA       *string  `json:"checkout_sha"`
	UserName          string   `json:"user_name"`
	TotalCommitsCount int      `json:"total_commits_count"`
	ProjectID         int64    `json:"project_id"`
	Project           *Project `json:"project"`
	User              struct {
		Name string `json:"name"`
	} `json:"user"`
	ObjectAttributes *struct {
		IID             int64  `json:"iid"`
		URL             string `json:"url"`
		Action          string `json:"action"`
		State           string `json:"state"`
		SourceBranch    string `json:"source_branch"`
		TargetBranch    string `json:"target_branch"`
		SourceProjectID int64  `json:"source_project_id"`
		TargetProjectID int64  `json:"target_project_id"`
		Source          struct {
			GitHTTPURL string `json:"git_http_url"`
			GitSSHURL  string `json:"git_ssh_url"`
		} `json:"source"`
		LastCommit struct {
			ID string `json:"id"`
		} `json:"last_commit"`
	} `json:"object_attributes"`
}

// ParseHook validates a hook body given its X-Gitlab-Event header. It
// returns ErrIgnoredEvent (wrapped, with the reason) for events SecBot does
// not act on and *ValidationError for malformed ones.
func ParseHook(eventHeader string, body []byte) (*Event, error) {
	// GitLab sends UTF-8; anything else is refused rather than stored with
	// replacement characters.
	if !utf8.Valid(body) {
		return nil, &ValidationError{Message: "body is not valid UTF-8"}
	}
	var payload map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&payload); err != nil || payload == nil {
		msg := "body is not a JSON object"
		if err != nil {
			msg += ": " + err.Error()
		}
		return nil, &ValidationError{Message: msg}
	}
	// PostgreSQL's text cannot hold NUL: refuse it here, with the field,
	// instead of failing to store the event.
	if field := nulField(payload, ""); field != "" {
		return nil, &ValidationError{Message: "body holds a NUL character", Details: []FieldError{
			{Code: "invalid", Field: field, Message: "contains \\u0000"}}}
	}
	// A name of the wrong type counts as none, and is caught below.
	objectKind, _ := payload["object_kind"].(string)
	eventName, _ := payload["event_name"].(string)
	typ, system, err := eventType(eventHeader, eventKind{ObjectKind: objectKind, EventName: eventName})
	if err != nil {
		return nil, err
	}
	var h hookBody
	if err := json.Unmarshal(body, &h); err != nil {
		return nil, &ValidationError{Message: "body has a field of the wrong type: " + err.Error()}
	}
	payload["event_type"] = string(typ)
	ev := &Event{Type: typ, System: system, Payload: payload}
	switch typ {
	case MergeRequest:
		err = fillMergeRequest(ev, &h)
	default:
		err = fillPush(ev, &h)
	}
	if err != nil {
		return nil, err
	}
	return ev, nil
}

// nulField returns the dotted path of the first key or string value under
// v that holds a NUL character, or "".
func nulField(v any, path string) string {
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch t := v.(type) {
	case string:
		if strings.ContainsRune(t, 0) {
			return path
		}
	case map[string]any:
		for k, x := range t {
			if strings.ContainsRune(k, 0) {
				return join(strings.ReplaceAll(k, "\x00", "\\u0000"))
			}
			if f := nulField(x, join(k)); f != "" {
				return f
			}
		}
	case []any:
		for i, x := range t {
			if f := nulField(x, join(strconv.Itoa(i))); f != "" {
				return f
			}
		}
	}
	return ""
}

// SystemHookEvent is the X-Gitlab-Event header of system hooks, which
// name their event in the body.
const SystemHookEvent = "System Hook"

// projectHookEvents maps the X-Gitlab-Event headers of project and group
// webhooks to the events SecBot acts on.
var projectHookEvents = map[string]EventType{
	"Push Hook":          Push,
	"Tag Push Hook":      TagPush,
	"Merge Request Hook": MergeRequest,
}

// EventOfHeader returns the event a project or group webhook's X-Gitlab-Event
// header names, if SecBot acts on it.
func EventOfHeader(header string) (EventType, bool) {
	typ, ok := projectHookEvents[header]
	return typ, ok
}

// eventType maps the X-Gitlab-Event header (and, for system hooks, the
// body's event_name or object_kind) to a supported event type.
func eventType(header string, h eventKind) (EventType, bool, error) {
	if typ, ok := projectHookEvents[header]; ok {
		return typ, false, nil
	}
	switch header {
	case SystemHookEvent:
		kind := h.EventName
		if kind == "" {
			kind = h.ObjectKind
		}
		switch kind {
		case "push":
			return Push, true, nil
		case "tag_push":
			return TagPush, true, nil
		case "merge_request":
			return MergeRequest, true, nil
		case "":
			return "", true, &ValidationError{Message: "system hook names no event", Details: []FieldError{
				{Code: "missing_field", Field: "event_name", Message: "neither event_name nor object_kind is set"}}}
		}
		return "", true, fmt.Errorf("%w: system hook event %q", ErrIgnoredEvent, kind)
	case "":
		return "", false, &ValidationError{Message: "X-Gitlab-Event header is missing", Details: []FieldError{
			{Code: "missing_field", Field: HeaderEvent, Message: "the header names the event type"}}}
	}
	return "", false, fmt.Errorf("%w: %q", ErrIgnoredEvent, header)
}

type fieldChecker struct{ errs []FieldError }

func (c *fieldChecker) need(field, value string) {
	if value == "" {
		c.errs = append(c.errs, FieldError{Code: "missing_field", Field: field, Message: "required"})
	}
}

func (c *fieldChecker) sha(field, value string) {
	if value == "" {
		c.need(field, value)
	} else if !shaPattern.MatchString(value) {
		c.errs = append(c.errs, FieldError{Code: "invalid", Field: field, Message: "not a commit SHA"})
	}
}

// check records a required value that a rule refuses; what says what the
// value should be ("branch ref").
func (c *fieldChecker) check(field, value, what string, rule func(string) error) {
	if value == "" {
		c.need(field, value)
		return
	}
	if err := rule(value); err != nil {
		c.errs = append(c.errs, FieldError{Code: "invalid", Field: field,
			Message: fmt.Sprintf("%s is not a valid %s: it %v", quoteValue(value), what, err)})
	}
}

func (c *fieldChecker) err(typ EventType) error {
	if len(c.errs) == 0 {
		return nil
	}
	msg := "%s hook is missing required fields"
	for _, e := range c.errs {
		if e.Code != "missing_field" {
			msg = "%s hook has missing or invalid fields"
		}
	}
	return &ValidationError{Message: fmt.Sprintf(msg, typ), Details: c.errs}
}

// checkProject checks the project's fields, bounding its path and the
// clone URL's (the worker names the project's mirror after it).
func checkProject(c *fieldChecker, p *Project) {
	if p == nil {
		c.need("project", "")
		return
	}
	c.check("project.path_with_namespace", p.PathWithNamespace, "project path", CheckProjectPath)
	c.need("project.git_ssh_url", p.GitSSHURL)
	c.check("project.git_http_url", p.GitHTTPURL, "clone URL", func(raw string) error {
		u, err := url.Parse(raw)
		if err != nil {
			return errors.New("is not a URL")
		}
		if err := CheckRepoURLPath(u.Path); err != nil {
			return fmt.Errorf("has a path that %w", err)
		}
		return nil
	})
	c.need("project.web_url", p.WebURL)
}

func fillPush(ev *Event, h *hookBody) error {
	var c fieldChecker
	checkProject(&c, h.Project)
	refKind := "branch ref (refs/heads/<branch>)"
	if ev.Type == TagPush {
		refKind = "tag ref (refs/tags/<tag>)"
	}
	c.check("ref", h.Ref, refKind, func(ref string) error { return checkPushRef(ev.Type, ref) })
	c.sha("before", h.Before)
	c.sha("after", h.After)
	if err := c.err(ev.Type); err != nil {
		return err
	}
	if h.After == zeroSHA {
		return fmt.Errorf("%w: %s deletes %s", ErrIgnoredEvent, ev.Type, h.Ref)
	}
	ev.Project = *h.Project
	if ev.Project.ID == 0 {
		ev.Project.ID = h.ProjectID
	}
	ev.Ref, ev.Before, ev.After = h.Ref, h.Before, h.After
	ev.TotalCommitsCount, ev.UserName = h.TotalCommitsCount, h.UserName
	ev.CommitSHA = h.After
	if ev.Type == TagPush {
		// The security_check_id of a tag uses checkout_sha, the commit the
		// tag points at (after is the tag object for annotated tags).
		if h.CheckoutSHA == nil || !shaPattern.MatchString(*h.CheckoutSHA) {
			return &ValidationError{Message: "tag_push hook is missing required fields", Details: []FieldError{
				{Code: "invalid", Field: "checkout_sha", Message: "required commit SHA"}}}
		}
		ev.CommitSHA = *h.CheckoutSHA
	}
	return nil
}

func fillMergeRequest(ev *Event, h *hookBody) error {
	var c fieldChecker
	checkProject(&c, h.Project)
	oa := h.ObjectAttributes
	if oa == nil {
		c.need("object_attributes", "")
		return c.err(ev.Type)
	}
	c.sha("object_attributes.last_commit.id", oa.LastCommit.ID)
	c.check("object_attributes.source_branch", oa.SourceBranch, "branch name", checkBranch)
	c.check("object_attributes.target_branch", oa.TargetBranch, "branch name", checkBranch)
	switch {
	case oa.IID == 0:
		c.need("object_attributes.iid", "")
	case oa.IID < 0:
		c.errs = append(c.errs, FieldError{Code: "invalid", Field: "object_attributes.iid", Message: "not a merge request number (it is negative)"})
	}
	if err := c.err(ev.Type); err != nil {
		return err
	}
	ev.Project = *h.Project
	if ev.Project.ID == 0 {
		ev.Project.ID = oa.TargetProjectID
	}
	ev.CommitSHA = oa.LastCommit.ID
	ev.Ref = "refs/heads/" + oa.SourceBranch
	ev.UserName = h.User.Name
	mr := &MergeRequestInfo{
		IID: oa.IID, URL: oa.URL, Action: oa.Action, State: oa.State,
		SourceBranch: oa.SourceBranch, TargetBranch: oa.TargetBranch,
		SourceProjectID: oa.SourceProjectID, TargetProjectID: oa.TargetProjectID,
		SourceHTTPURL: oa.Source.GitHTTPURL, SourceSSHURL: oa.Source.GitSSHURL,
	}
	if mr.URL == "" { // system hooks do not carry the MR's URL
		mr.URL = strings.TrimSuffix(ev.Project.WebURL, "/") + "/-/merge_requests/" + strconv.FormatInt(oa.IID, 10)
	}
	ev.MergeRequest = mr
	return nil
}
