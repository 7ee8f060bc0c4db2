// Package checkov parses Checkov JSON reports (scan type "Checkov Scan"):
// one check type's report, a list of them (checkov run on several
// frameworks), or the bare summary checkov prints when it found nothing
// to check.
package checkov

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/jsonstream"
)

// Parser is the "Checkov Scan" parser.
type Parser struct{}

// ScanType implements findings.Parser.
func (Parser) ScanType() string { return "Checkov Scan" }

const want = "checkov wants its JSON output (checkov -o json): one check type's object or a list of them"

type check struct {
	CheckID       string  `json:"check_id"`
	CheckName     *string `json:"check_name"`
	FilePath      string  `json:"file_path"`
	FileLineRange []int   `json:"file_line_range"`
	Resource      string  `json:"resource"`
	Severity      *string `json:"severity"`
	Guideline     string  `json:"guideline"`
}

// Stream implements findings.Parser, one failed check at a time.
func (Parser) Stream(r io.Reader, emit func(findings.Finding) error) error {
	br := bufio.NewReader(r)
	first, err := firstByte(br)
	if err == io.EOF {
		return fmt.Errorf("%w: %s: the report is empty", findings.ErrFormat, want)
	} else if err != nil {
		return fmt.Errorf("reading the checkov report: %w", err)
	}
	d := jsonstream.New(br)
	if first == '[' {
		i := 0
		err = d.Array(false, func() error {
			i++
			return streamReport(d, fmt.Sprintf("check type %d of the list", i), emit)
		})
	} else {
		err = streamReport(d, "the report", emit)
	}
	return jsonstream.FormatError(err, want)
}

// streamReport reads one check type's object: its failed checks become
// findings, described with the object's check_type. checkov writes
// check_type first; failed checks read before it are spooled.
func streamReport(d *jsonstream.Decoder, name string, emit func(findings.Finding) error) error {
	var checkType string
	typed, recognised := false, false
	var early jsonstream.Spool
	defer early.Close()
	err := d.Object(false, func(key string) error {
		switch key {
		case "check_type":
			typed, recognised = true, true
			var s *string
			if err := d.Decode(&s); err != nil {
				return err
			}
			if s != nil {
				checkType = *s
			}
			return early.Each(func(d *jsonstream.Decoder) error { return decodeAndEmit(d, checkType, emit) })
		case "results":
			recognised = true
			return d.Object(true, func(key string) error {
				if key != "failed_checks" {
					return d.Skip()
				}
				return d.Array(true, func() error {
					if !typed {
						return early.Keep(d)
					}
					return decodeAndEmit(d, checkType, emit)
				})
			})
		case "summary", "checkov_version":
			// The summary alone is checkov's report of a directory with
			// nothing to check.
			recognised = true
		}
		return d.Skip()
	})
	if err != nil {
		return err
	}
	if !recognised {
		return fmt.Errorf("%w: %s: %s has none of check_type, results or summary", findings.ErrFormat, want, name)
	}
	return early.Each(func(d *jsonstream.Decoder) error { return decodeAndEmit(d, checkType, emit) })
}

func decodeAndEmit(d *jsonstream.Decoder, checkType string, emit func(findings.Finding) error) error {
	var c check
	if err := d.Decode(&c); err != nil {
		return err
	}
	return emit(finding(c, checkType))
}

// finding maps a failed check as DefectDojo does: the check's name is the
// title, Medium unless checkov gives a severity (its platform's checks
// do), the first line of the range the line.
func finding(c check, checkType string) findings.Finding {
	title := "check_name not found"
	var d strings.Builder
	fmt.Fprintf(&d, "Check Type: %s\n", checkType)
	if c.CheckID != "" {
		fmt.Fprintf(&d, "Check Id: %s\n", c.CheckID)
	}
	if c.CheckName != nil {
		title = *c.CheckName
		fmt.Fprintf(&d, "%s\n", *c.CheckName)
	}
	severity := findings.Medium
	if c.Severity != nil {
		severity = findings.NormalizeSeverity(*c.Severity)
	}
	f := findings.Finding{
		Title: title, Description: d.String(), Severity: severity, References: c.Guideline,
		FilePath: c.FilePath, ComponentName: c.Resource, StaticFinding: true, NbOccurences: 1,
	}
	if len(c.FileLineRange) > 0 {
		f.Line = c.FileLineRange[0]
	}
	return f
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
