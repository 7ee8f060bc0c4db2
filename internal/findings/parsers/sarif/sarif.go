// Package sarif parses SARIF 2.1.0 reports (scan type "SARIF"), the common
// format of many static analysers (CodeQL, Semgrep, njsscan, flawfinder…).
package sarif

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/jsonstream"
)

// Parser is the "SARIF" parser.
type Parser struct{}

// ScanType implements findings.Parser.
func (Parser) ScanType() string { return "SARIF" }

// maxTitle bounds a title taken from a result's message.
const maxTitle = 150

type message struct {
	Text      string   `json:"text"`
	Markdown  string   `json:"markdown"`
	ID        string   `json:"id"`
	Arguments []string `json:"arguments"`
}

type rule struct {
	ID               string             `json:"id"`
	Name             string             `json:"name"`
	ShortDescription message            `json:"shortDescription"`
	FullDescription  message            `json:"fullDescription"`
	Help             message            `json:"help"`
	HelpURI          string             `json:"helpUri"`
	MessageStrings   map[string]message `json:"messageStrings"`
	Default          struct {
		Level string `json:"level"`
	} `json:"defaultConfiguration"`
	Properties    map[string]any `json:"properties"`
	Relationships []struct {
		Target struct {
			ID            string `json:"id"`
			ToolComponent struct {
				Name string `json:"name"`
			} `json:"toolComponent"`
		} `json:"target"`
	} `json:"relationships"`
}

type location struct {
	Physical struct {
		Artifact struct {
			URI string `json:"uri"`
		} `json:"artifactLocation"`
		Region struct {
			StartLine int `json:"startLine"`
			Snippet   struct {
				Text string `json:"text"`
			} `json:"snippet"`
		} `json:"region"`
	} `json:"physicalLocation"`
}

type result struct {
	RuleID              string               `json:"ruleId"`
	RuleIndex           *int                 `json:"ruleIndex"`
	Rule                *struct{ ID string } `json:"rule"`
	Kind                string               `json:"kind"`
	Level               string               `json:"level"`
	Message             message              `json:"message"`
	Locations           []location           `json:"locations"`
	Suppressions        []json.RawMessage    `json:"suppressions"`
	Fingerprints        map[string]string    `json:"fingerprints"`
	PartialFingerprints map[string]string    `json:"partialFingerprints"`
	Properties          map[string]any       `json:"properties"`
}

// tool is a run's tool: the rules its results refer to.
type tool struct {
	Driver struct {
		Name  string `json:"name"`
		Rules []rule `json:"rules"`
	} `json:"driver"`
}

// Stream implements findings.Parser: every run's results, one finding per
// location, skipping results whose kind is not fail. Results are read one
// at a time; a run that lists its results before its tool (rare) has them
// spooled until the rules are known.
func (Parser) Stream(r io.Reader, emit func(findings.Finding) error) error {
	d := jsonstream.New(r)
	hasRuns := false
	err := d.Object(false, func(key string) error {
		if key != "runs" {
			return d.Skip()
		}
		null, err := d.ArrayOrNull(func() error { return streamRun(d, emit) })
		hasRuns = !null
		return err
	})
	if err != nil {
		return jsonstream.FormatError(err, "SARIF wants a SARIF 2.1.0 JSON log")
	}
	if !hasRuns {
		return fmt.Errorf("%w: SARIF log has no runs", findings.ErrFormat)
	}
	return nil
}

func streamRun(d *jsonstream.Decoder, emit func(findings.Finding) error) error {
	var t *tool
	var rules map[string]*rule
	var early jsonstream.Spool
	defer early.Close()
	handle := func(d *jsonstream.Decoder) error {
		var res result
		if err := d.Decode(&res); err != nil {
			return err
		}
		if res.Kind != "" && res.Kind != "fail" {
			return nil
		}
		return emitResult(res, ruleOf(res, t.Driver.Rules, rules), secretsScanner(t), emit)
	}
	err := d.Object(false, func(key string) error {
		switch key {
		case "tool":
			t = &tool{}
			if err := d.Decode(t); err != nil {
				return err
			}
			rules = map[string]*rule{}
			for i := range t.Driver.Rules {
				rules[t.Driver.Rules[i].ID] = &t.Driver.Rules[i]
			}
			return nil
		case "results":
			return d.Array(true, func() error {
				if t == nil {
					return early.Keep(d)
				}
				return handle(d)
			})
		}
		return d.Skip()
	})
	if err != nil {
		return err
	}
	if t == nil {
		t = &tool{}
	}
	return early.Each(handle)
}

// secretsScanners are the tools whose SARIF snippets are the secrets they
// found (gitleaks --report-format sarif): the snippets are redacted.
var secretsScanners = []string{"gitleaks"}

func secretsScanner(t *tool) bool {
	return slices.ContainsFunc(secretsScanners, func(name string) bool { return strings.EqualFold(name, t.Driver.Name) })
}

