package cyclonedx

import (
	"encoding/xml"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/dates"
	"github.com/secbot/secbot/internal/findings/parsers/xmlstream"
)

const (
	bomNamespace = "http://cyclonedx.org/schema/bom/"
	// extNamespace is the vulnerability extension of the specs before 1.4.
	extNamespace = "http://cyclonedx.org/schema/ext/vulnerability/1.0"
)

// xmlBOM is what an XML BOM's vulnerabilities are mapped with. It relies
// on the schema's order, metadata and components before vulnerabilities;
// as DefectDojo does, it indexes the top-level components only.
type xmlBOM struct {
	d     *xmlstream.Decoder
	ns    string
	emit  func(findings.Finding) error
	index components
	date  time.Time
}

func streamXML(r io.Reader, emit func(findings.Finding) error) error {
	d := xmlstream.New(r)
	root, err := d.Root()
	if err != nil {
		return xmlstream.FormatError(err, want)
	}
	if root.Name.Local != "bom" || !strings.HasPrefix(root.Name.Space, bomNamespace) {
		return xmlstream.FormatError(&xmlstream.ShapeError{Want: "a <bom> in the namespace " + bomNamespace + "…",
			Found: "<" + root.Name.Local + "> in " + strconv.Quote(root.Name.Space)}, want)
	}
	bom := &xmlBOM{d: d, ns: root.Name.Space, emit: emit}
	err = d.Children(func(start xml.StartElement) error {
		switch start.Name {
		case xml.Name{Space: bom.ns, Local: "metadata"}:
			md, err := d.Element(start)
			if err == nil {
				raw, _ := md.FindText("timestamp")
				bom.date, _ = dates.Parse(raw)
			}
			return err
		case xml.Name{Space: bom.ns, Local: "components"}:
			return d.Children(func(start xml.StartElement) error {
				if start.Name.Local != "component" {
					return d.Skip()
				}
				return bom.component(start)
			})
		case xml.Name{Space: extNamespace, Local: "vulnerabilities"}:
			return bom.each(extNamespace, func(v *xmlstream.Element) error { return bom.legacy(v, nil) })
		case xml.Name{Space: bom.ns, Local: "vulnerabilities"}:
			return bom.each(bom.ns, bom.vulnerability)
		}
		return d.Skip()
	})
	return xmlstream.FormatError(err, want)
}

// each reads the vulnerability elements of a vulnerabilities element, one
// at a time.
func (bom *xmlBOM) each(space string, fn func(*xmlstream.Element) error) error {
	return bom.d.Children(func(start xml.StartElement) error {
		if start.Name != (xml.Name{Space: space, Local: "vulnerability"}) {
			return bom.d.Skip()
		}
		v, err := bom.d.Element(start)
		if err != nil {
			return err
		}
		return fn(v)
	})
}

// component reads a top-level component: its name and version, the
// findings of the extension's vulnerabilities inside it, and its bom-ref
// into the index. Nested components are skipped, not held.
func (bom *xmlBOM) component(start xml.StartElement) error {
	var c component
	err := bom.d.Children(func(child xml.StartElement) error {
		var err error
		switch child.Name {
		case xml.Name{Space: bom.ns, Local: "name"}:
			c.name.value, err = bom.d.Text()
			c.name.ok = true
		case xml.Name{Space: bom.ns, Local: "version"}:
			c.version.value, err = bom.d.Text()
			c.version.ok = true
		case xml.Name{Space: extNamespace, Local: "vulnerabilities"}:
			err = bom.each(extNamespace, func(v *xmlstream.Element) error { return bom.legacy(v, &c) })
		default:
			err = bom.d.Skip()
		}
		return err
	})
	if err != nil {
		return err
	}
	for _, a := range start.Attr {
		if a.Name.Local == "bom-ref" && a.Name.Space == "" {
			return bom.index.add(a.Value, c)
		}
	}
	return nil
}

