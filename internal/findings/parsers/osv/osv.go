// Package osv parses OSV-Scanner JSON reports (scan type "OSV Scan",
// osv-scanner --format json): one finding per vulnerability of each
// package of each scanned source, as DefectDojo's parser maps them.
package osv

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/jsonstream"
)

// Parser is the "OSV Scan" parser.
type Parser struct{}

// ScanType implements findings.Parser.
func (Parser) ScanType() string { return "OSV Scan" }

const want = "osv scan wants osv-scanner's JSON output (osv-scanner --format json)"

type source struct {
	Path string `json:"path"`
	Type string `json:"type"`
}

type pkg struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Ecosystem string `json:"ecosystem"`
}

type vulnerability struct {
	ID       string `json:"id"`
	Summary  string `json:"summary"`
	Details  string `json:"details"`
	Affected []struct {
		Package struct {
			PURL string `json:"purl"`
		} `json:"package"`
		DatabaseSpecific struct {
			CWEs []struct {
				CWEID string `json:"cweId"`
			} `json:"cwes"`
		} `json:"database_specific"`
		Ranges []struct {
			Type   string              `json:"type"`
			Repo   string              `json:"repo"`
			Events []map[string]string `json:"events"`
		} `json:"ranges"`
	} `json:"affected"`
	References []struct {
		URL string `json:"url"`
	} `json:"references"`
	DatabaseSpecific struct {
		Severity string `json:"severity"`
	} `json:"database_specific"`
}

// Stream implements findings.Parser, one vulnerability at a time. An
// empty report (osv-scanner writes nothing when it finds no lockfile) has
// no findings.
func (Parser) Stream(r io.Reader, emit func(findings.Finding) error) error {
	br := bufio.NewReader(r)
	if empty, err := onlySpace(br); err != nil || empty {
		return err
	}
	d := jsonstream.New(br)
	found := false
	err := d.Object(false, func(key string) error {
		if key != "results" {
			return d.Skip()
		}
		found = true
		return d.Array(true, func() error { return streamResult(d, emit) })
	})
	if err != nil {
		return jsonstream.FormatError(err, want)
	}
	if !found {
		return fmt.Errorf("%w: %s: the report has no results list", findings.ErrFormat, want)
	}
	return nil
}

// onlySpace reports whether br holds nothing but white space, leaving
// what else it holds to be read.
func onlySpace(br *bufio.Reader) (bool, error) {
	for {
		b, err := br.ReadByte()
		if err == io.EOF {
			return true, nil
		}
		if err != nil {
			return false, fmt.Errorf("reading the report: %w", err)
		}
		if b != ' ' && b != '\t' && b != '\n' && b != '\r' {
			return false, br.UnreadByte()
		}
	}
}

// streamResult reads one scanned source; its packages need its path and
// type, which osv-scanner writes first: packages before them are spooled.
func streamResult(d *jsonstream.Decoder, emit func(findings.Finding) error) error {
	var src source
	known := false
	var early jsonstream.Spool
	defer early.Close()
	err := d.Object(false, func(key string) error {
		switch key {
		case "source":
			known = true
			return d.Decode(&src)
		case "packages":
			return d.Array(true, func() error {
				if !known {
					return early.Keep(d)
				}
				return streamPackage(d, src, emit)
			})
		}
		return d.Skip()
	})
	if err != nil {
		return err
	}
	return early.Each(func(d *jsonstream.Decoder) error { return streamPackage(d, src, emit) })
}

// streamPackage reads one package and emits its vulnerabilities (those
// before the package's name are spooled).
func streamPackage(d *jsonstream.Decoder, src source, emit func(findings.Finding) error) error {
	var p pkg
	known := false
	var early jsonstream.Spool
	defer early.Close()
	each := func(d *jsonstream.Decoder) error {
		var v vulnerability
		if err := d.Decode(&v); err != nil {
			return err
		}
		return emit(finding(src, p, v))
	}
	err := d.Object(false, func(key string) error {
		switch key {
		case "package":
			known = true
			return d.Decode(&p)
		case "vulnerabilities":
			return d.Array(true, func() error {
				if !known {
					return early.Keep(d)
				}
				return each(d)
			})
		}
		return d.Skip()
	})
	if err != nil {
		return err
	}
	return early.Each(each)
}

// severity is DefectDojo's reading of database_specific.severity:
// MODERATE is Medium, none is Low.
func severity(s string) string {
	if s == "" {
		return findings.Low
	}
	return findings.NormalizeSeverity(s)
}

func finding(src source, p pkg, v vulnerability) findings.Finding {
	f := findings.Finding{
		Title: v.ID + "_" + p.Name, Severity: severity(v.DatabaseSpecific.Severity),
		ComponentName: p.Name, ComponentVersion: p.Version, FilePath: src.Path,
		StaticFinding: true, NbOccurences: 1,
	}
	if v.ID != "" {
		f.VulnerabilityIDs = []string{v.ID}
	}
	var purl string
	if len(v.Affected) > 0 {
		a := v.Affected[0]
		purl = a.Package.PURL
		if len(a.DatabaseSpecific.CWEs) > 0 {
			f.CWE = findings.ParseCWE(a.DatabaseSpecific.CWEs[0].CWEID)
		}
		// The fixed versions of each range type, types in order of appearance.
		var types []string
		fixed := map[string][]string{}
		for _, rg := range a.Ranges {
			for _, e := range rg.Events {
				fix, ok := e["fixed"]
				if !ok {
					continue
				}
				if rg.Type == "GIT" && rg.Repo != "" {
					fix = rg.Repo + "/commit/" + fix
				}
				if _, seen := fixed[rg.Type]; !seen {
					types = append(types, rg.Type)
				}
				fixed[rg.Type] = append(fixed[rg.Type], fix)
			}
		}
		if len(types) > 0 {
			var b strings.Builder
			b.WriteString("**Upgrade to versions**:\n")
			for _, t := range types {
				fmt.Fprintf(&b, "\t%s :\n", t)
				for _, fix := range fixed[t] {
					fmt.Fprintf(&b, "\t\t- %s\n", fix)
				}
			}
			f.Mitigation = b.String()
		}
	}
	var refs strings.Builder
	for _, r := range v.References {
		refs.WriteString(r.URL + "\n")
	}
	f.References = refs.String()
	f.Description = fmt.Sprintf("%s\n**Source type**: %s\n**Package ecosystem**: %s\n**Vulnerability details**: %s\n**Vulnerability package purl**: %s\n",
		v.Summary, src.Type, p.Ecosystem, v.Details, purl)
	return f
}
