// Package pipaudit parses pip-audit JSON reports (scan type "pip-audit
// Scan", pip-audit -f json): the current {"dependencies": [...]} shape and
// the older top-level list, one finding per vulnerability of each
// dependency, as DefectDojo's parser maps them.
package pipaudit

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/jsonstream"
)

// Parser is the "pip-audit Scan" parser.
type Parser struct{}

// ScanType implements findings.Parser.
func (Parser) ScanType() string { return "pip-audit Scan" }

const want = "pip-audit wants its JSON output (pip-audit -f json)"

type dependency struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Vulns   []struct {
		ID          string   `json:"id"`
		FixVersions []string `json:"fix_versions"`
		Description string   `json:"description"`
	} `json:"vulns"`
}

// Stream implements findings.Parser, one dependency at a time.
func (Parser) Stream(r io.Reader, emit func(findings.Finding) error) error {
	br := bufio.NewReader(r)
	first, err := firstByte(br)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", findings.ErrFormat, want, err)
	}
	d := jsonstream.New(br)
	i := 0
	each := func() error {
		var dep dependency
		if err := d.Decode(&dep); err != nil {
			return err
		}
		i++
		if dep.Name == "" && len(dep.Vulns) > 0 {
			return fmt.Errorf("%w: %s: dependency %d has vulnerabilities but no name", findings.ErrFormat, want, i-1)
		}
		for _, f := range depFindings(dep) {
			if err := emit(f); err != nil {
				return err
			}
		}
		return nil
	}
	if first == '[' { // the older shape
		return jsonstream.FormatError(d.Array(false, each), want)
	}
	found := false
	err = d.Object(false, func(key string) error {
		if key != "dependencies" {
			return d.Skip()
		}
		found = true
		return d.Array(true, each)
	})
	if err != nil {
		return jsonstream.FormatError(err, want)
	}
	if !found {
		return fmt.Errorf("%w: %s: the report has no dependencies list", findings.ErrFormat, want)
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

func depFindings(dep dependency) []findings.Finding {
	var out []findings.Finding
	for _, v := range dep.Vulns {
		f := findings.Finding{
			Title: fmt.Sprintf("%s in %s:%s", v.ID, dep.Name, dep.Version), Description: v.Description,
			CWE:      1395, // Dependency on Vulnerable Third-Party Component
			Severity: findings.Medium, Mitigation: mitigation(v.FixVersions),
			ComponentName: dep.Name, ComponentVersion: dep.Version, VulnIDFromTool: v.ID,
			StaticFinding: true, NbOccurences: 1,
		}
		if v.ID != "" {
			f.VulnerabilityIDs = []string{v.ID}
		}
		out = append(out, f)
	}
	return out
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
