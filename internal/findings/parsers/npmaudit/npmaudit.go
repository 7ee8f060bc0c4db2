// Package npmaudit parses the JSON reports of npm audit from npm 7 on
// (scan type "NPM Audit v7+ Scan": npm audit --json, npm audit fix
// --dry-run --json): one finding per vulnerable package, as DefectDojo's
// parser maps them.
package npmaudit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/jsonstream"
)

// Parser is the "NPM Audit v7+ Scan" parser.
type Parser struct{}

// ScanType implements findings.Parser.
func (Parser) ScanType() string { return "NPM Audit v7+ Scan" }

const want = "npm audit v7+ wants the JSON output of npm 7 or later (npm audit --json)"

// report is what a report's top level (or its "audit" object, for npm
// audit fix --dry-run) holds: the version, and its vulnerabilities stored
// aside.
type report struct {
	version bool // a non-zero auditReportVersion
	found   bool // a vulnerabilities object
	store   *store
}

// Stream implements findings.Parser. Each vulnerable package's finding
// describes the packages it affects, which the report lists anywhere in
// it: the vulnerabilities are first stored aside in a temporary file,
// then read back one at a time, with those they name. Packages whose
// findings share a title and severity make one finding, the last of
// them, as in DefectDojo's parser.
func (Parser) Stream(r io.Reader, emit func(findings.Finding) error) error {
	d := jsonstream.New(r)
	var top, audit report
	defer top.close()
	defer audit.close()
	hasAudit := false
	err := d.Object(false, func(key string) error {
		if key == "audit" { // npm audit fix --dry-run: used when not empty
			return d.Object(true, func(key string) error {
				hasAudit = true
				return audit.read(d, key)
			})
		}
		return top.read(d, key)
	})
	if err != nil {
		return jsonstream.FormatError(err, want)
	}
	rep := &top
	if hasAudit {
		rep = &audit
	}
	if !rep.version {
		return fmt.Errorf("%w: %s: the report has no auditReportVersion (npm 6 and older write another format)", findings.ErrFormat, want)
	}
	if !rep.found || rep.store == nil {
		return nil
	}
	return rep.store.emitAll(emit)
}

func (rep *report) read(d *jsonstream.Decoder, key string) error {
	switch key {
	case "auditReportVersion":
		var v any
		if err := d.Decode(&v); err != nil {
			return err
		}
		rep.version = truthy(v)
		return nil
	case "vulnerabilities":
		rep.found = true
		if rep.store == nil {
			rep.store = &store{}
		}
		return d.Object(true, func(name string) error { return rep.store.keep(d, name) })
	}
	return d.Skip()
}

func (rep *report) close() {
	if rep.store != nil {
		rep.store.close()
	}
}

// truthy is Python's truth of a JSON value.
func truthy(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case float64:
		return v != 0
	case string:
		return v != ""
	case []any:
		return len(v) > 0
	case map[string]any:
		return len(v) > 0
	}
	return true
}

// node is one vulnerable package of the report.
type node struct {
	Name         string            `json:"name"`
	Severity     string            `json:"severity"`
	Via          []json.RawMessage `json:"via"`
	Effects      []string          `json:"effects"`
	Range        string            `json:"range"`
	Nodes        []string          `json:"nodes"`
	FixAvailable json.RawMessage   `json:"fixAvailable"`
}

// advisory is an element of via that is an advisory (the others name the
// vulnerable packages a package depends on).
type advisory struct {
	Source json.RawMessage `json:"source"`
	Name   string          `json:"name"`
	Title  string          `json:"title"`
	URL    string          `json:"url"`
	CWE    []string        `json:"cwe"`
}

// via is one element of a node's via: a package name or an advisory.
type via struct {
	pkg string
	adv *advisory
}

