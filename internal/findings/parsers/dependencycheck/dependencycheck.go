// Package dependencycheck parses OWASP Dependency-Check XML reports (scan
// type "Dependency Check Scan"), of every schema version (1.x to 4.x, with
// or without a namespace): one finding per vulnerability of each
// dependency, suppressed vulnerabilities as mitigated ones.
package dependencycheck

import (
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/cvss"
	"github.com/secbot/secbot/internal/findings/parsers/dates"
	"github.com/secbot/secbot/internal/findings/parsers/xmlstream"
)

// Parser is the "Dependency Check Scan" parser.
type Parser struct{}

// ScanType implements findings.Parser.
func (Parser) ScanType() string { return "Dependency Check Scan" }

const want = "Dependency Check wants its XML report (dependency-check --format XML)"

// Stream implements findings.Parser, one vulnerability at a time; a
// dependency's file, identifiers and evidence, which come before its
// vulnerabilities, are all it keeps besides.
func (Parser) Stream(r io.Reader, emit func(findings.Finding) error) error {
	d := xmlstream.New(r)
	root, err := d.Root()
	if err != nil {
		return xmlstream.FormatError(err, want)
	}
	if root.Name.Local != "analysis" {
		return xmlstream.FormatError(&xmlstream.ShapeError{Want: "an <analysis> report", Found: "<" + root.Name.Local + ">"}, want)
	}
	report := report{namespaced: root.Name.Space != "", emit: emit}
	err = d.Children(func(start xml.StartElement) error {
		switch start.Name.Local {
		case "projectInfo":
			info, err := d.Element(start)
			if err != nil {
				return err
			}
			if raw, ok := info.FindText("reportDate"); ok {
				report.date, _ = dates.Parse(raw)
			}
			return nil
		case "dependencies":
			return d.Children(func(start xml.StartElement) error {
				if start.Name.Local != "dependency" {
					return d.Skip()
				}
				return report.dependency(d)
			})
		}
		return d.Skip()
	})
	return xmlstream.FormatError(err, want)
}

type report struct {
	namespaced bool
	date       time.Time
	emit       func(findings.Finding) error
}

// dependency is what a dependency's vulnerabilities are mapped with.
type dependency struct {
	fileName, filePath    optional
	identifiers, evidence *xmlstream.Element
	related               string
}

// dependency reads one dependency, emitting each of its vulnerabilities.
func (rep *report) dependency(d *xmlstream.Decoder) error {
	var dep dependency
	return d.Children(func(start xml.StartElement) error {
		var err error
		switch start.Name.Local {
		case "fileName":
			dep.fileName.value, err = d.Text()
			dep.fileName.ok = true
		case "filePath":
			dep.filePath.value, err = d.Text()
			dep.filePath.ok = true
		case "identifiers":
			dep.identifiers, err = d.Element(start)
		case "evidenceCollected":
			dep.evidence, err = d.Element(start)
		case "relatedDependencies":
			var related *xmlstream.Element
			if related, err = d.Element(start); err == nil {
				dep.related = relatedBlock(related)
			}
		case "vulnerabilities":
			err = d.Children(func(start xml.StartElement) error {
				name := start.Name.Local
				if name != "vulnerability" && name != "suppressedVulnerability" {
					return d.Skip()
				}
				v, err := d.Element(start)
				if err != nil || !dep.fileName.ok {
					return err // DefectDojo drops a dependency without a file name
				}
				return rep.emit(rep.finding(&dep, v))
			})
		default:
			err = d.Skip()
		}
		return err
	})
}

// relatedBlock lists the files Dependency-Check bundled with the
// dependency (the same jar at other paths, its pom, …) for the
// description, as DefectDojo does instead of a finding for each.
func relatedBlock(related *xmlstream.Element) string {
	var entries []string
	for _, rd := range related.FindAll("relatedDependency") {
		name, _ := rd.FindText("fileName")
		if name == "" {
			continue
		}
		path, _ := rd.FindText("filePath")
		if path = strings.TrimSpace(path); path != "" {
			entries = append(entries, fmt.Sprintf("- %s (%s)", name, path))
		} else {
			entries = append(entries, "- "+name)
		}
	}
	if len(entries) == 0 {
		return ""
	}
	return "\n**Related Filepaths:**\n" + strings.Join(entries, "\n")
}

var cweNumber = regexp.MustCompile(`^(CWE-)?(\d+)`)

// vulnerableThirdPartyComponent is the CWE DefectDojo gives a
// vulnerability that names none.
const vulnerableThirdPartyComponent = 1035

