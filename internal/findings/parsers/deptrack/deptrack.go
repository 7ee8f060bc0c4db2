// Package deptrack parses OWASP Dependency-Track's Finding Packaging
// Format exports (scan type "Dependency Track Finding Packaging Format
// (FPF) Export"): one finding per component and vulnerability, with the
// vulnerability's aliases as its ids and an analysis of FALSE_POSITIVE
// kept as a false positive, as DefectDojo's parser does.
package deptrack

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/jsonstream"
)

// Parser is the Dependency-Track FPF parser.
type Parser struct{}

// ScanType implements findings.Parser.
func (Parser) ScanType() string { return "Dependency Track Finding Packaging Format (FPF) Export" }

const want = "dependency track wants a Finding Packaging Format export (the project's findings, exported as FPF JSON)"

// fpfKeys are the top-level keys of an FPF export besides findings: an
// export with any of them and no findings has none.
var fpfKeys = []string{"version", "meta", "project"}

type component struct {
	Name    *string `json:"name"`
	Version *string `json:"version"`
	PURL    *string `json:"purl"`
}

type vulnerability struct {
	UUID             *string           `json:"uuid"`
	Source           *string           `json:"source"`
	VulnID           *string           `json:"vulnId"`
	Title            *string           `json:"title"`
	Subtitle         *string           `json:"subtitle"`
	Severity         *string           `json:"severity"`
	CWEID            json.RawMessage   `json:"cweId"`
	Description      *string           `json:"description"`
	Matrix           *string           `json:"matrix"`
	Aliases          []map[string]any  `json:"aliases"`
	References       json.RawMessage   `json:"references"`
	AffectedVersions []affectedVersion `json:"affectedVersions"`
}

type item struct {
	Component     *component     `json:"component"`
	Vulnerability *vulnerability `json:"vulnerability"`
	Analysis      *struct {
		State  string `json:"state"`
		Detail string `json:"detail"`
	} `json:"analysis"`
	Matrix *string `json:"matrix"`
}

// Stream implements findings.Parser, one finding of the export at a time.
// An empty object, or an export whose findings are missing, null or
// empty, has no findings.
func (Parser) Stream(r io.Reader, emit func(findings.Finding) error) error {
	d := jsonstream.New(r)
	keys, fpf := 0, false
	i := 0
	err := d.Object(false, func(key string) error {
		keys++
		if key != "findings" {
			fpf = fpf || slices.Contains(fpfKeys, key)
			return d.Skip()
		}
		fpf = true
		return d.Array(true, func() error {
			var it item
			if err := d.Decode(&it); err != nil {
				return err
			}
			f, err := finding(it)
			if err != nil {
				return fmt.Errorf("%w: %s: finding %d: %w", findings.ErrFormat, want, i, err)
			}
			i++
			return emit(f)
		})
	})
	if err != nil {
		return jsonstream.FormatError(err, want)
	}
	if keys > 0 && !fpf {
		return fmt.Errorf("%w: %s: the object has none of its keys (findings, meta, project, version)", findings.ErrFormat, want)
	}
	return nil
}

// str is a JSON string that may be null or missing.
func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// aliasKeys are the ids of an alias DefectDojo reads.
var aliasKeys = []string{"cveId", "sonatypeId", "ghsaId", "osvId", "snykId", "gsdId", "vulnDbId"}

func finding(it item) (findings.Finding, error) {
	v, c := it.Vulnerability, it.Component
	switch {
	case v == nil:
		return findings.Finding{}, fmt.Errorf("no vulnerability")
	case v.VulnID == nil:
		return findings.Finding{}, fmt.Errorf("its vulnerability has no vulnId")
	case v.Source == nil:
		return findings.Finding{}, fmt.Errorf("its vulnerability has no source")
	case c == nil:
		return findings.Finding{}, fmt.Errorf("no component")
	case c.Name == nil:
		return findings.Finding{}, fmt.Errorf("its component has no name")
	case v.Severity == nil:
		return findings.Finding{}, fmt.Errorf("its vulnerability has no severity")
	}
	vulnID, source, name := *v.VulnID, *v.Source, *c.Name
	f := findings.Finding{
		Title:         fmt.Sprintf("%s:%s affected by: %s (%s)", name, str(c.Version), vulnID, source),
		Severity:      findings.NormalizeSeverity(*v.Severity), // unknown words: Info, as DefectDojo's parser
		CWE:           1035,                                    // Using Components with Known Vulnerabilities
		ComponentName: name, ComponentVersion: str(c.Version), FilePath: "unknown",
		VulnIDFromTool: str(v.UUID), UniqueIDFromTool: str(it.Matrix),
		VulnerabilityIDs: vulnerabilityIDs(vulnID, v.Aliases),
		References:       references(v.References), Mitigation: mitigation(c, v.AffectedVersions),
		StaticFinding: true, NbOccurences: 1,
	}
	if v.Matrix != nil {
		f.UniqueIDFromTool = *v.Matrix
	}
	if cwe, ok := cweID(v.CWEID); ok {
		f.CWE = cwe
	}
	if c.PURL != nil {
		f.FilePath = *c.PURL
	}
	f.Description = description(it)
	if it.Analysis != nil && it.Analysis.State == "FALSE_POSITIVE" {
		f.FalsePositive, f.IsMitigated, f.Active = true, true, findings.Bool(false)
	}
	return f, nil
}

// vulnerabilityIDs are the vulnId, then the aliases' other ids sorted.
func vulnerabilityIDs(vulnID string, aliases []map[string]any) []string {
	var others []string
	for _, alias := range aliases {
		for _, k := range aliasKeys {
			if id, ok := alias[k].(string); ok && id != vulnID && !slices.Contains(others, id) {
				others = append(others, id)
			}
		}
	}
	slices.Sort(others)
	return append([]string{vulnID}, others...)
}

func description(it item) string {
	v, c := it.Vulnerability, it.Component
	var b strings.Builder
	component := "The " + *c.Name + " component"
	if c.Version != nil {
		component = fmt.Sprintf("Version %s of the %s component", *c.Version, *c.Name)
	}
	fmt.Fprintf(&b, "You are using a component with a known vulnerability. %s is affected by the vulnerability with an id of %s as identified by %s.",
		component, *v.VulnID, *v.Source)
	if c.PURL != nil {
		fmt.Fprintf(&b, "\nThe purl of the affected component is: %s.", *c.PURL)
	}
	for _, part := range []struct {
		label string
		value *string
	}{{"Vulnerability Title", v.Title}, {"Vulnerability Subtitle", v.Subtitle}, {"Vulnerability Description", v.Description}} {
		if part.value != nil {
			fmt.Fprintf(&b, "\n%s: %s", part.label, *part.value)
		}
	}
	if it.Analysis != nil && it.Analysis.Detail != "" {
		fmt.Fprintf(&b, "\nAudit Detail: %s", it.Analysis.Detail)
	}
	return b.String()
}

// cweID reads a cweId, a number (or its text); ok is false when it is
// missing or null.
func cweID(raw json.RawMessage) (int, bool) {
	var n int
	if json.Unmarshal(raw, &n) == nil && string(raw) != "null" {
		return n, true
	}
	var s string
	if json.Unmarshal(raw, &s) == nil && s != "" {
		if n, err := strconv.Atoi(s); err == nil {
			return n, true
		}
		return findings.ParseCWE(s), true
	}
	return 0, false
}

// references reads the vulnerability's references: Markdown text, or a
// list of lines.
func references(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return strings.Join(list, "\n")
	}
	return ""
}
