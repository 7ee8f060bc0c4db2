// Package trufflehog parses trufflehog's JSON lines output (scan type
// "Trufflehog Scan"): trufflehog v3's (trufflehog git|github|filesystem …
// --json) and v2's (trufflehog --json). Each line is one secret found;
// every secret is redacted before its finding is emitted.
package trufflehog

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/jsonstream"
	"github.com/secbot/secbot/internal/redact"
)

// Parser is the "Trufflehog Scan" parser.
type Parser struct{}

// ScanType implements findings.Parser.
func (Parser) ScanType() string { return "Trufflehog Scan" }

// want is what a report that cannot be read is told.
const want = "trufflehog wants its JSON lines output (trufflehog v3 … --json, or v2 --json), one secret a line"

// line holds a line of either version; SourceMetadata marks v3's, path
// v2's. (Their keys do not collide, even as encoding/json matches them,
// case-insensitively.)
type line struct {
	// v3
	SourceMetadata json.RawMessage
	DetectorName   string
	Verified       bool
	Raw            string
	RawV2          string
	Redacted       string
	ExtraData      json.RawMessage
	StructuredData json.RawMessage
	// v2
	Path         *string  `json:"path"`
	Reason       string   `json:"reason"`
	Commit       string   `json:"commit"`
	CommitHash   string   `json:"commitHash"`
	Date         string   `json:"date"`
	Branch       string   `json:"branch"`
	StringsFound []string `json:"stringsFound"`
}

// Stream implements findings.Parser, one line at a time. A secret found
// again at the same place is one finding (DefectDojo's parser appends the
// repeat's description and counts it): each is emitted with a repeat key
// and the import merges them. An empty report is no findings.
func (Parser) Stream(r io.Reader, emit func(findings.Finding) error) error {
	d := jsonstream.New(r)
	n := 0
	err := d.Values(func() error {
		n++
		var l line
		if err := d.Decode(&l); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		switch {
		case l.SourceMetadata != nil:
			f, err := v3(l)
			if err != nil {
				return fmt.Errorf("line %d: %w", n, err)
			}
			return emit(f)
		case l.Path != nil:
			return emit(v2(l))
		}
		return fmt.Errorf("%w: %s; line %d has neither SourceMetadata (v3) nor path (v2)", findings.ErrFormat, want, n)
	})
	return jsonstream.FormatError(err, want)
}

// Descriptions are DefectDojo's without their final newline; a repeat's
// follows the first's after one, as DefectDojo joins them.
const repeatSeparator = "\n"

// Texts of every finding (DefectDojo's parser gives the same advice).
const (
	mitigation = "Revoke the secret and issue a new one, remove it from the code and its history, and keep secrets in a vault or secret store."
	impact     = "Whoever reads the secret gains the access it grants: to data, to services, possibly to run code."
)

func v2(l line) findings.Finding {
	file := *l.Path
	firstLine, _, _ := strings.Cut(l.Commit, "\n")
	var d strings.Builder
	fmt.Fprintf(&d, "**Commit:** %s\n```\n%s\n```\n", firstLine, strings.ReplaceAll(l.Commit, "```", "\\`\\`\\`"))
	fmt.Fprintf(&d, "**Commit Hash:** %s\n**Commit Date:** %s\n**Branch:** %s\n**Reason:** %s\n**Path:** %s\n",
		l.CommitHash, l.Date, l.Branch, l.Reason, file)
	// The strings found are the secrets: the marker stands in their place.
	d.WriteString("\n**Strings Found:**\n```")
	for range l.StringsFound {
		d.WriteString(redact.Marker + "\n")
	}
	d.WriteString("```")
	f := findings.Finding{
		Title: fmt.Sprintf("Hard Coded %s in: %s", l.Reason, file), Description: d.String(),
		Severity: severityV2(l.Reason), CWE: 798, FilePath: file, Mitigation: mitigation, Impact: impact,
		StaticFinding: true, NbOccurences: 1,
		RepeatKey: repeatKey("v2", file, l.Reason), RepeatSeparator: repeatSeparator,
	}
	for _, s := range l.StringsFound {
		f.RedactSecret(findings.BeforeTruncation(s))
	}
	return f
}

func severityV2(reason string) string {
	switch {
	case reason == "High Entropy":
		return findings.Info
	case strings.Contains(reason, "Oauth") || strings.Contains(reason, "AWS") || strings.Contains(reason, "Heroku"):
		return findings.Critical
	case reason == "Generic Secret":
		return findings.Medium
	}
	return findings.High
}