func (n node) vias() ([]via, error) {
	out := make([]via, 0, len(n.Via))
	for _, raw := range n.Via {
		var v via
		if err := json.Unmarshal(raw, &v.pkg); err != nil {
			v.adv = &advisory{}
			if err := json.Unmarshal(raw, v.adv); err != nil {
				return nil, errors.New("an element of via is neither a package name nor an advisory")
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// fix is the node's fixAvailable when it names a package to update.
func (n node) fix() (name, version string, ok bool) {
	var f struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	// true, false or null: no package named
	if json.Unmarshal(n.FixAvailable, &f) != nil || string(n.FixAvailable) == "null" {
		return "", "", false
	}
	return f.Name, f.Version, true
}

func severity(s string) string {
	switch s {
	case "low":
		return findings.Low
	case "moderate":
		return findings.Medium
	case "high":
		return findings.High
	case "critical":
		return findings.Critical
	}
	return findings.Info
}

// finding maps one node; lookup reads another node by its key.
func finding(n node, lookup func(string) (node, error)) (findings.Finding, error) {
	vias, err := n.vias()
	if err != nil {
		return findings.Finding{}, err
	}
	if len(vias) == 0 {
		return findings.Finding{}, errors.New("via is empty: no advisory or package says why it is vulnerable")
	}
	f := findings.Finding{
		Severity: severity(n.Severity), Impact: "No impact provided", StaticFinding: true, NbOccurences: 1,
		Mitigation: "No specific mitigation provided by tool.",
	}
	if name, version, ok := n.fix(); ok {
		f.Mitigation = fmt.Sprintf("Update %s to version %s", name, version)
	}
	var refs []string
	if first := vias[0]; first.adv == nil {
		f.Title, f.ComponentName, f.CWE = n.Name, n.Name, 1035
	} else {
		if len(n.Nodes) == 0 {
			return findings.Finding{}, errors.New("its advisory has no nodes (paths in node_modules)")
		}
		f.Title, f.ComponentName = first.adv.Title, n.Nodes[0]
		if len(first.adv.CWE) > 0 {
			_, num, _ := strings.Cut(first.adv.CWE[0], "-")
			f.CWE, _ = strconv.Atoi(num)
		}
		refs = append(refs, first.adv.URL)
		f.VulnIDFromTool = source(first.adv.Source)
		for _, v := range vias[1:] {
			if v.adv != nil {
				refs = append(refs, v.adv.URL)
			}
		}
	}
	f.References = strings.Join(refs, ", ")
	f.Description, err = description(n, vias, lookup)
	return f, err
}

// source is an advisory's id as text (npm writes a number).
func source(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// description is the node, its advisories and paths, and the packages it
// affects (two levels deep), as DefectDojo's parser writes them.
func description(n node, vias []via, lookup func(string) (node, error)) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\nSeverity: %s\n", n.Name, n.Range, n.Severity)
	for _, v := range vias {
		if v.adv == nil {
			fmt.Fprintf(&b, "Depends on vulnerable versions of %s\n", v.pkg)
		} else {
			fmt.Fprintf(&b, "%s - %s\n", v.adv.Title, v.adv.URL)
		}
	}
	if name, version, ok := n.fix(); ok {
		fmt.Fprintf(&b, "Fix Available: Update %s to version %s\n", name, version)
	} else {
		b.WriteString("No specific mitigation provided by tool.\n")
	}
	for _, p := range n.Nodes {
		b.WriteString(p + "\n")
	}
	var handled []string
	for _, key := range n.Effects {
		e, err := lookup(key)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "  %s %s\n", e.Name, e.Range)
		handled = append(handled, e.Name)
		evias, err := e.vias()
		if err != nil {
			return "", err
		}
		for _, ev := range evias {
			name := ev.pkg
			if ev.adv != nil {
				name = ev.adv.Name
			}
			if name != e.Name {
				fmt.Fprintf(&b, "  Depends on vulnerable versions of %s\n", name)
			}
		}
		for _, p := range e.Nodes {
			b.WriteString("  " + p + "\n")
		}
		for _, key := range e.Effects {
			if contains(handled, key) {
				continue
			}
			ee, err := lookup(key)
			if err != nil {
				return "", err
			}
			fmt.Fprintf(&b, "    %s %s\n", ee.Name, ee.Range)
			// DefectDojo's parser lists the affected package's paths here
			// again, not its dependent's.
			for _, p := range e.Nodes {
				b.WriteString("    " + p + "\n")
			}
		}
	}
	return b.String(), nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
