// Package zap parses ZAP's XML reports (scan type "ZAP Scan"), the
// traditional report and "xml-plus", which adds each instance's request
// and response: one dynamic finding per alert of each site.
package zap

import (
	"encoding/xml"
	"io"
	"strings"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/xmlstream"
)

// Parser is the "ZAP Scan" parser.
type Parser struct{}

// ScanType implements findings.Parser.
func (Parser) ScanType() string { return "ZAP Scan" }

const want = "ZAP wants its XML report (zap.sh -cmd -quickout report.xml, or the traditional-xml or traditional-xml-plus report template)"

// Stream implements findings.Parser, one alert at a time. An alert's
// instances (in xml-plus with their requests and responses) are skipped
// as they are read, never held: DefectDojo makes endpoints of them, which
// SecBot's findings do not have.
func (Parser) Stream(r io.Reader, emit func(findings.Finding) error) error {
	d := xmlstream.New(r)
	root, err := d.Root()
	if err != nil {
		return xmlstream.FormatError(err, want)
	}
	if root.Name.Local != "OWASPZAPReport" {
		return xmlstream.FormatError(&xmlstream.ShapeError{Want: "an <OWASPZAPReport>", Found: "<" + root.Name.Local + ">"}, want)
	}
	err = d.Children(func(site xml.StartElement) error {
		if site.Name.Local != "site" {
			return d.Skip()
		}
		return d.Children(func(alerts xml.StartElement) error {
			if alerts.Name.Local != "alerts" {
				return d.Skip()
			}
			return d.Children(func(item xml.StartElement) error {
				if item.Name.Local != "alertitem" {
					return d.Skip()
				}
				f, err := alert(d)
				if err != nil {
					return err
				}
				return emit(f)
			})
		})
	})
	return xmlstream.FormatError(err, want)
}

// fields are the elements of an alert the finding is made of.
var fields = map[string]bool{"alert": true, "name": true, "riskcode": true, "desc": true, "solution": true,
	"reference": true, "cweid": true, "pluginid": true}

var severities = map[string]string{"0": findings.Info, "1": findings.Low, "2": findings.Medium, "3": findings.High}

// alert reads one alertitem into its finding.
func alert(d *xmlstream.Decoder) (findings.Finding, error) {
	values := map[string]string{}
	err := d.Children(func(start xml.StartElement) error {
		if !fields[start.Name.Local] {
			return d.Skip()
		}
		text, err := d.Text()
		if _, seen := values[start.Name.Local]; !seen {
			values[start.Name.Local] = text
		}
		return err
	})
	if err != nil {
		return findings.Finding{}, err
	}
	title, ok := values["alert"]
	if !ok {
		title = values["name"]
	}
	severity, ok := severities[strings.TrimSpace(values["riskcode"])]
	if !ok {
		severity = findings.Info
	}
	f := findings.Finding{
		Title: title, Severity: severity,
		Description: htmlText(values["desc"]), Mitigation: htmlText(values["solution"]),
		References:     htmlText(values["reference"]),
		VulnIDFromTool: values["pluginid"], DynamicFinding: true, NbOccurences: 1,
	}
	if cwe := values["cweid"]; isDigits(cwe) {
		f.CWE = findings.ParseCWE("CWE-" + cwe)
	}
	return f, nil
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
