// Package trivy parses Trivy JSON reports (scan type "Trivy Scan"): schema 2
// reports (trivy image/fs/repo/config --format json), the older top-level
// list of results, and Kubernetes reports (trivy k8s --format json: a
// ClusterName with Vulnerabilities and Misconfigurations lists of resources,
// or, from later versions, one Resources list), with their
// vulnerabilities, misconfigurations, secrets and licenses.
package trivy

import (
	"bufio"
	"encoding/json"
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

const want = "trivy wants its JSON output (trivy image|fs|config|k8s --format json)"

// Stream implements findings.Parser, one vulnerability, misconfiguration,
// secret or license at a time (a result of a large image lists thousands).
func (Parser) Stream(r io.Reader, emit func(findings.Finding) error) error {
	br := bufio.NewReader(r)
	first, err := firstByte(br)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", findings.ErrFormat, want, err)
	}
	d := jsonstream.New(br)
	results := func() error { return streamResult(d, "", first == '[', emit) }
	resources := func() error { return streamResource(d, emit) }
	switch first {
	case 'n': // the older format's empty report
		var null json.RawMessage
		if err := d.Decode(&null); err != nil || string(null) != "null" {
			return fmt.Errorf("%w: %s: the report is neither an object nor a list", findings.ErrFormat, want)
		}
		return nil
	case '[': // the older top-level list
		return jsonstream.FormatError(d.Array(false, results), want)
	}
	recognised := false
	err = d.Object(false, func(key string) error {
		var each func() error
		switch key {
		case "Results":
			each = results
		case "Vulnerabilities", "Misconfigurations", "Resources": // trivy k8s
			each = resources
		case "ClusterName":
			recognised = true
			return d.Skip()
		case "SchemaVersion":
			var v json.RawMessage
			if err := d.Decode(&v); err != nil {
				return err
			}
			recognised = recognised || string(v) == "2"
			return nil
		default:
			return d.Skip()
		}
		null, err := d.ArrayOrNull(each)
		recognised = recognised || !null
		return err
	})
	if err != nil {
		return jsonstream.FormatError(err, want)
	}
	if !recognised {
		return fmt.Errorf("%w: %s: the report has neither SchemaVersion 2 and Results, nor a ClusterName and its resources",
			findings.ErrFormat, want)
	}
	return nil
}

// The lists of a result, each item a finding.
const (
	vulnerabilities = iota
	misconfigurations
	secrets
	licenses
	nLists
)

var lists = map[string]int{"Vulnerabilities": vulnerabilities, "Misconfigurations": misconfigurations,
	"Secrets": secrets, "Licenses": licenses}

// target is what a result says of the findings it lists.
type target struct {
	Name, Class, Type string
	// Service names the Kubernetes resource of the result, if any.
	Service string
}

// untyped are the classes of results that have no Type.
var untyped = map[string]bool{"secret": true, "license": true, "license-file": true, "custom": true}

// streamResult reads one result (one target), emitting each finding as it
// is read once the target, class and type are known: trivy writes them
// first (the older format has no class; some classes no type); lists that
// come before them are spooled. A result without a Target is skipped, as
// DefectDojo skips it.
func streamResult(d *jsonstream.Decoder, service string, legacy bool, emit func(findings.Finding) error) error {
	t := target{Service: service}
	var seen struct{ target, class, typ bool }
	known := func() bool {
		return seen.target && (seen.class || legacy) && (seen.typ || untyped[t.Class])
	}
	var early [nLists]jsonstream.Spool
	for i := range early {
		defer early[i].Close()
	}
	err := d.Object(false, func(key string) error {
		list, isList := lists[key]
		switch {
		case key == "Target":
			seen.target = true
			return decodeString(d, &t.Name)
		case key == "Class":
			seen.class = true
			return decodeString(d, &t.Class)
		case key == "Type":
			seen.typ = true
			return decodeString(d, &t.Type)
		case isList:
			_, err := d.ArrayOrNull(func() error {
				if !known() {
					return early[list].Keep(d)
				}
				if !seen.target {
					return d.Skip()
				}
				return emitItem(d, list, t, emit)
			})
			return err
		}
		return d.Skip()
	})
	for list := range early {
		if err != nil {
			break
		}
		err = early[list].Each(func(d *jsonstream.Decoder) error {
			if !seen.target {
				return d.Skip()
			}
			return emitItem(d, list, t, emit)
		})
	}
	return err
}

// decodeString reads a string, or a null as "".
func decodeString(d *jsonstream.Decoder, s *string) error {
	var p *string
	if err := d.Decode(&p); err != nil {
		return err
	}
	if p != nil {
		*s = *p
	}
	return nil
}

// streamResource reads one Kubernetes resource: its results, whose
// findings carry the resource as their service, "namespace / kind / name"
// (trivy writes those before Results; results before them are spooled).
func streamResource(d *jsonstream.Decoder, emit func(findings.Finding) error) error {
	var namespace, kind, name string
	named := false
	var early jsonstream.Spool
	defer early.Close()
	service := func() string {
		var parts []string
		for _, p := range []string{namespace, kind, name} {
			if p != "" {
				parts = append(parts, p)
			}
		}
		return strings.Join(parts, " / ")
	}
	err := d.Object(false, func(key string) error {
		switch key {
		case "Namespace":
			return decodeString(d, &namespace)
		case "Kind":
			return decodeString(d, &kind)
		case "Name":
			named = true
			return decodeString(d, &name)
		case "Results":
			_, err := d.ArrayOrNull(func() error {
				if !named {
					return early.Keep(d)
				}
				return streamResult(d, service(), false, emit)
			})
			return err
		}
		return d.Skip()
	})
	if err != nil {
		return err
	}
	return early.Each(func(d *jsonstream.Decoder) error { return streamResult(d, service(), false, emit) })
}

// emitItem reads one item of a result's list and emits its finding; an
// item that is no object, or a vulnerability DefectDojo skips, is passed.
func emitItem(d *jsonstream.Decoder, list int, t target, emit func(findings.Finding) error) error {
	var raw json.RawMessage
	if err := d.Decode(&raw); err != nil {
		return err
	}
	if len(raw) == 0 || raw[0] != '{' {
		return nil
	}
	var f findings.Finding
	var ok bool
	var err error
	switch list {
	case vulnerabilities:
		f, ok, err = fromVulnerability(t, raw)
	case misconfigurations:
		f, ok, err = fromMisconfig(t, raw)
	case secrets:
		f, ok, err = fromSecret(t, raw)
	default:
		f, ok, err = fromLicense(t, raw)
	}
	if err != nil || !ok {
		return err
	}
	return emit(f)
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
