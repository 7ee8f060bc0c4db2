package gitlab

import "fmt"

// CheckGitValues checks again, on a stored event, every value the worker
// hands to git or compares with git's refs: the commit SHAs, the push's
// ref and a merge request's branches and number. ParseHook refuses hooks
// that break these rules; this is the worker's own check, so that an event
// stored before those rules, or written by anything else, cannot reach git.
// The error is a *ValidationError naming the event's fields.
func (e *Event) CheckGitValues() error {
	var c fieldChecker
	c.sha("commit_sha", e.CommitSHA)
	switch e.Type {
	case Push, TagPush:
		c.sha("before", e.Before)
		c.sha("after", e.After)
		c.check("ref", e.Ref, "ref", func(ref string) error { return checkPushRef(e.Type, ref) })
	case History:
		c.checkHistory(e)
	case MergeRequest:
		mr := e.MergeRequest
		if mr == nil {
			c.need("merge_request", "")
			break
		}
		c.check("merge_request.source_branch", mr.SourceBranch, "branch name", checkBranch)
		c.check("merge_request.target_branch", mr.TargetBranch, "branch name", checkBranch)
		if mr.IID <= 0 {
			c.errs = append(c.errs, FieldError{Code: "invalid", Field: "merge_request.iid",
				Message: fmt.Sprintf("%d is not a merge request number", mr.IID)})
		}
	default:
		c.errs = append(c.errs, FieldError{Code: "invalid", Field: "type", Message: quoteValue(string(e.Type)) + " is not an event SecBot scans"})
	}
	if len(c.errs) == 0 {
		return nil
	}
	return &ValidationError{Message: fmt.Sprintf("stored %s event has values git must not get", e.Type), Details: c.errs}
}
