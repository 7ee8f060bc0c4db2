// Package grype parses Anchore Grype JSON reports (scan type "Anchore
// Grype", grype -o json): one finding per vulnerability of a package, the
// same vulnerability of the same package found at several paths counted
// as one finding (nb_occurences), as DefectDojo's parser does.
package grype

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/jsonstream"
)

// Parser is the "Anchore Grype" parser.
type Parser struct{}

// ScanType implements findings.Parser.
func (Parser) ScanType() string { return "Anchore Grype" }

const want = "anchore grype wants its JSON output (grype <target> -o json)"

type vulnerability struct {
	ID          string   `json:"id"`
	DataSource  string   `json:"dataSource"`
	Namespace   string   `json:"namespace"`
	Severity    string   `json:"severity"`
	URLs        []string `json:"urls"`
	Description string   `json:"description"`
	Fix         struct {
		Versions []string `json:"versions"`
	} `json:"fix"`
}

type matcher struct {
	Matcher string `json:"matcher"`
}

type match struct {
	Vulnerability vulnerability   `json:"vulnerability"`
	Related       []vulnerability `json:"relatedVulnerabilities"`
	// MatchDetails is a list of matchers (grype ≥ 0.28) or one object.
	MatchDetails json.RawMessage `json:"matchDetails"`
	Artifact     struct {
		Name      string `json:"name"`
		Version   string `json:"version"`
		PURL      string `json:"purl"`
		Locations []struct {
			Path string `json:"path"`
		} `json:"locations"`
	} `json:"artifact"`
}

// Stream implements findings.Parser, one match at a time. Matches of one
// vulnerability in one package at several paths share a repeat key (the
// title), and the import (or findings.Parse) makes them one finding.
func (Parser) Stream(r io.Reader, emit func(findings.Finding) error) error {
	d := jsonstream.New(r)
	found := false
	i := 0
	err := d.Object(false, func(key string) error {
		if key != "matches" {
			return d.Skip()
		}
		found = true
		return d.Array(true, func() error {
			var m match
			if err := d.Decode(&m); err != nil {
				return err
			}
			i++
			if m.Vulnerability.ID == "" {
				return fmt.Errorf("%w: %s: match %d has no vulnerability id", findings.ErrFormat, want, i-1)
			}
			return emit(finding(m))
		})
	})
	if err != nil {
		return jsonstream.FormatError(err, want)
	}
	if !found {
		return fmt.Errorf("%w: %s: the report has no matches list", findings.ErrFormat, want)
	}
	return nil
}

// severity maps grype's severities: Unknown and Negligible are Info.
func severity(s string) string {
	switch s {
	case "Unknown", "Negligible":
		return findings.Info
	}
	return findings.NormalizeSeverity(s)
}

// matchers reads matchDetails, a list of objects or one object.
func matchers(raw json.RawMessage) []string {
	var list []matcher
	if json.Unmarshal(raw, &list) != nil {
		var one matcher
		if json.Unmarshal(raw, &one) != nil || one.Matcher == "" {
			return nil
		}
		list = []matcher{one}
	}
	names := make([]string, 0, len(list))
	for _, m := range list {
		names = append(names, m.Matcher)
	}
	return names
}

func finding(m match) findings.Finding {
	v, a := m.Vulnerability, m.Artifact
	var rel vulnerability
	if len(m.Related) > 0 {
		rel = m.Related[0]
	}
	title := fmt.Sprintf("%s in %s:%s", v.ID, a.Name, a.Version)
	f := findings.Finding{
		Title: clean(title), Description: clean(description(m, rel)), Severity: severity(v.Severity),
		CWE: 1352, Mitigation: mitigation(v.Fix.Versions), References: references(v, rel),
		ComponentName: a.Name, ComponentVersion: clean(a.Version), VulnIDFromTool: v.ID,
		VulnerabilityIDs: vulnerabilityIDs(m), Tags: tags(matchers(m.MatchDetails)),
		StaticFinding: true, NbOccurences: 1, RepeatKey: title,
	}
	if len(a.Locations) > 0 {
		f.FilePath = a.Locations[0].Path
	}
	return f
}

// clean drops the NUL characters DefectDojo's parser removes.
func clean(s string) string { return strings.ReplaceAll(s, "\x00", "") }

func description(m match, rel vulnerability) string {
	v := m.Vulnerability
	var b strings.Builder
	if v.Namespace != "" {
		fmt.Fprintf(&b, "**Vulnerability Namespace:** %s", v.Namespace)
	}
	if v.Description != "" {
		fmt.Fprintf(&b, "\n**Vulnerability Description:** %s", v.Description)
	}
	if rel.Description != "" && rel.Description != v.Description {
		fmt.Fprintf(&b, "\n**Related Vulnerability Description:** %s", rel.Description)
	}
	switch names := matchers(m.MatchDetails); len(names) {
	case 0:
	case 1:
		fmt.Fprintf(&b, "\n**Matcher:** %s", names[0])
	default:
		b.WriteString("\n**Matchers:**")
		for _, n := range names {
			fmt.Fprintf(&b, "\n- %s", n)
		}
	}
	if m.Artifact.PURL != "" {
		fmt.Fprintf(&b, "\n**Package URL:** %s", m.Artifact.PURL)
	}
	return b.String()
}

func mitigation(fixes []string) string {
	switch len(fixes) {
	case 0:
		return ""
	case 1:
		return "Upgrade to version: " + fixes[0]
	}
	return "Upgrade to version:\n- " + strings.Join(fixes, "\n- ")
}

// references lists the data sources and URLs of the vulnerability and its
// first related one, leaving out URLs equal to the vulnerability's own
// data source (for the related URLs too, as DefectDojo's parser does).
func references(v, rel vulnerability) string {
	var b strings.Builder
	urls := func(label string, list []string) {
		switch {
		case len(list) == 1:
			if list[0] != v.DataSource {
				fmt.Fprintf(&b, "**%s URL:** %s\n", label, list[0])
			}
		case len(list) > 1:
			fmt.Fprintf(&b, "**%s URLs:**\n", label)
			for _, u := range list {
				if u != v.DataSource {
					fmt.Fprintf(&b, "- %s\n", u)
				}
			}
		}
	}
	if v.DataSource != "" {
		fmt.Fprintf(&b, "**Vulnerability Datasource:** %s\n", v.DataSource)
	}
	urls("Vulnerability", v.URLs)
	if rel.DataSource != "" {
		fmt.Fprintf(&b, "**Related Vulnerability Datasource:** %s\n", rel.DataSource)
	}
	urls("Related Vulnerability", rel.URLs)
	return strings.TrimSuffix(b.String(), "\n")
}

// vulnerabilityIDs are the vulnerability's id and its related ones', each
// once (DefectDojo keeps the first of repeated ids).
func vulnerabilityIDs(m match) []string {
	ids := []string{m.Vulnerability.ID}
	for _, r := range m.Related {
		if r.ID != "" {
			ids = append(ids, r.ID)
		}
	}
	return unique(ids)
}

// tags are the matchers without their "-matcher" suffix, each once.
func tags(names []string) []string {
	var out []string
	for _, n := range names {
		out = append(out, strings.ReplaceAll(n, "-matcher", ""))
	}
	return unique(out)
}

func unique(list []string) []string {
	seen := make(map[string]bool, len(list))
	out := list[:0:0]
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
