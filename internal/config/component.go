package config

import (
	"errors"
	"fmt"
	"iter"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

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

	// Where the component is in config.yml, for Problem: its line and
	// file, the line of each setting and of handler_name, and the key each
	// setting is under ("config.channels" or "env.token").
	file  string
	line  int
	lines map[string]int
	keys  map[string]string
	// vars names the environment variable of each setting set from env.
	vars map[string]string
	// settings holds the settings as YAML with their lines, the values
	// from the environment included; nil for a Component built in code.
	settings *yaml.Node
}

// componentName keeps names usable inside task ids and metric labels.
var componentName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// componentKeys are the keys of a component.
var componentKeys = []string{"handler_name", "config", "env"}

// Defaulted is a handler's settings struct that checks itself and fills in
// its defaults, its errors beginning with the setting's name.
type Defaulted[T any] interface {
	WithDefaults() (T, error)
}

// DecodeSettings reads a component's settings into a T (Decode) and checks
// them with the defaults filled in (T's WithDefaults).
func DecodeSettings[T Defaulted[T]](c Component) (T, error) {
	var s T
	if err := c.Decode(&s); err != nil {
		return s, err
	}
	return s.WithDefaults()
}

// Decode fills v (a pointer to the handler's own settings struct) from the
// component's settings. A setting the struct does not know, or a value of
// the wrong type, is a Problem at its line; all of them are reported at
// once. A value from the environment is never repeated in a message.
func (c Component) Decode(v any) error {
	node := c.settings
	if node == nil {
		node = &yaml.Node{}
		if err := node.Encode(c.Values); err != nil {
			return c.Problem("", err.Error())
		}
	}
	known := settingNames(v)
	var errs []error
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, val := node.Content[i], node.Content[i+1]
		if known != nil && !slices.Contains(known, k.Value) {
			errs = append(errs, c.Problem(k.Value, fmt.Sprintf("handler %q has no setting %q (its settings: %s)",
				c.HandlerName, k.Value, strings.Join(known, ", "))))
			continue
		}
		// One setting at a time, so that each error names its key. Decoding
		// into the struct again leaves the settings already read as they are.
		one := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{k, val}}
		if err := one.Decode(v); err != nil {
			errs = append(errs, c.Problem(k.Value, c.decodeMessage(k.Value, err)))
		}
	}
	return errors.Join(errs...)
}

// decodeMessage says why a setting's value does not fit, without the value
// when it came from the environment.
func (c Component) decodeMessage(field string, err error) string {
	if variable, secret := c.vars[field]; secret {
		return fmt.Sprintf("the value of %s does not fit this setting (values from the environment are not shown)", variable)
	}
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msgs := make([]string, len(te.Errors))
		for i, m := range te.Errors {
			msgs[i] = yamlMessage.ReplaceAllString("yaml: "+m, "")
		}
		return strings.Join(msgs, "; ")
	}
	return err.Error()
}

// Problem places a message about one of the component's settings (field
// "handler_name", a setting's name, or "" for the component itself) at its
// line in config.yml.
func (c Component) Problem(field, msg string) Problem {
	p := Problem{File: c.file, Line: c.line, Key: "components." + c.Name, Msg: msg}
	switch k, ok := c.keys[field]; {
	case field == "":
	case ok:
		p.Key += "." + k
	case field == "handler_name":
		p.Key += ".handler_name"
	default:
		p.Key += ".config." + field
	}
	if line, ok := c.lines[field]; ok {
		p.Line = line
	}
	return p
}

// settingName is how the handlers' errors name a setting: they begin with
// it ("channels: at least one channel is needed").
var settingName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Fault places a handler's error about the component's settings in
// config.yml: an error that begins with a setting's name points at that
// setting, any other at the component. Errors that are Problems already
// (from Decode) stay as they are.
func (c Component) Fault(err error) error {
	if err == nil {
		return nil
	}
	var p Problem
	if errors.As(err, &p) {
		return err
	}
	msg := err.Error()
	if field, rest, ok := strings.Cut(msg, ": "); ok && settingName.MatchString(field) {
		return c.Problem(field, rest)
	}
	return c.Problem("", msg)
}

// settingNames lists the settings a struct takes (its yaml keys), or nil
// when v does not point to a struct.
func settingNames(v any) []string {
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	names := map[string]bool{}
	addFields(t, names)
	return slices.Sorted(maps.Keys(names))
}

func addFields(t reflect.Type, names map[string]bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case name == "-":
		case strings.Contains(opts, "inline") && f.Type.Kind() == reflect.Struct:
			addFields(f.Type, names)
		case name == "":
			names[strings.ToLower(f.Name)] = true
		default:
			names[name] = true
		}
	}
}