func v3(l line) (findings.Finding, error) {
	src, err := readSource(l.SourceMetadata)
	if err != nil {
		return findings.Finding{}, err
	}
	secrets := secretsOf(l.Raw, l.RawV2)
	contents := l.Redacted
	if revealsSecret(contents, secrets) {
		contents = redact.Marker
	}
	var d strings.Builder
	fmt.Fprintf(&d, "**Repository:** %s\n**Link:** %s\n**Commit Hash:** %s\n**Commit Date:** %s\n**Committer:** %s\n",
		src.Repository, src.Link, src.Commit, src.Timestamp, src.Email)
	fmt.Fprintf(&d, "**Reason:** %s\n**Path:** %s\n**Contents:** %s\n", l.DetectorName, src.File, contents)
	for _, part := range []struct {
		name string
		raw  json.RawMessage
	}{{"Structured Data", l.StructuredData}, {"Extra Data", l.ExtraData}} {
		if truthy(part.raw) {
			text, err := walkDict(part.raw, 1)
			if err != nil {
				return findings.Finding{}, fmt.Errorf("%s: %w", part.name, err)
			}
			fmt.Fprintf(&d, "**%s:**\n%s\n", part.name, text)
		}
	}
	mitigation := mitigation
	if src.Link != "" {
		mitigation += "\nSee the commit here: " + string(src.Link)
	}
	lineNo := src.Line.int()
	f := findings.Finding{
		Title:       fmt.Sprintf("Hard Coded %s secret in: %s", l.DetectorName, src.File),
		Description: strings.TrimSuffix(d.String(), "\n"), Severity: severityV3(l.DetectorName, l.Verified),
		CWE: 798, FilePath: string(src.File), Line: lineNo, Mitigation: mitigation, Impact: impact,
		StaticFinding: true, NbOccurences: 1, RepeatSeparator: repeatSeparator,
		RepeatKey: repeatKey("v3", string(src.File), l.DetectorName, strconv.Itoa(lineNo), string(src.Commit), l.Raw+l.RawV2),
	}
	for _, s := range secrets {
		f.RedactSecret(s)
	}
	return f, nil
}

func severityV3(detector string, verified bool) string {
	if !verified {
		switch {
		case strings.Contains(detector, "Oauth") || strings.Contains(detector, "AWS") || strings.Contains(detector, "Heroku"):
			return findings.Critical
		case detector == "PrivateKey":
			return findings.High
		case detector == "Generic Secret":
			return findings.Medium
		}
	}
	return findings.Critical
}

// secretsOf lists a v3 line's secrets as they may appear in its text:
// Raw and RawV2 as written and, where they are base64 (older v3 releases
// wrote them as bytes, which JSON carries in base64), decoded. Where the
// reader shortened one, the part it kept stands for it.
func secretsOf(raws ...string) []string {
	var out []string
	for _, raw := range raws {
		raw = findings.BeforeTruncation(raw)
		if raw == "" {
			continue
		}
		out = append(out, raw)
		if b, err := base64.StdEncoding.DecodeString(raw); err == nil && len(b) >= 4 && utf8.Valid(b) {
			out = append(out, string(b))
		}
	}
	return out
}

// revealsSecret reports whether trufflehog's Redacted text is (part of) a
// secret or holds one: for some detectors it is the secret itself (an AWS
// key id) or its first characters (a private key), not a masked form.
func revealsSecret(shown string, secrets []string) bool {
	if shown == "" {
		return false
	}
	for _, s := range secrets {
		if strings.Contains(s, shown) || strings.Contains(shown, s) {
			return true
		}
	}
	return false
}

// source is where a v3 line's secret was found: the fields of its one
// source (Git, Github, Filesystem, …) that DefectDojo reads.
type source struct {
	File       scalar `json:"file"`
	Email      scalar `json:"email"`
	Commit     scalar `json:"commit"`
	Timestamp  scalar `json:"timestamp"`
	Line       scalar `json:"line"`
	Repository scalar `json:"repository"`
	Link       scalar `json:"link"`
}

// readSource reads SourceMetadata: {"Data": {"<source>": {…}}}, the first
// source only, as DefectDojo does.
func readSource(raw json.RawMessage) (source, error) {
	var src source
	d := jsonstream.New(strings.NewReader(string(raw)))
	first := true
	err := d.Object(true, func(key string) error {
		if key != "Data" {
			return d.Skip()
		}
		return d.Object(true, func(string) error {
			if !first {
				return d.Skip()
			}
			first = false
			return d.Decode(&src)
		})
	})
	if err != nil {
		return source{}, fmt.Errorf("SourceMetadata: %w", err)
	}
	return src, nil
}

// scalar is a source field as text: a string as it is, a number as
// written, null as nothing. (Sources differ in their fields' types.)
type scalar string

func (s *scalar) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		*s = scalar(str)
		return nil
	}
	if string(b) != "null" {
		*s = scalar(b)
	}
	return nil
}

// int is the field as a line number, 0 if it is none.
func (s scalar) int() int {
	n, _ := strconv.Atoi(string(s))
	return n
}

// repeatKey is a line's repeat key: a hash, so the secret it is made of
// is not kept.
func repeatKey(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:])
}
