// Package trivy parses Trivy JSON reports (scan type "Trivy Scan"): schema 2
// reports, the older top-level list, and Kubernetes reports, with their
// vulnerabilities, misconfigurations and secrets.
package trivy

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/jsonstream"
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

// resource is one object of a Kubernetes report.
type resource struct {
	Namespace string   `json:"Namespace"`
	Kind      string   `json:"Kind"`
	Name      string   `json:"Name"`
	Results   []result `json:"Results"`
}

// Stream implements findings.Parser, one result (one target) at a time.
func (Parser) Stream(r io.Reader, emit func(findings.Finding) error) error {
	br := bufio.NewReader(r)
	first, err := firstByte(br)
	if err != nil {
		return fmt.Errorf("%w: trivy wants its JSON output (trivy --format json): %w", findings.ErrFormat, err)
	}
	d := jsonstream.New(br)
	each := func() error {
		var res result
		if err := d.Decode(&res); err != nil {
			return err
		}
		return emitResult(res, emit)
	}
	if first == '[' { // the older top-level list
		return jsonstream.FormatError(d.Array(false, each), "trivy")
	}
	found := false
	err = d.Object(false, func(key string) error {
		switch key {
		case "Results":
			null, err := d.ArrayOrNull(each)
			found = found || !null
			return err
		case "Resources": // Kubernetes reports
			null, err := d.ArrayOrNull(func() error {
				var res resource
				if err := d.Decode(&res); err != nil {
					return err
				}
				for _, x := range res.Results {
					x.Target = fmt.Sprintf("%s/%s/%s %s", res.Namespace, res.Kind, res.Name, x.Target)
					if err := emitResult(x, emit); err != nil {
						return err
					}
				}
				return nil
			})
			found = found || !null
			return err
		}
		return d.Skip()
	})
	if err != nil {
		return jsonstream.FormatError(err, "trivy wants its JSON output (trivy --format json)")
	}
	if !found {
		return fmt.Errorf("%w: trivy report has neither Results nor Resources", findings.ErrFormat)
	}
	return nil
}

// firstByte peeks at the first byte that is not white space.
func firstByte(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		if b != ' ' && b != '\t' && b != '\n' && b != '\r' {
			return b, br.UnreadByte()
		}
	}
}

func emitResult(res result, emit func(findings.Finding) error) error {
	for _, v := range res.Vulnerabilities {
		if err := emit(fromVulnerability(res.Target, v)); err != nil {
			return err
		}
	}
	for _, m := range res.Misconfigurations {
		if err := emit(fromMisconfig(res.Target, m)); err != nil {
			return err
		}
	}
	for _, s := range res.Secrets {
		if err := emit(fromSecret(res.Target, s)); err != nil {
			return err
		}
	}
	return nil
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
