package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Job says which scans, outputs and notifications run for the events its
// rules match.
type Job struct {
	Name string
	// Rules maps a dotted JSON path of the GitLab event (or the virtual key
	// event_type) to a regular expression its value must match in full.
	// A nil map matches every event.
	Rules         map[string]string
	Scans         []string
	Outputs       []string
	Notifications []string
	// Gate says which findings block a commit (default: every active one).
	Gate Gate
	// HistoryNotifications keeps the job's notifications for history
	// scans (`history: {notifications: true}`); by default a history scan
	// only scans and stores.
	HistoryNotifications bool

	// Where the job is in config.yml, for RuleProblem.
	file      string
	line      int
	ruleLines map[string]int
}

// RuleProblem places a message about one of the job's rules (a key of
// Rules; "" for the job itself) at its line in config.yml; index is the
// job's place in the list of jobs.
func (j Job) RuleProblem(index int, rule, msg string) Problem {
	p := Problem{File: j.file, Line: j.line, Key: fmt.Sprintf("jobs[%d] (%q)", index, j.Name), Msg: msg}
	if rule != "" {
		p.Key += ".rules.gitlab." + rule
		if line, ok := j.ruleLines[rule]; ok {
			p.Line = line
		}
	}
	return p
}

// jobKeys are the keys of a job.
var jobKeys = []string{"name", "rules", "scans", "outputs", "notifications", "gate", "history"}

// parseJobs reads the jobs section into f.Jobs; defined holds the line of
// every component defined (see parseComponents).
func parseJobs(ps *problems, f *File, node *yaml.Node, defined map[string]int) {
	if isNull(node) || (node.Kind == yaml.SequenceNode && len(node.Content) == 0) {
		ps.add(node.Line, "jobs", "at least one job is needed")
		return
	}
	if node.Kind != yaml.SequenceNode {
		ps.add(node.Line, "jobs", "want a list of jobs, each starting with `- name:`")
		return
	}
	refs := &resolver{ps: ps, f: f, defined: defined, warned: map[string]bool{}}
	names := map[string]int{}
	for i, item := range node.Content {
		job := parseJob(ps, i, item, refs)
		if job.Name != "" {
			if line, dup := names[job.Name]; dup {
				ps.add(item.Line, fmt.Sprintf("jobs[%d].name", i), "%q is used by another job (line %d): job names must differ", job.Name, line)
			}
			names[job.Name] = item.Line
		}
		// A job with problems is kept as well: the file is refused anyway,
		// and callers check its components and rules, to report all at once.
		f.Jobs = append(f.Jobs, job)
	}
}

func parseJob(ps *problems, i int, node *yaml.Node, refs *resolver) Job {
	job := Job{file: ps.file, line: node.Line, ruleLines: map[string]int{}}
	key := fmt.Sprintf("jobs[%d]", i)
	if node.Kind != yaml.MappingNode {
		ps.add(node.Line, key, "want a mapping with the keys %s", strings.Join(jobKeys, ", "))
		return job
	}
	if name := nameOf(node); name != "" {
		job.Name = name
		key = fmt.Sprintf("jobs[%d] (%q)", i, name)
	} else {
		ps.add(node.Line, key+".name", "missing: every job needs a name (logs and checks show it)")
	}
	m := mappingOf(ps, node, key, jobKeys)
	job.Rules = parseRules(ps, key, node.Line, m["rules"], job.ruleLines)
	job.Scans = refs.list(key, "scans", m["scans"])
	job.Outputs = refs.list(key, "outputs", m["outputs"])
	job.Notifications = refs.list(key, "notifications", m["notifications"])
	job.Gate = parseGate(ps, key, m["gate"])
	job.HistoryNotifications = parseJobHistory(ps, key, m["history"])
	if !job.Gate.IsZero() && !listed(m["outputs"]) {
		ps.add(m["gate"].key.Line, key+".gate", "the gate reads what outputs stored (severity, duplicates), so the job needs an output")
	}
	if !listed(m["scans"]) {
		ps.add(node.Line, key+".scans", "at least one scan is needed")
	}
	if listed(m["notifications"]) && !listed(m["outputs"]) {
		ps.add(m["notifications"].key.Line, key+".notifications", "notifications report what outputs found, so the job needs an output")
	}
	return job
}

// nameOf is a job's name, or "" when it has none.
func nameOf(node *yaml.Node) string {
	for i := 0; i+1 < len(node.Content); i += 2 {
		if k, v := node.Content[i], node.Content[i+1]; k.Value == "name" && v.Kind == yaml.ScalarNode && !isNull(v) {
			return v.Value
		}
	}
	return ""
}

// listed reports a list of components with at least one item.
func listed(e *entry) bool {
	return e != nil && e.value.Kind == yaml.SequenceNode && len(e.value.Content) > 0
}

// resolver turns the component names a job lists into defined components.
type resolver struct {
	ps      *problems
	f       *File
	defined map[string]int
	// warned remembers the spellings already warned about, so that each
	// gets one warning however often it is used.
	warned map[string]bool
}