// legacy maps a vulnerability of the extension: of the component it is
// in, or else of the component its ref names.
func (bom *xmlBOM) legacy(v *xmlstream.Element, in *component) error {
	ref, _ := v.Attribute("ref")
	id, hasID := v.FindText("id")
	severityText, hasSeverity := v.FindText("ratings", "rating", "severity")
	description, _ := v.FindText("description")
	if description == "" {
		severity := optional{severityText, hasSeverity}
		description = "**Ref:** " + ref + "\n**Id:** " + optional{id, hasID}.String() + "\n**Severity:** " + severity.String()
	}
	c := bom.index.lookup(ref)
	if in != nil && in.name.ok {
		c = *in
	}
	var references, mitigation strings.Builder
	for _, a := range v.FindAll("advisories", "advisory") {
		references.WriteString(a.Text + "\n")
	}
	for _, r := range v.FindAll("recommendations", "recommendation") {
		mitigation.WriteString(r.Text + "\n")
	}
	f := findings.Finding{
		Title:       c.name.String() + ":" + c.version.String() + " | " + optional{id, hasID}.String(),
		Description: description, Severity: severityOf(optional{severityText, hasSeverity}),
		References: references.String(), Mitigation: mitigation.String(),
		ComponentName: c.name.value, ComponentVersion: c.version.value, VulnIDFromTool: id,
		CWE: digitsCWE(v), Date: bom.date, NbOccurences: 1,
		// DefectDojo leaves these at its model's defaults.
		DynamicFinding: true,
	}
	if s, ok := ratingSeverity(xmlRatings(v), map[string]bool{"CVSSv3": true}); ok {
		f.Severity = s
	}
	if id != "" {
		f.VulnerabilityIDs = []string{id}
	}
	return bom.emit(f)
}

// vulnerability maps a spec 1.4+ vulnerability, a finding for each
// component it affects.
func (bom *xmlBOM) vulnerability(e *xmlstream.Element) error {
	id, hasID := e.FindText("id")
	description, _ := e.FindText("description")
	detail, _ := e.FindText("detail")
	severity, hasSeverity := e.FindText("ratings", "rating", "severity")
	mitigation, _ := e.FindText("recommendation")
	v := vulnerability{id: optional{id, hasID}, description: joinDetail(description, detail),
		severity: optional{severity, hasSeverity}, ratings: xmlRatings(e), mitigation: mitigation, cwe: digitsCWE(e)}
	var titles, urls []string
	for _, a := range e.FindAll("advisories", "advisory") {
		title, _ := a.FindText("title")
		u, _ := a.FindText("url")
		titles, urls = append(titles, title), append(urls, u)
	}
	v.references = advisoryReferences(titles, urls)
	if id != "" {
		v.ids = append(v.ids, id)
	}
	for _, ref := range e.FindAll("references", "reference") {
		if refID, _ := ref.FindText("id"); refID != "" {
			v.ids = append(v.ids, refID)
		}
	}
	if analysis := e.FindAll("analysis"); len(analysis) == 1 {
		v.state, _ = analysis[0].FindText("state")
		v.stateDetail, _ = analysis[0].FindText("detail")
	}
	for _, target := range e.FindAll("affects", "target") {
		ref, _ := target.FindText("ref")
		if err := bom.emit(v.finding(bom.index.lookup(ref), bom.date)); err != nil {
			return err
		}
	}
	return nil
}

func xmlRatings(v *xmlstream.Element) []rating {
	var out []rating
	for _, r := range v.FindAll("ratings", "rating") {
		method, _ := r.FindText("method")
		vector, _ := r.FindText("vector")
		severity, _ := r.FindText("severity")
		out = append(out, rating{method: method, vector: vector, severity: severity})
	}
	return out
}

// digitsCWE is the first CWE of a vulnerability's cwes that is a number.
func digitsCWE(v *xmlstream.Element) int {
	for _, c := range v.FindAll("cwes", "cwe") {
		if n, err := strconv.Atoi(c.Text); err == nil && n >= 0 && !strings.HasPrefix(c.Text, "+") {
			return n
		}
	}
	return 0
}
