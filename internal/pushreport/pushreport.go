// Package pushreport is what the pre-receive hook tells SecBot about a push
// it refused, let through on a bypass, or could not scan: the JSON body of
// POST /v1/push-protection/events, and the checks the receiver makes of it.
// A report carries where a secret is and a hash of it, never the secret.
package pushreport

import (
	"errors"
	"fmt"
	"regexp"
	"unicode/utf8"

	"github.com/secbot/secbot/internal/gitrev"
)

// Path is the receiver's route for reports.
const Path = "/v1/push-protection/events"

// Bounds of a report: the hook keeps to them, the receiver refuses more.
const (
	MaxBody     = 64 << 10
	MaxRefs     = 50
	MaxFindings = 100
	maxText     = 1024
)

// Kinds of report.
const (
	// Refused is a push refused for the secrets it carries.
	Refused = "refused"
	// Bypassed is a push let through unscanned because its pusher asked.
	Bypassed = "bypassed"
	// NotScanned is a push let through because its scan did not finish.
	NotScanned = "not_scanned"
)

// Reasons, one per kind or more.
const (
	ReasonSecrets       = "secrets"        // refused
	ReasonPushOption    = "push_option"    // bypassed: -o secret_push_protection.skip_all
	ReasonCommitMessage = "commit_message" // bypassed: [skip secret push protection]
	ReasonTimeBudget    = "time_budget"    // not_scanned: the budget ran out
	ReasonError         = "error"          // not_scanned: git or the rules failed
)

var reasonsOf = map[string][]string{
	Refused:    {ReasonSecrets},
	Bypassed:   {ReasonPushOption, ReasonCommitMessage},
	NotScanned: {ReasonTimeBudget, ReasonError},
}

// Report is one push's report.
type Report struct {
	Kind   string `json:"kind"`
	Reason string `json:"reason"`
	// Project is GitLab's path of the project (GL_PROJECT_PATH), or the
	// repository's directory when GitLab did not say.
	Project string `json:"project"`
	// Repository is GitLab's id of the repository (GL_REPOSITORY,
	// "project-42"); User the pusher's username (GL_USERNAME).
	Repository string `json:"repository,omitempty"`
	User       string `json:"user,omitempty"`
	// Refs are the refs the push updates (at most MaxRefs).
	Refs []string `json:"refs"`
	// Commits is the number of commits the push adds (0 when not known).
	Commits int `json:"commits"`
	// Detail says more in words (the error of a scan that failed).
	Detail   string    `json:"detail,omitempty"`
	Findings []Finding `json:"findings"`
}

// Finding is where a secret is: never the secret, only a hash of it
// (internal/redact's: sha256 of the rule id, a NUL and the secret).
type Finding struct {
	Commit     string `json:"commit"`
	File       string `json:"file"`
	Line       int    `json:"line"`
	Rule       string `json:"rule"`
	SecretHash string `json:"secret_hash"`
}

var hashPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Validate says what is wrong with a report, or nil.
func (r *Report) Validate() error {
	reasons, ok := reasonsOf[r.Kind]
	if !ok {
		return fmt.Errorf("kind %q is not one of refused, bypassed, not_scanned", r.Kind)
	}
	known := false
	for _, reason := range reasons {
		known = known || reason == r.Reason
	}
	if !known {
		return fmt.Errorf("reason %q is not one of %q for kind %s", r.Reason, reasons, r.Kind)
	}
	if r.Project == "" {
		return errors.New("project is required")
	}
	if r.Commits < 0 {
		return errors.New("commits must not be negative")
	}
	if len(r.Refs) > MaxRefs || len(r.Findings) > MaxFindings {
		return fmt.Errorf("at most %d refs and %d findings", MaxRefs, MaxFindings)
	}
	texts := append([]string{r.Project, r.Repository, r.User, r.Detail}, r.Refs...)
	for i, f := range r.Findings {
		switch {
		case !gitrev.IsSHA(f.Commit):
			return fmt.Errorf("findings[%d].commit %q is not a commit SHA", i, f.Commit)
		case !hashPattern.MatchString(f.SecretHash):
			return fmt.Errorf("findings[%d].secret_hash is not 64 hex digits", i)
		case f.Line < 0 || f.File == "" || f.Rule == "":
			return fmt.Errorf("findings[%d] needs a file, a rule and a line not below 0", i)
		}
		texts = append(texts, f.File, f.Rule)
	}
	for _, s := range texts {
		if len(s) > maxText || !utf8.ValidString(s) || containsNUL(s) {
			return fmt.Errorf("text fields must be UTF-8 without NUL, at most %d bytes", maxText)
		}
	}
	return nil
}

func containsNUL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return true
		}
	}
	return false
}
