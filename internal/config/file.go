package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
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
	// Warnings are doubts that do not stop SecBot, such as a job naming a
	// component in another case than it is defined; the receiver prints
	// them at start.
	Warnings []Problem
}

// defaultVersion is the version of a file that names none, as the
// original Security Bot's documented examples do.
const defaultVersion = "1.0"

// LoadFile reads and checks config.yml, resolving each component's env
// section against env. Every mistake in the file is reported at once, each
// a Problem naming the file, the line and the key (errors.Join). On error
// the File still holds what could be read (the components that are right,
// every job), so that callers can check it further and report those
// mistakes too; nil means the file could not be read at all.
func LoadFile(path string, env Env) (*File, error) {
	data, err := os.ReadFile(path) //nolint:gosec // G304: config.yml is the operator's file, named by SECBOT_CONFIG
	if err != nil {
		return nil, fmt.Errorf("reading the jobs file (SECBOT_CONFIG names it): %w", err)
	}
	return parse(path, data, env)
}

// Parse checks a config.yml document; see LoadFile. Its problems name no
// file.
func Parse(data []byte, env Env) (*File, error) {
	return parse("", data, env)
}

// topKeys are the keys of config.yml.
var topKeys = []string{"version", "components", "jobs"}

func parse(path string, data []byte, env Env) (*File, error) {
	ps := &problems{file: path}
	f := &File{Path: path, Version: defaultVersion, Components: map[string]Component{}}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, syntaxProblem(path, data, err)
	}
	// A line "..." or "---" ends a YAML document; the documentation's
	// excerpts mark what they leave out with "...", and a copy of one is a
	// file whose first document is empty or cut short.
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		ps.add(next.Line, "", "a second YAML document starts here: config.yml is one document, so remove this line")
		return f, ps.err()
	}
	if len(doc.Content) == 0 {
		ps.add(0, "", "the file is empty: it needs components and jobs (docs/configuration.md)")
		return f, ps.err()
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		ps.add(root.Line, "", "want a mapping with the keys %s", strings.Join(topKeys, ", "))
		return f, ps.err()
	}
	top := mappingOf(ps, root, "", topKeys)
	if v := top["version"]; v != nil {
		f.Version = parseVersion(ps, v.value)
	}
	defined := map[string]int{}
	if c := top["components"]; c != nil {
		defined = parseComponents(ps, f, c.value, env)
	}
	if j := top["jobs"]; j != nil {
		parseJobs(ps, f, j.value, defined)
	} else {
		ps.add(0, "jobs", "missing: at least one job is needed")
	}
	return f, ps.err()
}

func parseVersion(ps *problems, v *yaml.Node) string {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		ps.add(v.Line, "version", "want a version number such as 1.0 (or leave the key out)")
		return defaultVersion
	}
	if major, _, _ := strings.Cut(v.Value, "."); major != "1" {
		ps.add(v.Line, "version", "%q is not supported (want 1.x, or leave the key out)", v.Value)
	}
	return v.Value
}

// entry is one key and its value in a YAML mapping.
type entry struct {
	key, value *yaml.Node
}

// mappingOf reads a mapping's entries by key. With allowed set, other keys
// are problems naming the keys there are; keys given twice are problems too.
func mappingOf(ps *problems, node *yaml.Node, where string, allowed []string) map[string]*entry {
	out := map[string]*entry{}
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, v := node.Content[i], node.Content[i+1]
		key := joinKey(where, k.Value)
		if k.Kind != yaml.ScalarNode {
			ps.add(k.Line, where, "a key must be a plain name")
			continue
		}
		if prev, dup := out[k.Value]; dup {
			ps.add(k.Line, key, "given twice (first on line %d): keep one", prev.key.Line)
			continue
		}
		if allowed != nil && !slices.Contains(allowed, k.Value) {
			ps.add(k.Line, key, "unknown key (the keys here are %s)", strings.Join(allowed, ", "))
			continue
		}
		out[k.Value] = &entry{key: k, value: v}
	}
	return out
}

// isNull reports an absent or null value (`key:` or `key: null`).
func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

func joinKey(where, key string) string {
	if where == "" {
		return key
	}
	return where + "." + key
}
