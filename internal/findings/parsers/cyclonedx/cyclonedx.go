// Package cyclonedx parses CycloneDX BOMs with vulnerabilities (scan type
// "CycloneDX Scan"), in JSON and in XML, spec 1.0 to 1.6: the
// vulnerabilities of spec 1.4 and later (one finding per affected
// component) and, in XML, those of the older vulnerability extension
// (http://cyclonedx.org/schema/ext/vulnerability/1.0). A BOM without
// vulnerabilities is no findings.
package cyclonedx

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/cvss"
)

// Parser is the "CycloneDX Scan" parser.
type Parser struct{}

// ScanType implements findings.Parser.
func (Parser) ScanType() string { return "CycloneDX Scan" }

const want = "CycloneDX wants a BOM in JSON or XML with its vulnerabilities (e.g. cyclonedx-cli, grype -o cyclonedx-json, trivy --format cyclonedx)"

// Stream implements findings.Parser. DefectDojo tells JSON from XML by the
// file's extension; the parser sees only the bytes, so the first that is
// not white space decides: '{' for JSON, '<' for XML.
func (Parser) Stream(r io.Reader, emit func(findings.Finding) error) error {
	br := bufio.NewReader(r)
	first, err := firstByte(br)
	if err != nil {
		return fmt.Errorf("%w: %s: the report is empty", findings.ErrFormat, want)
	}
	switch first {
	case '{':
		return streamJSON(br, emit)
	case '<':
		return streamXML(br, emit)
	}
	return fmt.Errorf("%w: %s: it starts with %q, neither JSON nor XML", findings.ErrFormat, want, first)
}

// firstByte peeks at the first byte that is not white space (nor a UTF-8
// byte order mark).
func firstByte(br *bufio.Reader) (byte, error) {
	if bom, _ := br.Peek(3); string(bom) == "\xef\xbb\xbf" {
		_, _ = br.Discard(3)
	}
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

// optional is a value a BOM may lack, told from an empty one: DefectDojo
// writes a missing one as "None" in titles.
type optional struct {
	value string
	ok    bool
}

func (o optional) String() string {
	if !o.ok {
		return "None"
	}
	return o.value
}

// component is what a finding takes of the component it affects.
type component struct{ name, version optional }

// components indexes the BOM's components by bom-ref, within a bound on
// the memory it takes.
type components struct {
	byRef map[string]component
	size  int
}

// componentEntryCost is an index entry's cost beyond its strings.
const componentEntryCost = 64

func (c *components) add(ref string, comp component) error {
	if c.byRef == nil {
		c.byRef = map[string]component{}
	}
	c.size += len(ref) + len(comp.name.value) + len(comp.version.value) + componentEntryCost
	if c.size > findings.MaxReportValue {
		return fmt.Errorf("the BOM's components (their bom-refs, names and versions) take more than %d MiB to index: "+
			"split the BOM", findings.MaxReportValue>>20)
	}
	c.byRef[ref] = comp
	return nil
}

// lookup returns the component of a ref; an unknown ref is a component
// without name nor version, as DefectDojo takes it.
func (c *components) lookup(ref string) component { return c.byRef[ref] }

// vulnerability is a spec 1.4+ vulnerability, read from JSON or XML.
type vulnerability struct {
	id          optional
	description string
	severity    optional // the first rating's
	ratings     []rating
	references  string // the advisories
	ids         []string
	cwe         int
	mitigation  string
	state       string // of the analysis
	stateDetail string
}

type rating struct{ method, vector, severity string }

// cvssMethods are the rating methods DefectDojo reads the vector of.
var cvssMethods = map[string]bool{"CVSSv3": true, "CVSSv31": true}

// finding is the vulnerability's finding for one component it affects.
func (v *vulnerability) finding(c component, date time.Time) findings.Finding {
	f := findings.Finding{
		Title:       fmt.Sprintf("%s:%s | %s", c.name, c.version, v.id),
		Description: v.description, Mitigation: v.mitigation, References: v.references,
		Severity:      severityOf(v.severity),
		ComponentName: c.name.value, ComponentVersion: c.version.value,
		VulnIDFromTool: v.id.value, VulnerabilityIDs: v.ids, CWE: v.cwe,
		Date: date, StaticFinding: true, NbOccurences: 1,
	}
	if s, ok := ratingSeverity(v.ratings, cvssMethods); ok {
		f.Severity = s
	}
	switch v.state {
	case "resolved", "resolved_with_pedigree", "not_affected":
		f.IsMitigated, f.Active = true, findings.Bool(false)
	case "false_positive":
		f.FalsePositive, f.Active = true, findings.Bool(false)
	}
	if (f.IsMitigated || f.FalsePositive) && v.stateDetail != "" {
		f.Mitigation += "\n**This vulnerability is mitigated and/or suppressed:** " + v.stateDetail + "\n"
	}
	return f
}

// severityOf maps a BOM's severity word as DefectDojo does (capitalized;
// "unknown" and "none" are Info; none at all is Medium).
func severityOf(s optional) string {
	if !s.ok {
		return findings.Medium
	}
	return findings.NormalizeSeverity(s.value)
}

// ratingSeverity is the severity of the last CVSS v3 rating (of those
// methods) with a valid vector: the rating's own severity, else the
// vector's.
func ratingSeverity(ratings []rating, methods map[string]bool) (string, bool) {
	severity, found := "", false
	for _, r := range ratings {
		if !methods[r.method] || r.vector == "" {
			continue
		}
		vector := r.vector
		if !strings.HasPrefix(vector, "CVSS:3") {
			vector = "CVSS:3.1/" + vector
		}
		v, err := cvss.ParseV3(vector)
		if err != nil {
			continue
		}
		found = true
		if r.severity != "" {
			severity = severityOf(optional{r.severity, true})
		} else {
			severity = findings.NormalizeSeverity(v.BaseSeverity())
		}
	}
	return severity, found
}

// advisoryReferences formats advisories as DefectDojo's references.
func advisoryReferences(titles, urls []string) string {
	var b strings.Builder
	for i := range titles {
		if titles[i] != "" {
			b.WriteString("**Title:** " + titles[i] + "\n")
		}
		if urls[i] != "" {
			b.WriteString("**URL:** " + urls[i] + "\n")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// joinDetail adds a vulnerability's detail to its description.
func joinDetail(description, detail string) string {
	if detail == "" {
		return description
	}
	return description + "\n" + detail
}
