// Package gitlabreport parses the JSON security reports of GitLab's
// analyzers (report schemas v14 and v15: a list of vulnerabilities and the
// scan that found them) for DefectDojo's five GitLab scan types: "GitLab
// SAST Report", "GitLab Secret Detection Report", "GitLab Dependency
// Scanning Report", "GitLab Container Scan" and "GitLab DAST Report". The
// reports share one schema; DefectDojo maps each type differently, so each
// has its own Parser here, mapping as DefectDojo's parser of that type does.
package gitlabreport

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/jsonstream"
)

// vulnerability is one entry of a report's vulnerabilities list, with the
// fields any of the five mappings reads. A pointer is nil where the report
// leaves the key out (DefectDojo's parsers test for the key).
type vulnerability struct {
	ID                   *string      `json:"id"`
	CVE                  string       `json:"cve"`
	Name                 *string      `json:"name"`
	Message              *string      `json:"message"`
	Description          *string      `json:"description"`
	Severity             *string      `json:"severity"`
	Solution             *string      `json:"solution"`
	RawSourceCodeExtract *string      `json:"raw_source_code_extract"`
	DiscoveredAt         string       `json:"discovered_at"`
	Location             location     `json:"location"`
	Identifiers          []identifier `json:"identifiers"`
	Links                []struct {
		URL string `json:"url"`
	} `json:"links"`
}

type location struct {
	File       *string     `json:"file"`
	StartLine  *lineNumber `json:"start_line"`
	EndLine    *lineNumber `json:"end_line"`
	Dependency struct {
		Package struct {
			Name *string `json:"name"`
		} `json:"package"`
		Version *string `json:"version"`
	} `json:"dependency"`
}

// identifier is one of a vulnerability's identifiers (CWE, CVE, the
// analyzer's rule id…).
type identifier struct {
	Type  string  `json:"type"`
	Name  string  `json:"name"`
	Value scalar  `json:"value"`
	URL   *string `json:"url"`
}

// scalar is an identifier's value, which reports write as a string or a
// number ("79" or 79), kept as its text the way Python prints it.
type scalar struct {
	Text   string
	Number bool // a JSON number, not a string
	Null   bool // null or absent
}

func (s *scalar) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*s = scalar{Text: "None", Null: true}
	case b[0] == '"':
		*s = scalar{}
		return json.Unmarshal(b, &s.Text)
	case string(b) == "true" || string(b) == "false":
		*s = scalar{Text: strings.ToUpper(string(b[:1])) + string(b[1:])}
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		*s = scalar{Text: string(b), Number: true}
	default:
		return &json.UnmarshalTypeError{Value: "object or array", Type: reflect.TypeFor[string](),
			Field: "identifiers.value"}
	}
	return nil
}

// truthy is Python's truth of the value: not None, not "", not 0.
func (s scalar) truthy() bool {
	if s.Null || s.Text == "" {
		return false
	}
	if s.Number {
		f, err := strconv.ParseFloat(s.Text, 64)
		return err != nil || f != 0
	}
	return true
}

// lineNumber is a line, which some reports write as a string of digits.
type lineNumber int

func (n *lineNumber) UnmarshalJSON(b []byte) error {
	var s string
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	} else {
		s = string(b)
	}
	v, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return &json.UnmarshalTypeError{Value: "line " + strconv.Quote(s), Type: reflect.TypeFor[int](),
			Field: "location.start_line"}
	}
	*n = lineNumber(v)
	return nil
}

// scan is what a report says of the scan that every finding uses: the
// scanner's name (nil when the report names none) and when it ended.
type scan struct {
	scannerName *string
	end         time.Time
}

type rawScan struct {
	Scanner struct {
		Name *string `json:"name"`
	} `json:"scanner"`
	EndTime string `json:"end_time"`
}

// stream reads a report, calling each with every vulnerability, in order,
// and the report's scan. GitLab's analyzers write the scan after the
// vulnerabilities, and findings need it (their date, their scanner's
// name): the vulnerabilities read before it are spooled to a temporary
// file until it comes (or the report ends without one), so memory holds
// one at a time. want says what the parser reads, for the errors.
func stream(r io.Reader, want string, each func(vulnerability, scan) error) error {
	d := jsonstream.New(r)
	var sc scan
	scanRead, listRead := false, false
	var early jsonstream.Spool
	defer early.Close()
	n := 0
	decodeAndEach := func(d *jsonstream.Decoder) error {
		var v vulnerability
		if err := d.Decode(&v); err != nil {
			return fmt.Errorf("vulnerability %d: %w", n, err)
		}
		n++
		return each(v, sc)
	}
	err := d.Object(false, func(key string) error {
		switch key {
		case "scan":
			var raw rawScan
			if err := d.Decode(&raw); err != nil {
				return fmt.Errorf("scan: %w", err)
			}
			sc, scanRead = scan{scannerName: raw.Scanner.Name, end: parseTime(raw.EndTime)}, true
			return early.Each(decodeAndEach)
		case "vulnerabilities":
			listRead = true
			return d.Array(false, func() error {
				if !scanRead {
					return early.Keep(d)
				}
				return decodeAndEach(d)
			})
		}
		return d.Skip()
	})
	if err != nil {
		return jsonstream.FormatError(err, want)
	}
	if !listRead {
		return fmt.Errorf("%w: %s: the report has no \"vulnerabilities\" list", findings.ErrFormat, want)
	}
	return jsonstream.FormatError(early.Each(decodeAndEach), want)
}

// parseTime reads the report's times ("2021-04-23T15:46:40.615",
// "2021-06-02T09:13:09", RFC 3339); zero when it cannot.
func parseTime(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// str is the string p points to, or "".
func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// scannerLine opens the descriptions of SAST, dependency scanning and
// DAST findings: "Scanner: <the scan's scanner>", or unknown.
func scannerLine(sc scan, unknown string) string {
	if sc.scannerName == nil {
		return "Scanner: " + unknown + "\n"
	}
	return "Scanner: " + *sc.scannerName + "\n"
}

// repeatKey identifies a finding DefectDojo's parser merges with the
// others of its report that have the same parts (a hash: the parts may be
// long).
func repeatKey(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:])
}

// cweNumber reads a CWE identifier's value, "79", 79 or "CWE-79"; 0 if
// it is none of them.
func cweNumber(v scalar) int {
	if n, err := strconv.Atoi(v.Text); err == nil && n > 0 {
		return n
	}
	return findings.ParseCWE(v.Text)
}
