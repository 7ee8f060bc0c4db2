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

// Stream implements findings.Parser, one vulnerability, misconfiguration
// or secret at a time (a result of a large image lists thousands).
func (Parser) Stream(r io.Reader, emit func(findings.Finding) error) error {
	br := bufio.NewReader(r)
	first, err := firstByte(br)
	if err != nil {
		return fmt.Errorf("%w: trivy wants its JSON output (trivy --format json): %w", findings.ErrFormat, err)
	}
	d := jsonstream.New(br)
	each := func() error { return streamResult(d, "", emit) }
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
			null, err := d.ArrayOrNull(func() error { return streamResource(d, emit) })
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

// The lists of a result, each item a finding.
const (
	vulnerabilities = iota
	misconfigurations
	secrets
)

var lists = map[string]int{"Vulnerabilities": vulnerabilities, "Misconfigurations": misconfigurations, "Secrets": secrets}

// streamResult reads one result (one target), emitting each finding as
// it is read once the target is known: trivy writes Target first; what
// comes before it is spooled. prefix names a Kubernetes resource.
func streamResult(d *jsonstream.Decoder, prefix string, emit func(findings.Finding) error) error {
	var target string
	known := false
	var early [3]jsonstream.Spool
	for i := range early {
		defer early[i].Close()
	}
	err := d.Object(false, func(key string) error {
		list, isList := lists[key]
		switch {
		case key == "Target":
			known = true
			return d.Decode(&target)
		case isList:
			_, err := d.ArrayOrNull(func() error {
				if !known {
					return early[list].Keep(d)
				}
				return emitItem(d, list, prefix+target, emit)
			})
			return err
		}
		return d.Skip()
	})
	for list := range early {
		if err == nil {
			err = early[list].Each(func(d *jsonstream.Decoder) error { return emitItem(d, list, prefix+target, emit) })
		}
	}
	return err
}

// streamResource reads one object of a Kubernetes report: its results,
// each target named after the resource (Namespace, when it has one, Kind
// and Name come before Results in trivy's output; results before them
// are spooled).
func streamResource(d *jsonstream.Decoder, emit func(findings.Finding) error) error {
	var namespace, kind, name string
	named := false
	var early jsonstream.Spool
	defer early.Close()
	prefix := func() string { return fmt.Sprintf("%s/%s/%s ", namespace, kind, name) }
	err := d.Object(false, func(key string) error {
		switch key {
		case "Namespace":
			return d.Decode(&namespace)
		case "Kind":
			return d.Decode(&kind)
		case "Name":
			named = true
			return d.Decode(&name)
		case "Results":
			_, err := d.ArrayOrNull(func() error {
				if !named {
					return early.Keep(d)
				}
				return streamResult(d, prefix(), emit)
			})
			return err
		}
		return d.Skip()
	})
	if err != nil {
		return err
	}
	return early.Each(func(d *jsonstream.Decoder) error { return streamResult(d, prefix(), emit) })
}

// emitItem reads one item of a result's list and emits its finding.
func emitItem(d *jsonstream.Decoder, list int, target string, emit func(findings.Finding) error) error {
	switch list {
	case vulnerabilities:
		var v vulnerability
		if err := d.Decode(&v); err != nil {
			return err
		}
		return emit(fromVulnerability(target, v))
	case misconfigurations:
		var m misconfig
		if err := d.Decode(&m); err != nil {
			return err
		}
		return emit(fromMisconfig(target, m))
	}
	var s secret
	if err := d.Decode(&s); err != nil {
		return err
	}
	return emit(fromSecret(target, s))
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
