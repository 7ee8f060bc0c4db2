// Package trivy parses Trivy JSON reports (scan type "Trivy Scan"): schema 2
// reports, the older top-level list, and Kubernetes reports, with their
// vulnerabilities, misconfigurations and secrets.
package trivy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/secbot/secbot/internal/findings"
)

// Parser is the "Trivy Scan" parser.
type Parser struct{}

// ScanType implements findings.Parser.
func (Parser) ScanType() string { return "Trivy Scan" }

type result struct {
	Target            string          `json:"Target"`
	Vulnerabilities   []vulnerability `json:"Vulnerabilities"`
	Misconfigurations []misconfig     `json:"Misconfigurations"`
	Secrets           []secret        `json:"Secrets"`
}

type vulnerability struct {
	VulnerabilityID  string   `json:"VulnerabilityID"`
	PkgName          string   `json:"PkgName"`
	PkgPath          string   `json:"PkgPath"`
	InstalledVersion string   `json:"InstalledVersion"`
	FixedVersion     string   `json:"FixedVersion"`
	Status           string   `json:"Status"`
	Title            string   `json:"Title"`
	Description      string   `json:"Description"`
	Severity         string   `json:"Severity"`
	CweIDs           []string `json:"CweIDs"`
	PrimaryURL       string   `json:"PrimaryURL"`
	References       []string `json:"References"`
}

type misconfig struct {
	Type        string   `json:"Type"`
	ID          string   `json:"ID"`
	Title       string   `json:"Title"`
	Description string   `json:"Description"`
	Message     string   `json:"Message"`
	Resolution  string   `json:"Resolution"`
	Severity    string   `json:"Severity"`
	PrimaryURL  string   `json:"PrimaryURL"`
	References  []string `json:"References"`
}

type secret struct {
	RuleID    string `json:"RuleID"`
	Category  string `json:"Category"`
	Severity  string `json:"Severity"`
	Title     string `json:"Title"`
	StartLine int    `json:"StartLine"`
	Match     string `json:"Match"`
}

type schema2 struct {
	SchemaVersion int       `json:"SchemaVersion"`
	Results       *[]result `json:"Results"`
	Resources     []struct {
		Namespace string   `json:"Namespace"`
		Kind      string   `json:"Kind"`
		Name      string   `json:"Name"`
		Results   []result `json:"Results"`
	} `json:"Resources"`
}

// Parse implements findings.Parser.
func (Parser) Parse(r io.Reader) ([]findings.Finding, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var results []result
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '[' {
		if err := json.Unmarshal(trimmed, &results); err != nil { // the older top-level list
			return nil, fmt.Errorf("%w: trivy: %w", findings.ErrFormat, err)
		}
	} else {
		var rep schema2
		if err := json.Unmarshal(data, &rep); err != nil {
			return nil, fmt.Errorf("%w: trivy wants its JSON output (trivy --format json): %w", findings.ErrFormat, err)
		}
		if rep.Results == nil && rep.Resources == nil {
			return nil, fmt.Errorf("%w: trivy report has neither Results nor Resources", findings.ErrFormat)
		}
		if rep.Results != nil {
			results = *rep.Results
		}
		for _, res := range rep.Resources { // Kubernetes reports
			for _, x := range res.Results {
				x.Target = fmt.Sprintf("%s/%s/%s %s", res.Namespace, res.Kind, res.Name, x.Target)
				results = append(results, x)
			}
		}
	}
	var out []findings.Finding
	for _, res := range results {
		for _, v := range res.Vulnerabilities {
			out = append(out, fromVulnerability(res.Target, v))
		}
		for _, m := range res.Misconfigurations {
			out = append(out, fromMisconfig(res.Target, m))
		}
		for _, s := range res.Secrets {
			out = append(out, fromSecret(res.Target, s))
		}
	}
	return out, nil
}

func severity(s string) string {
	if strings.EqualFold(s, "UNKNOWN") {
		return findings.Info
	}
	return findings.NormalizeSeverity(s)
}

func references(primary string, more []string) string {
	var refs []string
	if primary != "" {
		refs = append(refs, primary)
	}
	for _, r := range more {
		if r != primary {
			refs = append(refs, r)
		}
	}
	return strings.Join(refs, "\n")
}

func fromVulnerability(target string, v vulnerability) findings.Finding {
	path := v.PkgPath
	if path == "" {
		path = target
	}
	f := findings.Finding{
		Title:    fmt.Sprintf("%s %s %s", v.VulnerabilityID, v.PkgName, v.InstalledVersion),
		Severity: severity(v.Severity), FilePath: path, Mitigation: v.FixedVersion,
		ComponentName: v.PkgName, ComponentVersion: v.InstalledVersion, VulnIDFromTool: v.VulnerabilityID,
		VulnerabilityIDs: []string{v.VulnerabilityID}, References: references(v.PrimaryURL, v.References),
		StaticFinding: true, NbOccurences: 1,
		Description: fmt.Sprintf("%s\n**Target:** %s\n**Type:** vulnerability\n**Fixed version:** %s\n\n%s",
			v.Title, target, v.FixedVersion, v.Description),
	}
	if len(v.CweIDs) > 0 {
		f.CWE = findings.ParseCWE(v.CweIDs[0])
	}
	if strings.EqualFold(v.Status, "not_affected") {
		f.Active, f.IsMitigated = findings.Bool(false), true
	}
	return f
}

func fromMisconfig(target string, m misconfig) findings.Finding {
	return findings.Finding{
		Title:    fmt.Sprintf("%s - %s", m.ID, m.Title),
		Severity: severity(m.Severity), FilePath: target, Mitigation: m.Resolution, VulnIDFromTool: m.ID,
		References: references(m.PrimaryURL, m.References), StaticFinding: true, NbOccurences: 1,
		Description: fmt.Sprintf("**Target:** %s\n**Type:** %s\n\n%s\n%s", target, m.Type, m.Description, m.Message),
	}
}

func fromSecret(target string, s secret) findings.Finding {
	return findings.Finding{
		Title:    fmt.Sprintf("Secret detected in %s - %s", target, s.Title),
		Severity: severity(s.Severity), FilePath: target, Line: s.StartLine, VulnIDFromTool: s.RuleID,
		CWE: 798, StaticFinding: true, NbOccurences: 1,
		Description: fmt.Sprintf("**Target:** %s\n**Category:** %s\n**Rule:** %s\n**Match:** %s", target, s.Category, s.RuleID, s.Match),
	}
}