// list reads one of a job's lists of components.
func (r *resolver) list(key, list string, e *entry) []string {
	if e == nil || isNull(e.value) {
		return nil
	}
	at := key + "." + list
	if e.value.Kind != yaml.SequenceNode {
		r.ps.add(e.value.Line, at, "want a list of component names, such as [%s]", e.value.Value)
		return nil
	}
	seen := map[string]bool{}
	var names []string
	for _, item := range e.value.Content {
		if item.Kind != yaml.ScalarNode || isNull(item) || item.Value == "" {
			r.ps.add(item.Line, at, "want a component's name")
			continue
		}
		name, ok := r.resolve(at, item)
		if !ok {
			continue
		}
		if seen[name] {
			r.ps.add(item.Line, at, "component %q is listed twice", name)
			continue
		}
		seen[name] = true
		names = append(names, name)
	}
	return names
}

// resolve finds the component a job names. A name defined only in another
// case (the original's documentation writes `scans: [gitLeaks]` for a
// component defined as gitleaks) resolves to it, with one warning, when
// exactly one component is spelled so. A component that is defined but
// wrong reports its own problems, not another here.
func (r *resolver) resolve(at string, item *yaml.Node) (string, bool) {
	ref := item.Value
	if _, ok := r.defined[ref]; ok {
		_, right := r.f.Components[ref]
		return ref, right
	}
	var same []string
	for name := range r.defined {
		if strings.EqualFold(name, ref) {
			same = append(same, name)
		}
	}
	slices.Sort(same)
	switch len(same) {
	case 0:
		known := "none"
		if len(r.defined) > 0 {
			known = strings.Join(slices.Sorted(maps.Keys(r.defined)), ", ")
		}
		r.ps.add(item.Line, at, "component %q is not defined under components (defined: %s)", ref, known)
		return "", false
	case 1:
		name := same[0]
		if !r.warned[ref] {
			r.warned[ref] = true
			r.f.Warnings = append(r.f.Warnings, Problem{File: r.ps.file, Line: item.Line, Key: at,
				Msg: fmt.Sprintf("component %q is defined as %q (line %d), in another case; SecBot uses %q (write %q to silence this warning)",
					ref, name, r.defined[name], name, name)})
		}
		_, right := r.f.Components[name]
		return name, right
	}
	r.ps.add(item.Line, at, "component %q is not defined, and %s differ from it only in case: write one of them exactly",
		ref, quoteAll(same))
	return "", false
}

func quoteAll(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(quoted, " and ")
}

// parseRules reads `rules: {gitlab: {path: regex, ...}}`; `gitlab: null`
// (or an empty mapping) matches every event. lines gets each rule's line.
func parseRules(ps *problems, key string, jobLine int, e *entry, lines map[string]int) map[string]string {
	if e == nil {
		ps.add(jobLine, key+".rules", "missing (use `rules: {gitlab: null}` to match every event)")
		return nil
	}
	node := e.value
	if node.Kind != yaml.MappingNode {
		ps.add(node.Line, key+".rules", "want a mapping with the key gitlab")
		return nil
	}
	var gitlab *yaml.Node
	unknown := false
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, v := node.Content[i], node.Content[i+1]
		if k.Value != "gitlab" {
			ps.add(k.Line, key+".rules."+k.Value, "unknown rule source (only gitlab is supported)")
			unknown = true
			continue
		}
		gitlab = v
	}
	if gitlab == nil && unknown {
		return nil
	}
	if gitlab == nil {
		ps.add(node.Line, key+".rules.gitlab", "missing (use `gitlab: null` to match every event)")
		return nil
	}
	if isNull(gitlab) {
		return nil
	}
	if gitlab.Kind != yaml.MappingNode {
		ps.add(gitlab.Line, key+".rules.gitlab", "want a mapping of dotted.json.path: regex")
		return nil
	}
	rules := map[string]string{}
	for name, e := range orderedEntries(ps, gitlab, key+".rules.gitlab") {
		if e.value.Kind != yaml.ScalarNode || isNull(e.value) {
			ps.add(e.value.Line, key+".rules.gitlab."+name, "want a regular expression")
			continue
		}
		rules[name] = e.value.Value
		lines[name] = e.key.Line
	}
	if len(rules) == 0 {
		return nil
	}
	return rules
}

// parseJobHistory reads `history: {notifications: true|false}`, what a
// job does for history scans beyond scanning and storing.
func parseJobHistory(ps *problems, key string, e *entry) bool {
	if e == nil || isNull(e.value) {
		return false
	}
	at := key + ".history"
	if e.value.Kind != yaml.MappingNode {
		ps.add(e.value.Line, at, "want a mapping such as {notifications: true}")
		return false
	}
	notify := false
	for i := 0; i+1 < len(e.value.Content); i += 2 {
		k, v := e.value.Content[i], e.value.Content[i+1]
		if k.Value != "notifications" {
			ps.add(k.Line, at+"."+k.Value, "unknown key (history has notifications)")
			continue
		}
		if v.Kind != yaml.ScalarNode || (v.Value != "true" && v.Value != "false") {
			ps.add(v.Line, at+".notifications", "want true or false")
			continue
		}
		notify = v.Value == "true"
	}
	return notify
}
