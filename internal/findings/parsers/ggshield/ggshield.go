// Package ggshield parses GitGuardian ggshield's JSON reports (scan type
// "Ggshield Scan"): a commit range's (ggshield secret scan commit-range
// --json), each commit's incidents with its author and date, and a path
// scan's (ggshield secret scan path --json), its incidents without a
// commit. Every match is redacted before its finding is emitted.
package ggshield

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/jsonstream"
	"github.com/secbot/secbot/internal/redact"
)

// Parser is the "Ggshield Scan" parser.
type Parser struct{}

// ScanType implements findings.Parser.
func (Parser) ScanType() string { return "Ggshield Scan" }

const want = "ggshield wants its JSON report (ggshield secret scan commit-range … --json)"

// commit is what a scan says of its commit; its findings carry it.
type commit struct {
	ID        string `json:"id"`
	ExtraInfo struct {
		Author string `json:"author"`
		Email  string `json:"email"`
		Date   string `json:"date"`
	} `json:"extra_info"`
	TotalIncidents *int `json:"total_incidents"`
}

// entity is one file's incidents.
type entity struct {
	Filename  string `json:"filename"`
	Incidents []struct {
		Type        string `json:"type"`
		Occurrences []struct {
			Match     string `json:"match"`
			Type      string `json:"type"`
			LineStart *int   `json:"line_start"`
			LineEnd   *int   `json:"line_end"`
		} `json:"occurrences"`
	} `json:"incidents"`
}

// Stream implements findings.Parser, one file's incidents at a time. A
// commit's files may come before what the report says of the commit:
// they are spooled until its end. Only commits with incidents count
// (total_incidents above 0), as DefectDojo reads them. The same match at
// the same lines of one secret type and file is one finding.
func (Parser) Stream(r io.Reader, emit func(findings.Finding) error) error {
	d := jsonstream.New(r)
	found := false
	err := d.Object(false, func(key string) error {
		switch key {
		case "scans":
			found = true
			return d.Array(false, func() error { return streamScan(d, emit) })
		case "entities_with_incidents": // a path scan: no commits
			found = true
			return d.Array(true, func() error { return streamEntity(d, &commit{}, emit) })
		}
		return d.Skip()
	})
	if err != nil {
		return jsonstream.FormatError(err, want)
	}
	if !found {
		return fmt.Errorf("%w: %s; the report has no scans", findings.ErrFormat, want)
	}
	return nil
}

// streamScan reads one commit's scan.
func streamScan(d *jsonstream.Decoder, emit func(findings.Finding) error) error {
	var c commit
	var seenID, seenInfo bool
	var early jsonstream.Spool
	defer early.Close()
	err := d.Object(false, func(key string) error {
		switch key {
		case "id":
			seenID = true
			return d.Decode(&c.ID)
		case "extra_info":
			seenInfo = true
			return d.Decode(&c.ExtraInfo)
		case "total_incidents":
			return d.Decode(&c.TotalIncidents)
		case "entities_with_incidents":
			return d.Array(true, func() error {
				switch {
				case !seenID || !seenInfo || c.TotalIncidents == nil:
					return early.Keep(d)
				case *c.TotalIncidents <= 0:
					return d.Skip()
				}
				return streamEntity(d, &c, emit)
			})
		}
		return d.Skip()
	})
	if err != nil || (c.TotalIncidents != nil && *c.TotalIncidents <= 0) {
		return err
	}
	return early.Each(func(d *jsonstream.Decoder) error { return streamEntity(d, &c, emit) })
}

func streamEntity(d *jsonstream.Decoder, c *commit, emit func(findings.Finding) error) error {
	var e entity
	if err := d.Decode(&e); err != nil {
		return err
	}
	date := commitDate(c.ExtraInfo.Date)
	for _, inc := range e.Incidents {
		for _, o := range inc.Occurrences {
			if err := emit(finding(c, date, e.Filename, inc.Type, o.Match, o.Type, o.LineStart, o.LineEnd)); err != nil {
				return err
			}
		}
	}
	return nil
}

func finding(c *commit, date time.Time, file, keyType, match, matchType string, start, end *int) findings.Finding {
	title := fmt.Sprintf("Hard coded %s found in %s", keyType, file)
	var d strings.Builder
	field := func(name, value string) {
		if value != "" {
			fmt.Fprintf(&d, "**%s:** %s\n", name, value)
		}
	}
	// The match is the secret, or ggshield's partly masked copy of it: the
	// marker stands in its place.
	if match != "" {
		field("Secret", redact.Marker)
	}
	field("Type", matchType)
	field("File path", file)
	field("Commit hash", c.ID)
	field("Start line", lineText(start))
	field("End line", lineText(end))
	if !date.IsZero() {
		field("Commit date", date.Format(time.DateOnly))
	}
	field("Key type", keyType)
	field("Author", c.ExtraInfo.Author)
	field("Email", c.ExtraInfo.Email)
	line := 0
	if start != nil {
		line = *start
	}
	f := findings.Finding{
		Title: title, Description: strings.TrimSuffix(d.String(), "\n"), Severity: findings.High, CWE: 798,
		FilePath: file, Line: line, Date: date, StaticFinding: true, NbOccurences: 1,
		RepeatKey: repeatKey(title, match, keyLine(start), keyLine(end)),
	}
	match = findings.BeforeTruncation(match)
	f.RedactSecret(match)
	f.RedactSecret(strings.ReplaceAll(match, "*", "-"))
	return f
}

// lineText is a line number as the description gives it: nothing when
// it is absent or 0, as DefectDojo leaves out a line it reads as false.
func lineText(n *int) string {
	if n == nil || *n == 0 {
		return ""
	}
	return strconv.Itoa(*n)
}

// keyLine is a line number as the repeat key has it (Python's str()).
func keyLine(n *int) string {
	if n == nil {
		return "None"
	}
	return strconv.Itoa(*n)
}

// dateLayouts are the forms of a commit's date: git's default (what
// ggshield writes), and ISO 8601's.
var dateLayouts = []string{"Mon Jan _2 15:04:05 2006 -0700", time.RFC3339, "2006-01-02 15:04:05 -0700", "2006-01-02T15:04:05", "2006-01-02"}

// commitDate is the day of a commit's date, as written (in the
// committer's time zone); zero when it is none of dateLayouts.
func commitDate(s string) time.Time {
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		}
	}
	return time.Time{}
}

// repeatKey is an occurrence's repeat key: a hash, so the match it is
// made of is not kept.
func repeatKey(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:])
}
