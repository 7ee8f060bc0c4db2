// Package semgrep parses Semgrep JSON reports (scan type "Semgrep JSON Report").
package semgrep

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/jsonstream"
)

// Parser is the "Semgrep JSON Report" parser.
type Parser struct{}

// ScanType implements findings.Parser.
func (Parser) ScanType() string { return "Semgrep JSON Report" }

type result struct {
	CheckID string `json:"check_id"`
	Path    string `json:"path"`
	Start   struct {
		Line int `json:"line"`
	} `json:"start"`
	Extra struct {
		Message     string          `json:"message"`
		Severity    string          `json:"severity"`
		Fingerprint string          `json:"fingerprint"`
		Lines       string          `json:"lines"`
		Fix         string          `json:"fix"`
		Metadata    json.RawMessage `json:"metadata"`
	} `json:"extra"`
}

type metadata struct {
	CWE        json.RawMessage `json:"cwe"`
	References []string        `json:"references"`
}

// Stream implements findings.Parser, one result at a time.
func (Parser) Stream(r io.Reader, emit func(findings.Finding) error) error {
	d := jsonstream.New(r)
	hasResults := false
	err := d.Object(false, func(key string) error {
		if key != "results" {
			return d.Skip()
		}
		hasResults = true
		return d.Array(false, func() error {
			var res result
			if err := d.Decode(&res); err != nil {
				return err
			}
			return emit(finding(res))
		})
	})
	if err != nil {
		return jsonstream.FormatError(err, "semgrep wants its JSON output (semgrep --json)")
	}
	if !hasResults {
		return fmt.Errorf("%w: semgrep report has no results list", findings.ErrFormat)
	}
	return nil
}

func finding(res result) findings.Finding {
	var meta metadata
	_ = json.Unmarshal(res.Extra.Metadata, &meta)
	f := findings.Finding{
		Title: res.CheckID, VulnIDFromTool: res.CheckID, Severity: severity(res.Extra.Severity),
		FilePath: res.Path, Line: res.Start.Line, CWE: cwe(meta.CWE), StaticFinding: true, NbOccurences: 1,
		Description: strings.TrimSpace(res.Extra.Message), Mitigation: res.Extra.Fix,
		References: strings.Join(meta.References, "\n"),
	}
	if res.Extra.Lines != "" && res.Extra.Lines != "requires login" {
		f.Description += "\n\n```\n" + res.Extra.Lines + "\n```"
	}
	if fp := res.Extra.Fingerprint; fp != "" && fp != "requires login" {
		f.UniqueIDFromTool = fp
	}
	return f
}

func severity(s string) string {
	switch strings.ToUpper(s) {
	case "CRITICAL":
		return findings.Critical
	case "ERROR", "HIGH":
		return findings.High
	case "WARNING", "MEDIUM":
		return findings.Medium
	case "INFO", "LOW":
		return findings.Low
	}
	return findings.Info
}

// cwe reads metadata.cwe, a string like "CWE-696: …" or a list of them.
func cwe(raw json.RawMessage) int {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		var list []string
		if json.Unmarshal(raw, &list) != nil || len(list) == 0 {
			return 0
		}
		s = list[0]
	}
	return findings.ParseCWE(s)
}
