package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// File is a parsed and checked config.yml.
type File struct {
	Path       string
	Version    string
	Components map[string]Component
	Jobs       []Job
}

// Component is a named, configured handler: a scan, an output or a
// notification, depending on where jobs use it.
type Component struct {
	Name        string
	HandlerName string
	// Values holds the component's config merged with the values of the
	// environment variables its env section names.
	Values map[string]any
	// SecretFields are the fields whose values came from the environment;
	// they are never logged.
	SecretFields []string
}

// Decode fills v (a pointer to the handler's own settings struct) from the
// component's values, rejecting fields the struct does not know.
func (c Component) Decode(v any) error {
	raw, err := yaml.Marshal(c.Values)
	if err != nil {
		return fmt.Errorf("component %q: %w", c.Name, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("component %q (handler %q): %w", c.Name, c.HandlerName, err)
	}
	return nil
}

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
}

// componentName keeps names usable inside task ids and metric labels.
var componentName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

type rawFile struct {
	Version    yaml.Node               `yaml:"version"`
	Components map[string]rawComponent `yaml:"components"`
	Jobs       []rawJob                `yaml:"jobs"`
}

type rawComponent struct {
	HandlerName string            `yaml:"handler_name"`
	Config      map[string]any    `yaml:"config"`
	Env         map[string]string `yaml:"env"`
}

type rawJob struct {
	Name          string    `yaml:"name"`
	Rules         yaml.Node `yaml:"rules"`
	Scans         []string  `yaml:"scans"`
	Outputs       []string  `yaml:"outputs"`
	Notifications []string  `yaml:"notifications"`
}

// LoadFile reads and checks config.yml, resolving each component's env
// section against env. Every error names the file and the key at fault.
func LoadFile(path string, env Env) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config %w", err)
	}
	f, err := Parse(data, env)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f.Path = path
	return f, nil
}

// Parse checks a config.yml document; see LoadFile.
func Parse(data []byte, env Env) (*File, error) {
	var raw rawFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("not a valid config: %w", err)
	}
	f := &File{Version: raw.Version.Value, Components: map[string]Component{}}
	if f.Version == "" {
		return nil, fmt.Errorf("version: missing (want version: 1.0)")
	}
	if major, _, _ := strings.Cut(f.Version, "."); major != "1" {
		return nil, fmt.Errorf("version: %q is not supported (want 1.x)", f.Version)
	}
	for name, rc := range raw.Components {
		c, err := buildComponent(name, rc, env)
		if err != nil {
			return nil, err
		}
		f.Components[name] = c
	}
	if len(raw.Jobs) == 0 {
		return nil, fmt.Errorf("jobs: at least one job is needed")
	}
	names := map[string]bool{}
	for i, rj := range raw.Jobs {
		job, err := buildJob(i, rj, f.Components)
		if err != nil {
			return nil, err
		}
		if names[job.Name] {
			return nil, fmt.Errorf("jobs[%d].name: %q is used by another job", i, job.Name)
		}
		names[job.Name] = true
		f.Jobs = append(f.Jobs, job)
	}
	return f, nil
}

func buildComponent(name string, rc rawComponent, env Env) (Component, error) {
	key := "components." + name
	if !componentName.MatchString(name) {
		return Component{}, fmt.Errorf("%s: a component name may hold only letters, digits, '.', '_' and '-'", key)
	}
	if rc.HandlerName == "" {
		return Component{}, fmt.Errorf("%s.handler_name: missing", key)
	}
	c := Component{Name: name, HandlerName: rc.HandlerName, Values: map[string]any{}}
	for k, v := range rc.Config {
		c.Values[k] = v
	}
	for field, variable := range rc.Env {
		if _, clash := rc.Config[field]; clash {
			return Component{}, fmt.Errorf("%s: field %q is set in both config and env", key, field)
		}
		value, ok := env.Lookup(variable)
		if !ok || value == "" {
			return Component{}, fmt.Errorf("%s.env.%s: environment variable %s is not set", key, field, variable)
		}
		c.Values[field] = value
		c.SecretFields = append(c.SecretFields, field)
	}
	slices.Sort(c.SecretFields)
	return c, nil
}

func buildJob(i int, rj rawJob, components map[string]Component) (Job, error) {
	key := fmt.Sprintf("jobs[%d]", i)
	if rj.Name == "" {
		return Job{}, fmt.Errorf("%s.name: missing", key)
	}
	key = fmt.Sprintf("jobs[%d] (%q)", i, rj.Name)
	rules, err := parseRules(key, rj.Rules)
	if err != nil {
		return Job{}, err
	}
	job := Job{Name: rj.Name, Rules: rules, Scans: rj.Scans, Outputs: rj.Outputs, Notifications: rj.Notifications}
	if len(job.Scans) == 0 {
		return Job{}, fmt.Errorf("%s.scans: at least one scan is needed", key)
	}
	if len(job.Notifications) > 0 && len(job.Outputs) == 0 {
		return Job{}, fmt.Errorf("%s.notifications: notifications report what outputs found, so the job needs an output", key)
	}
	for list, refs := range map[string][]string{"scans": job.Scans, "outputs": job.Outputs, "notifications": job.Notifications} {
		seen := map[string]bool{}
		for _, ref := range refs {
			if _, ok := components[ref]; !ok {
				return Job{}, fmt.Errorf("%s.%s: component %q is not defined under components", key, list, ref)
			}
			if seen[ref] {
				return Job{}, fmt.Errorf("%s.%s: component %q is listed twice", key, list, ref)
			}
			seen[ref] = true
		}
	}
	return job, nil
}

// parseRules reads `rules: {gitlab: {path: regex, ...}}`; `gitlab: null`
// (or an empty mapping) matches every event.
func parseRules(key string, node yaml.Node) (map[string]string, error) {
	if node.Kind == 0 {
		return nil, fmt.Errorf("%s.rules: missing (use `rules: {gitlab: null}` to match every event)", key)
	}
	if node.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s.rules (line %d): want a mapping with the key gitlab", key, node.Line)
	}
	var gitlab *yaml.Node
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, v := node.Content[i], node.Content[i+1]
		if k.Value != "gitlab" {
			return nil, fmt.Errorf("%s.rules.%s (line %d): unknown rule source (only gitlab is supported)", key, k.Value, k.Line)
		}
		gitlab = v
	}
	if gitlab == nil {
		return nil, fmt.Errorf("%s.rules.gitlab: missing (use `gitlab: null` to match every event)", key)
	}
	if gitlab.Tag == "!!null" {
		return nil, nil
	}
	if gitlab.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s.rules.gitlab (line %d): want a mapping of dotted.json.path: regex", key, gitlab.Line)
	}
	rules := map[string]string{}
	for i := 0; i+1 < len(gitlab.Content); i += 2 {
		k, v := gitlab.Content[i], gitlab.Content[i+1]
		if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
			return nil, fmt.Errorf("%s.rules.gitlab.%s (line %d): want a regular expression", key, k.Value, v.Line)
		}
		rules[k.Value] = v.Value
	}
	if len(rules) == 0 {
		return nil, nil
	}
	return rules, nil
}
