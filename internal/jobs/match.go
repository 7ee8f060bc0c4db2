// Package jobs decides what runs for an event: it matches events against
// the jobs of config.yml and turns the matched job into a task plan.
package jobs

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
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
type Matcher struct{ jobs []compiledJob }

// maxRuleLength bounds a rule's regular expression; Go's RE2 engine runs in
// linear time, so size is the only cost to bound.
const maxRuleLength = 4096

// NewMatcher compiles the rules of jobs; every rule must be a valid regular
// expression. Errors name the job and the rule key.
func NewMatcher(jobs []config.Job) (*Matcher, error) {
	m := &Matcher{}
	for i, job := range jobs {
		cj := compiledJob{job: job}
		for key, expr := range job.Rules {
			where := fmt.Sprintf("jobs[%d] (%q).rules.gitlab.%s", i, job.Name, key)
			if len(expr) > maxRuleLength {
				return nil, fmt.Errorf("%s: regular expression longer than %d characters", where, maxRuleLength)
			}
			re, err := regexp.Compile(`^(?:` + expr + `)$`)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			if key == "" || strings.Contains(key, "..") {
				return nil, fmt.Errorf("%s: not a dotted JSON path", where)
			}
			cj.rules = append(cj.rules, rule{key: key, path: strings.Split(key, "."), re: re})
		}
		m.jobs = append(m.jobs, cj)
	}
	return m, nil
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