// parseComponents reads the components section into f.Components, and
// returns the line of every component defined, right or not, so that jobs
// can tell a component that is wrong from one that is missing.
func parseComponents(ps *problems, f *File, node *yaml.Node, env Env) map[string]int {
	defined := map[string]int{}
	if isNull(node) {
		return defined
	}
	if node.Kind != yaml.MappingNode {
		ps.add(node.Line, "components", "want a mapping of component name to {handler_name, config, env}")
		return defined
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, v := node.Content[i], node.Content[i+1]
		if line, dup := defined[k.Value]; dup {
			ps.add(k.Line, "components."+k.Value, "defined twice (first on line %d): keep one", line)
			continue
		}
		defined[k.Value] = k.Line
		if c, ok := parseComponent(ps, k, v, env); ok {
			f.Components[k.Value] = c
		}
	}
	return defined
}

func parseComponent(ps *problems, k, v *yaml.Node, env Env) (Component, bool) {
	before := len(ps.list)
	c := Component{Name: k.Value, Values: map[string]any{}, file: ps.file, line: k.Line,
		lines: map[string]int{}, keys: map[string]string{}, vars: map[string]string{},
		settings: &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}}
	key := "components." + c.Name
	if !componentName.MatchString(c.Name) {
		ps.add(k.Line, key, "a component name may hold only letters, digits, '.', '_' and '-'")
	}
	if v.Kind != yaml.MappingNode {
		ps.add(v.Line, key, "want a mapping with handler_name (and config, env)")
		return c, false
	}
	m := mappingOf(ps, v, key, componentKeys)
	switch h := m["handler_name"]; {
	case h == nil || isNull(h.value):
		ps.add(k.Line, key+".handler_name", "missing: name the handler that implements this component")
	case h.value.Kind != yaml.ScalarNode:
		ps.add(h.value.Line, key+".handler_name", "want a handler's name, such as gitleaks")
	default:
		c.HandlerName = h.value.Value
		c.lines["handler_name"] = h.value.Line
	}
	if e := m["config"]; e != nil && !isNull(e.value) {
		c.addConfig(ps, e.value)
	}
	if e := m["env"]; e != nil && !isNull(e.value) {
		c.addEnv(ps, e.value, env)
	}
	slices.Sort(c.SecretFields)
	return c, len(ps.list) == before
}

// addConfig takes the settings of the component's config section.
func (c *Component) addConfig(ps *problems, node *yaml.Node) {
	key := "components." + c.Name + ".config"
	if node.Kind != yaml.MappingNode {
		ps.add(node.Line, key, "want a mapping of the handler's settings")
		return
	}
	for name, e := range orderedEntries(ps, node, key) {
		var value any
		if err := e.value.Decode(&value); err != nil {
			ps.add(e.value.Line, key+"."+name, "%v", err)
			continue
		}
		c.Values[name] = value
		c.lines[name] = e.key.Line
		c.keys[name] = "config." + name
		c.settings.Content = append(c.settings.Content, e.key, e.value)
	}
}

// addEnv takes the settings of the component's env section, each the name
// of an environment variable that holds the value.
func (c *Component) addEnv(ps *problems, node *yaml.Node, env Env) {
	key := "components." + c.Name + ".env"
	if node.Kind != yaml.MappingNode {
		ps.add(node.Line, key, "want a mapping of setting to the NAME of an environment variable")
		return
	}
	for name, e := range orderedEntries(ps, node, key) {
		at := key + "." + name
		if _, clash := c.keys[name]; clash {
			ps.add(e.key.Line, at, "also set under config (line %d): set it in one place", c.lines[name])
			continue
		}
		if e.value.Kind != yaml.ScalarNode || isNull(e.value) || e.value.Value == "" {
			ps.add(e.value.Line, at, "want the NAME of an environment variable, such as SLACK_TOKEN")
			continue
		}
		variable := e.value.Value
		value, ok := env.Lookup(variable)
		if !ok || value == "" {
			state := "not set"
			if ok {
				state = "empty"
			}
			ps.add(e.value.Line, at, "environment variable %s is %s (set it in .env.override or in the process environment)", variable, state)
			continue
		}
		c.Values[name] = value
		c.SecretFields = append(c.SecretFields, name)
		c.lines[name] = e.key.Line
		c.keys[name] = "env." + name
		c.vars[name] = variable
		c.settings.Content = append(c.settings.Content, e.key,
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value, Line: e.value.Line, Column: e.value.Column})
	}
}

// orderedEntries yields a mapping's entries in the file's order, skipping
// (as problems) keys given twice.
func orderedEntries(ps *problems, node *yaml.Node, where string) iter.Seq2[string, *entry] {
	entries := mappingOf(ps, node, where, nil)
	return func(yield func(string, *entry) bool) {
		for i := 0; i < len(node.Content); i += 2 {
			k := node.Content[i]
			if e := entries[k.Value]; e != nil && e.key == k {
				if !yield(k.Value, e) {
					return
				}
			}
		}
	}
}
