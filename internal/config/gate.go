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
}

// Severities are DefectDojo's, least severe first.
var Severities = []string{"Info", "Low", "Medium", "High", "Critical"}

// Blocks reports whether a finding of the severity, new or a duplicate,
// counts toward the gate (whether it then blocks depends on its triage).
func (g Gate) Blocks(severity string, isNew bool) bool {
	if g.NewOnly && !isNew {
		return false
	}
	if g.MinSeverity == "" {
		return true
	}
	return slices.Index(Severities, severity) >= slices.Index(Severities, g.MinSeverity)
}

var gateKeys = []string{"min_severity", "new_only"}

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
	if n := m["new_only"]; n != nil {
		if err := n.value.Decode(&g.NewOnly); err != nil {
			ps.add(n.value.Line, at+".new_only", "want true or false, not %q", n.value.Value)
		}
	}
	return g
}
