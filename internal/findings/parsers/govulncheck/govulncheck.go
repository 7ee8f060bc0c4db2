// Package govulncheck parses govulncheck JSON output (scan type
// "Govulncheck Scanner", govulncheck -json): the stream of messages of
// govulncheck ≥ 1.0 (one JSON object after another, or the same objects
// in a list), one finding per OSV entry, and the single object of older
// versions, one finding per run of vulnerabilities with one alias, as
// DefectDojo's parser maps them.
package govulncheck

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/jsonstream"
)

// Parser is the "Govulncheck Scanner" parser.
type Parser struct{}

// ScanType implements findings.Parser.
func (Parser) ScanType() string { return "Govulncheck Scanner" }

const want = "govulncheck wants its JSON output (govulncheck -json ./...)"

// The top-level keys of the two formats, and of SARIF (govulncheck
// -format sarif), which another scan type reads.
var (
	messageKeys = map[string]bool{"config": true, "progress": true, "osv": true, "finding": true, "SBOM": true}
	legacyKeys  = map[string]bool{"Calls": true, "Imports": true, "Requires": true, "Vulns": true, "Modules": true}
	sarifKeys   = map[string]bool{"$schema": true, "runs": true}
)

// errSARIF is a govulncheck SARIF report given to this scan type.
var errSARIF = fmt.Errorf("%w: this is a SARIF report (govulncheck -format sarif): import it with scan type SARIF, "+
	"or give this scan type govulncheck's JSON output (govulncheck -json ./...)", findings.ErrFormat)

// Stream implements findings.Parser. The messages' findings (traces) give
// each OSV entry's affected version and traces, and may come after it:
// the entries and traces are spooled to temporary files and the entries
// emitted, one at a time, once the report is read. The older format's
// call graph is kept in a temporary file too.
func (Parser) Stream(r io.Reader, emit func(findings.Finding) error) error {
	br := bufio.NewReader(r)
	first, err := firstByte(br)
	if err != nil {
		return fmt.Errorf("%w: %s: the report is empty: %w", findings.ErrFormat, want, err)
	}
	s := &scan{}
	defer s.close()
	d := jsonstream.New(br)
	if first == '[' {
		err = d.Array(false, func() error { return d.Object(false, s.messageKey(d)) })
	} else {
		for err == nil && d.More() {
			err = d.Object(false, s.messageKey(d))
		}
	}
	switch {
	case errors.Is(err, errSARIF):
		return err
	case err != nil:
		return jsonstream.FormatError(err, want)
	case s.legacy:
		if !s.hasVulns {
			return fmt.Errorf("%w: %s: the report has no Vulns", findings.ErrFormat, want)
		}
		return s.emitLegacy(emit)
	case !s.messages && first != '[':
		return fmt.Errorf("%w: %s: the report holds no govulncheck message (config, osv, finding…)", findings.ErrFormat, want)
	}
	return s.emitEntries(emit)
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

// scan is what the report's read parts leave for the findings.
type scan struct {
	messages, legacy bool
	// The messages: OSV entries, and the traces of the findings.
	entries jsonstream.Spool
	traces  traceFile
	// The older format.
	hasVulns bool
	vulns    jsonstream.Spool
	funcs    funcIndex
	modules  map[string]string // module id → version
}

func (s *scan) close() {
	s.entries.Close()
	s.traces.close()
	s.vulns.Close()
	s.funcs.close()
}

// messageKey reads one key of a top-level object: a message's, or the
// older format's.
func (s *scan) messageKey(d *jsonstream.Decoder) func(string) error {
	return func(key string) error {
		switch {
		case sarifKeys[key]:
			return errSARIF
		case messageKeys[key]:
			s.messages = true
		case legacyKeys[key]:
			s.legacy = true
		}
		switch key {
		case "osv":
			return s.entries.Keep(d)
		case "finding":
			var f finding
			if err := d.Decode(&f); err != nil {
				return err
			}
			return s.traces.add(f)
		case "Vulns":
			s.hasVulns = true
			return d.Array(true, func() error { return s.vulns.Keep(d) })
		case "Calls":
			return d.Object(true, func(key string) error {
				if key != "Functions" {
					return d.Skip()
				}
				return d.Object(true, func(id string) error { return s.funcs.add(d, id) })
			})
		case "Requires":
			return d.Object(true, func(key string) error {
				if key != "Modules" {
					return d.Skip()
				}
				return d.Object(true, func(id string) error {
					var m struct {
						Version string `json:"Version"`
					}
					if err := d.Decode(&m); err != nil {
						return err
					}
					if s.modules == nil {
						s.modules = map[string]string{}
					}
					s.modules[id] = m.Version
					return nil
				})
			})
		}
		return d.Skip()
	}
}

// text is a JSON value as Python's str() writes it: a string itself,
// anything else its JSON text.
func text(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// uniqueAppend appends the items of add not in list yet, in order.
func uniqueAppend(list []string, add ...string) []string {
	for _, a := range add {
		seen := false
		for _, x := range list {
			if x == a {
				seen = true
				break
			}
		}
		if !seen {
			list = append(list, a)
		}
	}
	return list
}
