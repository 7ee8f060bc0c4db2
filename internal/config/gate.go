package config

import (
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Gate is a job's policy of which of its findings block a commit. The
// zero Gate is the original bot's: every active finding blocks, whatever
// its severity.
type Gate struct {
	// MinSeverity is the least severity that blocks ("" for any).
	MinSeverity string
	// NewOnly leaves out the findings that duplicate ones the product
	// already had: only what the event brought blocks.
	NewOnly bool
	// Validity, when set, keeps the findings whose secret's validity is
	// one of these (valid, invalid, unknown, not_checked): [valid,
	// unknown] blocks only on secrets that may work. Findings of other
	// scanners, which have no validity, count as not_checked.
	Validity []string
}

// Validities are the values gate.validity takes.
var Validities = []string{"valid", "invalid", "unknown", "not_checked"}

// IsZero reports whether the gate is the original bot's.
func (g Gate) IsZero() bool { return g.MinSeverity == "" && !g.NewOnly && len(g.Validity) == 0 }

// Severities are DefectDojo's, least severe first.
var Severities = []string{"Info", "Low", "Medium", "High", "Critical"}

// Blocks reports whether a finding of the severity, new or a duplicate,
// and of the secret's validity ("" for none), counts toward the gate
// (whether it then blocks depends on its triage).
func (g Gate) Blocks(severity string, isNew bool, validity string) bool {
	if g.NewOnly && !isNew {
		return false
	}
	if validity == "" {
		validity = "not_checked"
	}
	if len(g.Validity) > 0 && !slices.Contains(g.Validity, validity) {
		return false
	}
	if g.MinSeverity == "" {
		return true
	}
	return slices.Index(Severities, severity) >= slices.Index(Severities, g.MinSeverity)
}

var gateKeys = []string{"min_severity", "new_only", "validity"}

// parseGate reads a job's gate: mapping.
func parseGate(ps *problems, key string, e *entry) Gate {
	var g Gate
	if e == nil || isNull(e.value) {
		return g
	}
	at := key + ".gate"
	if e.value.Kind != yaml.MappingNode {
		ps.add(e.value.Line, at, "want a mapping with the keys %s", strings.Join(gateKeys, ", "))
		return g
	}
	m := mappingOf(ps, e.value, at, gateKeys)
	if s := m["min_severity"]; s != nil {
		if !slices.Contains(Severities, s.value.Value) {
			ps.add(s.value.Line, at+".min_severity", "%q is not one of %s", s.value.Value, strings.Join(Severities, ", "))
		} else {
			g.MinSeverity = s.value.Value
		}
	}
	if v := m["validity"]; v != nil {
		g.Validity = parseValidities(ps, at+".validity", v.value)
	}
	if n := m["new_only"]; n != nil {
		if err := n.value.Decode(&g.NewOnly); err != nil {
			ps.add(n.value.Line, at+".new_only", "want true or false, not %q", n.value.Value)
		}
	}
	return g
}

// parseValidities reads gate.validity: a list of Validities.
func parseValidities(ps *problems, at string, n *yaml.Node) []string {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		ps.add(n.Line, at, "want a list of some of %s, such as [valid, unknown]", strings.Join(Validities, ", "))
		return nil
	}
	var out []string
	for _, item := range n.Content {
		if !slices.Contains(Validities, item.Value) {
			ps.add(item.Line, at, "%q is not one of %s", item.Value, strings.Join(Validities, ", "))
			continue
		}
		out = append(out, item.Value)
	}
	return out
}
