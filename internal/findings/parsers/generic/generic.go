// Package generic parses DefectDojo's own generic formats (scan type
// "Generic Findings Import"): the JSON {"findings": [...]} of Finding
// fields, and the CSV with a header row of DefectDojo's columns (Date,
// Title, CweId, Url, Severity, Description, Mitigation, Impact,
// References, Active, Verified, FalsePositive, Duplicate, and the
// optional ones).
package generic

import (
	"bufio"
	"io"
	"strings"
	"time"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/dates"
)

// Parser is the "Generic Findings Import" parser.
type Parser struct{}

// ScanType implements findings.Parser.
func (Parser) ScanType() string { return "Generic Findings Import" }

// Stream implements findings.Parser. DefectDojo picks JSON or CSV by the
// file's extension; the parser sees only the bytes, so the first that is
// not white space decides: '{' or '[' is JSON, anything else CSV (an
// empty report is a CSV without rows: no findings).
func (Parser) Stream(r io.Reader, emit func(findings.Finding) error) error {
	br := bufio.NewReader(r)
	if bom, _ := br.Peek(3); string(bom) == "\xef\xbb\xbf" {
		_, _ = br.Discard(3)
	}
	first := firstByte(br)
	if first == '{' || first == '[' {
		return streamJSON(br, emit)
	}
	return streamCSV(br, emit)
}

// firstByte skips white space and peeks at the byte after it, 0 if none.
func firstByte(br *bufio.Reader) byte {
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0
		}
		if b != ' ' && b != '\t' && b != '\n' && b != '\r' {
			_ = br.UnreadByte()
			return b
		}
	}
}

// day is the calendar date of a report's date, as DefectDojo stores it.
func day(s string) (time.Time, bool) {
	t, ok := dates.Parse(s)
	if !ok {
		return time.Time{}, false
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), true
}

// severity is DefectDojo's severity word of a JSON finding's (which
// DefectDojo stores as written): "high" is High, an unknown word Info.
func severity(s string) string { return findings.NormalizeSeverity(s) }

// cweNumber reads a CWE as DefectDojo's cwe_number does: "CWE-79",
// "cwe79" or "79".
func cweNumber(s string) int {
	s = strings.TrimSpace(s)
	if n := findings.ParseCWE(s); n > 0 {
		return n
	}
	return findings.ParseCWE("CWE-" + s)
}