func ruleOf(res result, list []rule, byID map[string]*rule) *rule {
	id := res.RuleID
	if id == "" && res.Rule != nil {
		id = res.Rule.ID
	}
	if rl, ok := byID[id]; ok {
		return rl
	}
	if res.RuleIndex != nil && *res.RuleIndex >= 0 && *res.RuleIndex < len(list) {
		return &list[*res.RuleIndex]
	}
	return &rule{ID: id}
}

// emitResult emits a result's findings, one per location, each made as
// it is emitted (a result may have thousands of locations).
func emitResult(res result, rl *rule, secrets bool, emit func(findings.Finding) error) error {
	text := messageText(res.Message, rl)
	title := text
	if title == "" {
		title = firstNonEmpty(rl.ShortDescription.Text, rl.FullDescription.Text, rl.Name, rl.ID)
	}
	if r := []rune(title); len(r) > maxTitle {
		title = strings.TrimSpace(string(r[:maxTitle-3])) + "..."
	}
	base := findings.Finding{
		Title: title, Severity: severity(res, rl), VulnIDFromTool: rl.ID, CWE: cwe(rl),
		References: rl.HelpURI, Mitigation: rl.Help.Text, StaticFinding: true, NbOccurences: 1,
		UniqueIDFromTool: fingerprint(res),
	}
	if len(res.Suppressions) > 0 {
		base.FalsePositive, base.Active = true, findings.Bool(false)
	}
	description := text
	if d := rl.FullDescription.Text; d != "" && d != text {
		description += "\n\n**Rule:** " + d
	}
	if len(res.Locations) == 0 {
		base.Description = description
		return emit(base)
	}
	for _, loc := range res.Locations {
		f := base
		f.FilePath = loc.Physical.Artifact.URI
		f.Line = loc.Physical.Region.StartLine
		f.Description = description
		if s := loc.Physical.Region.Snippet.Text; s != "" {
			f.Description += "\n\n**Snippet:**\n```\n" + s + "\n```"
			if secrets {
				f.RedactSecret(findings.BeforeTruncation(s))
			}
		}
		if err := emit(f); err != nil {
			return err
		}
	}
	return nil
}

var placeholder = regexp.MustCompile(`\{(\d+)\}`)

// messageText is the result's message: its text, or the rule's message
// string it names, with {n} replaced by the arguments.
func messageText(m message, rl *rule) string {
	text := firstNonEmpty(m.Text, m.Markdown)
	if text == "" && m.ID != "" {
		text = firstNonEmpty(rl.MessageStrings[m.ID].Text, rl.MessageStrings[m.ID].Markdown)
	}
	return strings.TrimSpace(placeholder.ReplaceAllStringFunc(text, func(p string) string {
		i, _ := strconv.Atoi(p[1 : len(p)-1])
		if i < len(m.Arguments) {
			return m.Arguments[i]
		}
		return p
	}))
}

// severity: a numeric security-severity property wins (on the result,
// else the rule); otherwise the level (the result's, else the rule's
// default): note Info, warning Medium, error High, anything else Medium.
func severity(res result, rl *rule) string {
	for _, props := range []map[string]any{res.Properties, rl.Properties} {
		if score, ok := number(props["security-severity"]); ok {
			switch {
			case score >= 9:
				return findings.Critical
			case score >= 7:
				return findings.High
			case score >= 4:
				return findings.Medium
			case score > 0:
				return findings.Low
			}
			return findings.Info
		}
	}
	switch firstNonEmpty(res.Level, rl.Default.Level) {
	case "note":
		return findings.Info
	case "error":
		return findings.High
	}
	return findings.Medium
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
		return f, err == nil
	}
	return 0, false
}

// cwe finds a rule's CWE in its relationships, then its properties
// (cwe, or tags such as "external/cwe/cwe-079").
func cwe(rl *rule) int {
	var candidates []string
	for _, rel := range rl.Relationships {
		if strings.EqualFold(rel.Target.ToolComponent.Name, "CWE") {
			id := rel.Target.ID
			if !strings.HasPrefix(strings.ToUpper(id), "CWE") {
				id = "CWE-" + id
			}
			candidates = append(candidates, id)
		}
	}
	switch c := rl.Properties["cwe"].(type) {
	case string:
		candidates = append(candidates, c)
	case []any:
		for _, x := range c {
			candidates = append(candidates, fmt.Sprint(x))
		}
	}
	if tags, ok := rl.Properties["tags"].([]any); ok {
		for _, t := range tags {
			candidates = append(candidates, fmt.Sprint(t))
		}
	}
	for _, c := range candidates {
		if n := findings.ParseCWE(c); n != 0 {
			return n
		}
	}
	return 0
}

// fingerprint is the first fingerprint (by key order), else the partial
// fingerprints as key:value|… in key order.
func fingerprint(res result) string {
	if len(res.Fingerprints) > 0 {
		keys := sortedKeys(res.Fingerprints)
		return res.Fingerprints[keys[0]]
	}
	var parts []string
	for _, k := range sortedKeys(res.PartialFingerprints) {
		parts = append(parts, k+":"+res.PartialFingerprints[k])
	}
	return strings.Join(parts, "|")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
