// Package snyk parses Snyk CLI JSON reports (scan type "Snyk Scan"): snyk
// test --json for one project, --all-projects' list of projects, snyk
// container test --json, and Snyk Code's SARIF output (snyk code test
// --sarif), which DefectDojo's parser hands to its Snyk Code parser.
package snyk

import (
	"bufio"
	"fmt"
	"io"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/jsonstream"
)

// Parser is the "Snyk Scan" parser.
type Parser struct{}

// ScanType implements findings.Parser.
func (Parser) ScanType() string { return "Snyk Scan" }

const want = "snyk wants its JSON output (snyk test --json, snyk container test --json) or Snyk Code's SARIF (snyk code test --sarif)"

// Stream implements findings.Parser, one vulnerability or Snyk Code
// result at a time. A project's vulnerabilities need its
// displayTargetFile and remediation, which snyk writes after them: they
// are spooled until the project is read.
func (Parser) Stream(r io.Reader, emit func(findings.Finding) error) error {
	br := bufio.NewReader(r)
	first, err := firstByte(br)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", findings.ErrFormat, want, err)
	}
	d := jsonstream.New(br)
	i := 0
	each := func() error {
		i++
		return streamTree(d, i-1, emit)
	}
	if first == '[' { // --all-projects
		err = d.Array(false, each)
	} else {
		err = each()
	}
	return jsonstream.FormatError(err, want)
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

// project is what a project's vulnerabilities are mapped with.
type project struct {
	targetFile string
	upgrades   []upgrade // in the report's order
}

// upgrade is one entry of remediation.upgrade: upgrading from (a
// package@version) to UpgradeTo fixes the packages Upgrades lists.
type upgrade struct {
	from      string
	UpgradeTo string   `json:"upgradeTo"`
	Upgrades  []string `json:"upgrades"`
}

// streamTree reads one project (or Snyk Code SARIF log); n is its place
// in an --all-projects list.
func streamTree(d *jsonstream.Decoder, n int, emit func(findings.Finding) error) error {
	var p project
	var vulns jsonstream.Spool
	defer vulns.Close()
	hasVulns, hasRuns := false, false
	err := d.Object(false, func(key string) error {
		switch key {
		case "vulnerabilities":
			hasVulns = true
			return d.Array(true, func() error { return vulns.Keep(d) })
		case "displayTargetFile":
			var target *string
			if err := d.Decode(&target); err != nil {
				return err
			}
			if target != nil {
				p.targetFile = *target
			}
			return nil
		case "remediation":
			return d.Object(true, func(key string) error {
				if key != "upgrade" {
					return d.Skip()
				}
				return d.Object(true, func(from string) error {
					u := upgrade{from: from}
					if err := d.Decode(&u); err != nil {
						return err
					}
					p.upgrades = append(p.upgrades, u)
					return nil
				})
			})
		case "runs":
			hasRuns = true
			first := true
			return d.Array(true, func() error {
				if !first { // DefectDojo reads the first run only
					return d.Skip()
				}
				first = false
				return streamRun(d, emit)
			})
		}
		return d.Skip()
	})
	if err != nil {
		return err
	}
	if !hasVulns && !hasRuns {
		return fmt.Errorf("%w: %s: report %d has neither vulnerabilities nor runs", findings.ErrFormat, want, n)
	}
	i := 0
	return vulns.Each(func(d *jsonstream.Decoder) error {
		var v vulnerability
		if err := d.Decode(&v); err != nil {
			return err
		}
		i++
		f, err := v.finding(p)
		if err != nil {
			return fmt.Errorf("%w: %s: vulnerability %d: %w", findings.ErrFormat, want, i-1, err)
		}
		return emit(f)
	})
}

// streamRun emits the results of a Snyk Code SARIF run.
func streamRun(d *jsonstream.Decoder, emit func(findings.Finding) error) error {
	i := 0
	return d.Object(false, func(key string) error {
		if key != "results" {
			return d.Skip()
		}
		return d.Array(true, func() error {
			var r codeResult
			if err := d.Decode(&r); err != nil {
				return err
			}
			i++
			f, err := r.finding()
			if err != nil {
				return fmt.Errorf("%w: %s: Snyk Code result %d: %w", findings.ErrFormat, want, i-1, err)
			}
			return emit(f)
		})
	})
}
