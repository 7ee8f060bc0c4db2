// Package detectsecrets parses Yelp detect-secrets' JSON reports (scan
// type "Detect-secrets Scan"): a baseline (detect-secrets scan >
// .secrets.baseline), each file's potential secrets, with what an audit
// said of them. A baseline holds no secret, only its SHA-1, which no
// finding keeps.
package detectsecrets

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/jsonstream"
)

// Parser is the "Detect-secrets Scan" parser.
type Parser struct{}

// ScanType implements findings.Parser.
func (Parser) ScanType() string { return "Detect-secrets Scan" }

const want = "detect-secrets wants its JSON report (detect-secrets scan > .secrets.baseline)"

// result is one potential secret. IsSecret is what an audit said (absent
// before any); IsVerified whether detect-secrets checked it works.
type result struct {
	Type         string `json:"type"`
	Filename     string `json:"filename"`
	HashedSecret string `json:"hashed_secret"`
	IsVerified   *bool  `json:"is_verified"`
	LineNumber   int    `json:"line_number"`
	IsSecret     *bool  `json:"is_secret"`
}

// Stream implements findings.Parser, one result at a time. Every finding
// is dated generated_at; results listed before it (as detect-secrets
// writes them) are spooled until it is read. The same secret at the same
// line of a file, found again, is one finding.
func (Parser) Stream(r io.Reader, emit func(findings.Finding) error) error {
	d := jsonstream.New(r)
	var date time.Time
	var dated, hasResults bool
	var early jsonstream.Spool
	defer early.Close()
	emitSpooled := func(d *jsonstream.Decoder) error {
		var res result
		if err := d.Decode(&res); err != nil {
			return err
		}
		return emit(finding(res, date))
	}
	n := 0
	err := d.Object(false, func(key string) error {
		switch key {
		case "generated_at":
			var raw string
			if err := d.Decode(&raw); err != nil {
				return err
			}
			date, dated = parseDate(raw), true
			return early.Each(emitSpooled)
		case "results":
			hasResults = true
			return d.Object(false, func(file string) error {
				return d.Array(true, func() error {
					n++
					res, err := read(d, file, n)
					switch {
					case err != nil:
						return err
					case !dated:
						return keep(&early, res)
					}
					return emit(finding(res, date))
				})
			})
		}
		return d.Skip()
	})
	if err == nil && !hasResults {
		return fmt.Errorf("%w: %s; the report has no results", findings.ErrFormat, want)
	}
	if err == nil {
		err = early.Each(emitSpooled)
	}
	return jsonstream.FormatError(err, want)
}

// read reads the nth result, listed under file (its file unless it
// names one).
func read(d *jsonstream.Decoder, file string, n int) (result, error) {
	var res result
	if err := d.Decode(&res); err != nil {
		return res, err
	}
	if res.Type == "" {
		return res, fmt.Errorf("%w: %s; result %d (of %q) has no type", findings.ErrFormat, want, n, file)
	}
	if res.Filename == "" {
		res.Filename = file
	}
	return res, nil
}

// keep spools a result read before the report's date.
func keep(s *jsonstream.Spool, res result) error {
	text, err := json.Marshal(res)
	if err != nil {
		return err
	}
	return s.Keep(jsonstream.New(bytes.NewReader(text)))
}

func finding(res result, date time.Time) findings.Finding {
	description := fmt.Sprintf("Detected potential secret with the following related data:\n**Filename:** %s\n**Line:** %d\n**Type:** %s",
		res.Filename, res.LineNumber, res.Type)
	// An audit's "not a secret" is a false positive; before any audit, a
	// potential secret is active.
	audited := res.IsSecret != nil
	return findings.Finding{
		Title: res.Type, Description: description, Severity: findings.High, CWE: 798,
		FilePath: res.Filename, Line: res.LineNumber, Date: date, NbOccurences: 1,
		Verified: res.IsVerified, Active: findings.Bool(!audited || *res.IsSecret), FalsePositive: audited && !*res.IsSecret,
		// DefectDojo's parser leaves these to its model's defaults.
		StaticFinding: false, DynamicFinding: true,
		RepeatKey: repeatKey(res.Type, res.Filename, strconv.Itoa(res.LineNumber), res.HashedSecret),
	}
}

// parseDate reads generated_at (detect-secrets writes it in UTC, "Z").
func parseDate(s string) time.Time {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// repeatKey is a result's repeat key.
func repeatKey(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:])
}
