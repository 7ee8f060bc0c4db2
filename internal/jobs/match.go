// Package jobs decides what runs for an event: it matches events against
// the jobs of config.yml and turns the matched job into a task plan.
package jobs

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/secbot/secbot/internal/config"
)

// ErrNoJob means no job's rules match the event.
var ErrNoJob = errors.New("no job matches the event")

// ConflictError means more than one job matches an event; at most one may.
type ConflictError struct{ First, Second string }

func (e *ConflictError) Error() string {
	return fmt.Sprintf("event matches both job %q and job %q; at most one job may match an event", e.First, e.Second)
}

type rule struct {
	key  string
	path []string
	re   *regexp.Regexp
}

type compiledJob struct {
	job   config.Job
	rules []rule
}

// Matcher finds the job for an event.
type Matcher struct {
	jobs     []compiledJob
	warnings []config.Problem
}

// maxRuleLength bounds a rule's regular expression; Go's RE2 engine runs in
// linear time, so size is the only cost to bound.
const maxRuleLength = 4096

// NewMatcher compiles the rules of jobs; every rule must be a valid regular
// expression. Every mistake is reported at once, each a config.Problem
// naming the job, the rule key and its line.
func NewMatcher(jobs []config.Job) (*Matcher, error) {
	m := &Matcher{}
	var errs []error
	for i, job := range jobs {
		cj := compiledJob{job: job}
		for _, key := range slices.Sorted(maps.Keys(job.Rules)) {
			expr := job.Rules[key]
			if len(expr) > maxRuleLength {
				errs = append(errs, job.RuleProblem(i, key, fmt.Sprintf("regular expression longer than %d characters", maxRuleLength)))
				continue
			}
			if key == "" || strings.Contains(key, "..") || strings.HasPrefix(key, ".") || strings.HasSuffix(key, ".") {
				errs = append(errs, job.RuleProblem(i, key, "not a dotted JSON path such as project.path_with_namespace"))
				continue
			}
			re, err := regexp.Compile(`^(?:` + expr + `)$`)
			if err != nil {
				errs = append(errs, job.RuleProblem(i, key, err.Error()))
				continue
			}
			if msg := slashedRule(expr); msg != "" {
				m.warnings = append(m.warnings, job.RuleProblem(i, key, msg))
			}
			cj.rules = append(cj.rules, rule{key: key, path: strings.Split(key, "."), re: re})
		}
		m.jobs = append(m.jobs, cj)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return m, nil
}

// Warnings are the rules that are valid but likely not what was meant,
// each with the reason and what to write instead.
func (m *Matcher) Warnings() []config.Problem { return m.warnings }

// slashed is a rule written as /text/ (or /text/i), as a JavaScript or
// Perl pattern is: the original Security Bot's documentation writes
// `project.path_with_namespace: /gitlab-test/`.
var slashed = regexp.MustCompile(`^/(.+)/([imsU]*)$`)

// slashedRule explains, for a rule written as /text/, why it matches
// nothing it was meant to, and what to write instead.
func slashedRule(expr string) string {
	parts := slashed.FindStringSubmatch(expr)
	if parts == nil {
		return ""
	}
	instead := ".*" + parts[1] + ".*"
	if parts[2] != "" {
		instead = "(?" + parts[2] + ")" + instead
	}
	return fmt.Sprintf("%q matches only values that begin and end with a slash: rules are regular expressions that "+
		"match the whole value, and slashes are not delimiters; to match values that contain %s, write %q",
		expr, parts[1], instead)
}

// Match returns the one job whose rules all match the event payload (which
// carries the virtual event_type key). It returns ErrNoJob or a
// *ConflictError naming two matching jobs.
func (m *Matcher) Match(payload map[string]any) (config.Job, error) {
	var found *config.Job
	for i := range m.jobs {
		cj := &m.jobs[i]
		if !cj.matches(payload) {
			continue
		}
		if found != nil {
			return config.Job{}, &ConflictError{First: found.Name, Second: cj.job.Name}
		}
		found = &cj.job
	}
	if found == nil {
		return config.Job{}, ErrNoJob
	}
	return *found, nil
}

func (cj *compiledJob) matches(payload map[string]any) bool {
	for _, r := range cj.rules {
		value, ok := lookup(payload, r.path)
		if !ok || !r.re.MatchString(value) {
			return false
		}
	}
	return true
}

// lookup follows a dotted path through objects (and lists, by index) to a
// scalar, returned as text: strings as they are, numbers and booleans as
// written in JSON. Objects, lists, null and missing keys do not match.
func lookup(v any, path []string) (string, bool) {
	for _, part := range path {
		switch node := v.(type) {
		case map[string]any:
			next, ok := node[part]
			if !ok {
				return "", false
			}
			v = next
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(node) {
				return "", false
			}
			v = node[i]
		default:
			return "", false
		}
	}
	switch s := v.(type) {
	case string:
		return s, true
	case json.Number:
		return s.String(), true
	case float64:
		return strconv.FormatFloat(s, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(s), true
	}
	return "", false
}
