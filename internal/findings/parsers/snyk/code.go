package snyk

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/secbot/secbot/internal/findings"
)

// codeResult is a result of Snyk Code's SARIF output.
type codeResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex json.RawMessage `json:"ruleIndex"`
	Message   struct {
		Text string `json:"text"`
	} `json:"message"`
	Properties struct {
		PriorityScore json.RawMessage `json:"priorityScore"`
		IsAutofixable json.RawMessage `json:"isAutofixable"`
	} `json:"properties"`
	Locations []struct {
		PhysicalLocation struct {
			ArtifactLocation struct {
				URI       string `json:"uri"`
				URIBaseID string `json:"uriBaseId"`
			} `json:"artifactLocation"`
			Region struct {
				StartLine   json.RawMessage `json:"startLine"`
				EndLine     json.RawMessage `json:"endLine"`
				StartColumn json.RawMessage `json:"startColumn"`
				EndColumn   json.RawMessage `json:"endColumn"`
			} `json:"region"`
		} `json:"physicalLocation"`
	} `json:"locations"`
}

// pyText is a JSON scalar as Python's str() writes the value json.load
// makes of it: true and false as True and False, null as None.
func pyText(raw json.RawMessage) string {
	switch s := string(raw); s {
	case "true":
		return "True"
	case "false":
		return "False"
	case "null", "":
		return "None"
	}
	return text(raw)
}

// finding maps a Snyk Code result as DefectDojo's Snyk Code parser does:
// titled by rule and file, its severity from the priority score (0–1000),
// with no line (the description gives it).
func (r codeResult) finding() (findings.Finding, error) {
	if r.RuleID == "" || len(r.Locations) == 0 || r.Locations[0].PhysicalLocation.ArtifactLocation.URI == "" {
		return findings.Finding{}, errors.New("a Snyk Code result needs a ruleId and a location's artifact uri")
	}
	var score float64
	if err := json.Unmarshal(r.Properties.PriorityScore, &score); err != nil {
		return findings.Finding{}, fmt.Errorf("its properties.priorityScore is not a number")
	}
	sev := findings.Critical
	switch {
	case score <= 399:
		sev = findings.Low
	case score <= 699:
		sev = findings.Medium
	case score <= 899:
		sev = findings.High
	}
	loc := r.Locations[0].PhysicalLocation
	uri := loc.ArtifactLocation.URI
	var d strings.Builder
	for _, kv := range [][2]string{
		{"ruleId", r.RuleID}, {"ruleIndex", pyText(r.RuleIndex)}, {"message", r.Message.Text},
		{"score", pyText(r.Properties.PriorityScore)}, {"uri", uri}, {"uriBaseId", loc.ArtifactLocation.URIBaseID},
		{"startLine", pyText(loc.Region.StartLine)}, {"endLine", pyText(loc.Region.EndLine)},
		{"startColumn", pyText(loc.Region.StartColumn)}, {"endColumn", pyText(loc.Region.EndColumn)},
		{"isAutofixable", pyText(r.Properties.IsAutofixable)},
	} {
		fmt.Fprintf(&d, "**%s**: %s\n", kv[0], kv[1])
	}
	return findings.Finding{
		Title: r.RuleID + "_" + uri, Severity: sev, FilePath: uri, VulnIDFromTool: r.RuleID,
		Description: d.String(), StaticFinding: true, NbOccurences: 1,
	}, nil
}
