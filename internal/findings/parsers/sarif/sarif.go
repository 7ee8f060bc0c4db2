// Package sarif parses SARIF 2.1.0 reports (scan type "SARIF"), the common
// format of many static analysers (CodeQL, Semgrep, njsscan, flawfinder…).
package sarif

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/jsonstream"
)

// Parser is the "SARIF" parser.
type Parser struct{}

// ScanType implements findings.Parser.
func (Parser) ScanType() string { return "SARIF" }

const want = "SARIF wants a SARIF 2.1.0 JSON log"

// Stream implements findings.Parser: every run's results, one finding per
// location, skipping results whose kind is not fail. Results are read one
// at a time; those a run lists before its tool (the rules) or its
// invocations (the date) are spooled until the run has given both.
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
		return jsonstream.FormatError(err, want)
	}
	if !hasRuns {
		return fmt.Errorf("%w: %s: the log has no runs", findings.ErrFormat, want)
	}
	return nil
}

// run is what a run's results are read with.
type run struct {
	tool    *tool
	rules   map[string]*rule
	date    time.Time
	dated   bool
	secrets bool
}

// invocation is the part of a run's invocation that dates its results.
type invocation struct {
	EndTimeUTC string `json:"endTimeUtc"`
}

func streamRun(d *jsonstream.Decoder, emit func(findings.Finding) error) error {
	var rn run
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
		return emitResult(res, rn.ruleOf(res), rn.date, rn.secrets, emit)
	}
	err := d.Object(false, func(key string) error {
		switch key {
		case "tool":
			rn.tool = &tool{}
			if err := d.Decode(rn.tool); err != nil {
				return err
			}
			rn.index()
			return nil
		case "invocations":
			var list []invocation
			if err := d.Decode(&list); err != nil {
				return err
			}
			rn.dated = true
			if len(list) > 0 {
				rn.date, _ = time.Parse(time.RFC3339Nano, list[len(list)-1].EndTimeUTC)
			}
			return nil
		case "results":
			return d.Array(true, func() error {
				if rn.tool == nil || !rn.dated {
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
	if rn.tool == nil {
		rn.tool = &tool{}
		rn.index()
	}
	return early.Each(handle)
}

// index lists the run's rules by id: the driver's, or, when it has none,
// its first extension's (as DefectDojo reads them).
func (rn *run) index() {
	rules := rn.tool.Driver.Rules
	if len(rules) == 0 && len(rn.tool.Extensions) > 0 {
		rules = rn.tool.Extensions[0].Rules
	}
	rn.tool.Driver.Rules = rules
	rn.rules = map[string]*rule{}
	for i := range rules {
		rn.rules[rules[i].ID] = &rules[i]
	}
	rn.secrets = slices.ContainsFunc(secretsScanners, func(name string) bool { return strings.EqualFold(name, rn.tool.Driver.Name) })
}

// ruleOf is the rule a result names, by id (ruleId, or rule.id), else by
// index (ruleIndex, or rule.index); nil when the run defines none.
func (rn *run) ruleOf(res result) *rule {
	id := res.RuleID
	if id == "" && res.Rule != nil {
		id = res.Rule.ID
	}
	if rl, ok := rn.rules[id]; ok {
		return rl
	}
	index := res.RuleIndex
	if index == nil && res.Rule != nil {
		index = res.Rule.Index
	}
	if list := rn.tool.Driver.Rules; index != nil && *index >= 0 && *index < len(list) {
		return &list[*index]
	}
	return nil
}

// secretsScanners are the tools whose SARIF snippets are the secrets they
// found (gitleaks --report-format sarif): the snippets are redacted.
var secretsScanners = []string{"gitleaks"}