func (rep *report) finding(dep *dependency, v *xmlstream.Element) findings.Finding {
	name, _ := v.FindText("name")
	description, _ := v.FindText("description")
	if source, ok := v.Attribute("source"); ok && source != "" {
		description += "\n**Source:** " + source
	}
	cwe := vulnerableThirdPartyComponent
	for _, field := range cwes(v) {
		if m := cweNumber.FindStringSubmatch(field); m != nil {
			cwe, _ = strconv.Atoi(m[2])
			break
		}
	}
	compName, compVersion := component(dep.identifiers, dep.evidence)
	if !compName.ok {
		compName = dep.fileName
	}
	update := fmt.Sprintf("Update %s:%s to at least the version recommended in the description", compName, compVersion)
	f := findings.Finding{
		Title:         fmt.Sprintf("%s:%s | %s", compName, compVersion, name),
		FilePath:      dep.fileName.value,
		CWE:           cwe,
		Severity:      rep.severity(v),
		References:    references(v),
		ComponentName: compName.value, ComponentVersion: compVersion.value,
		Date: rep.date, StaticFinding: true, NbOccurences: 1,
	}
	if id := firstRunes(name, 28); strings.HasPrefix(id, "CVE") {
		f.VulnerabilityIDs = []string{id}
	}
	if v.Name.Local == "suppressedVulnerability" {
		notes := "Document on why we are suppressing this vulnerability is missing!"
		if n := v.Descendant("notes", nil); n != nil {
			notes = n.Text
		} else {
			f.Tags = append(f.Tags, "no_suppression_document")
		}
		f.Mitigation = "**This vulnerability is mitigated and/or suppressed:** " + notes + "\n" + update
		f.Active, f.IsMitigated = findings.Bool(false), true
		f.Tags = append(f.Tags, "suppressed")
	} else {
		f.Mitigation = update
		description += "\n**Filepath:** " + dep.filePath.String()
		f.Active = findings.Bool(true)
	}
	f.Description = description + dep.related
	// DefectDojo keeps the first of the findings of a report with the
	// same title, CWE and file.
	f.RepeatKey = strings.Join([]string{"dependency-check", f.Title, strconv.Itoa(cwe), strings.ToLower(dep.fileName.value)}, "\x00")
	return f
}

// cwes lists the CWE fields of a vulnerability: its <cwes> (schema 2+) or
// its single <cwe>.
func cwes(v *xmlstream.Element) []string {
	var out []string
	if list := v.Child("cwes"); list != nil {
		for _, c := range list.FindAll("cwe") {
			if c.Text != "" {
				out = append(out, c.Text)
			}
		}
		return out
	}
	if c, ok := v.FindText("cwe"); ok && c != "" {
		out = append(out, c)
	}
	return out
}

func references(v *xmlstream.Element) string {
	refs := v.Child("references")
	if refs == nil {
		return ""
	}
	var b strings.Builder
	text := func(e *xmlstream.Element, name string) string {
		if s, ok := e.FindText(name); ok {
			return s
		}
		return "None"
	}
	for _, ref := range refs.FindAll("reference") {
		source, u, name := text(ref, "source"), text(ref, "url"), text(ref, "name")
		fmt.Fprintf(&b, "**Source:** %s\n**URL:** %s\n", source, u)
		if u != name {
			fmt.Fprintf(&b, "**Name:** %s\n", name)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// cvssV3Codes maps the words of a <cvssV3> to a vector's letters, as
// DefectDojo's table does (a word outside it makes no vector).
var cvssV3Codes = []struct {
	element, metric string
	codes           map[string]string
}{
	{"attackVector", "AV", map[string]string{"NETWORK": "N", "ADJACENT": "A", "LOCAL": "L", "PHYSICAL": "P"}},
	{"attackComplexity", "AC", lowHigh},
	{"privilegesRequired", "PR", noneLowHigh},
	{"userInteraction", "UI", map[string]string{"NONE": "N", "REQUIRED": "R"}},
	{"scope", "S", map[string]string{"UNCHANGED": "U", "CHANGED": "C"}},
	{"confidentialityImpact", "C", noneLowHigh},
	{"integrityImpact", "I", noneLowHigh},
	{"availabilityImpact", "A", noneLowHigh},
}

var (
	lowHigh     = map[string]string{"LOW": "L", "HIGH": "H"}
	noneLowHigh = map[string]string{"NONE": "N", "LOW": "L", "HIGH": "H"}
)

// severity is the vulnerability's, as DefectDojo takes it: from the score
// of its CVSS v3 metrics when they make a vector, else from its CVSS v2
// severity, else its own <severity>; Medium when none is one of
// DefectDojo's ("moderate" is Medium).
func (rep *report) severity(v *xmlstream.Element) string {
	severity, _ := v.FindText("severity")
	if v3 := v.Child("cvssV3"); v3 != nil {
		if vector, ok := rep.vector(v3); ok {
			if parsed, err := cvss.ParseV3(vector); err == nil {
				severity = parsed.BaseSeverity()
			}
		}
	} else if v2 := v.Child("cvssV2"); v2 != nil {
		if s, ok := v2.FindText("severity"); ok {
			severity = s
		}
	}
	switch strings.ToLower(strings.TrimSpace(severity)) {
	case "critical":
		return findings.Critical
	case "high":
		return findings.High
	case "medium", "moderate":
		return findings.Medium
	case "low":
		return findings.Low
	case "info":
		return findings.Info
	}
	return findings.Medium
}

// vector builds the CVSS v3 vector of a <cvssV3>. Its <version> counts
// only in a report without a namespace: DefectDojo looks it up without
// one, so finds it nowhere else and takes 3.1.
func (rep *report) vector(v3 *xmlstream.Element) (string, bool) {
	version := "3.1"
	if s, ok := v3.FindText("version"); ok && !rep.namespaced && s != "" {
		version = s
	}
	parts := []string{"CVSS:" + version}
	for _, c := range cvssV3Codes {
		word, _ := v3.FindText(c.element)
		code, ok := c.codes[word]
		if !ok { // the letter itself
			for _, letter := range c.codes {
				ok = ok || word == letter
			}
			code = word
		}
		if !ok {
			return "", false
		}
		parts = append(parts, c.metric+":"+code)
	}
	return strings.Join(parts, "/"), true
}

// firstRunes is s cut to its first n characters.
func firstRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
