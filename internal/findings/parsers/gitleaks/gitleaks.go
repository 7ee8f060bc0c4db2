// Package gitleaks parses gitleaks JSON reports (scan type "Gitleaks Scan"),
// in the v8 format and the older v7 one.
package gitleaks

import (
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
	"github.com/secbot/secbot/internal/redact"
)

// Parser is the "Gitleaks Scan" parser.
type Parser struct{}

// ScanType implements findings.Parser.
func (Parser) ScanType() string { return "Gitleaks Scan" }

// leak holds the fields of both formats: v8 capitalises its keys, v7 does
// not. (encoding/json matches keys case-insensitively, so v7's "tags" and
// v8's "Tags" share a field of raw JSON.)
type leak struct {
	// v8
	Description string
	StartLine   int
	Match       string
	Secret      string
	File        string
	Commit      string
	Date        string
	Message     string
	RuleID      string
	Tags        json.RawMessage
	// SecBot's gitleaks scan adds whether the secret works (issue #17).
	Validity          string
	ValidityCheckedAt string
	ValidityOwner     string
	ValidityScopes    []string
	Revocation        *findings.Revocation
	// v7
	Rule          string `json:"rule"`
	Offender      string `json:"offender"`
	Line          string `json:"line"`
	LineNumber    *int   `json:"lineNumber"`
	CommitMessage string `json:"commitMessage"`
	Author        string `json:"author"`
	Email         string `json:"email"`
}

// Stream implements findings.Parser, one leak at a time. Repeats of one
// secret at one place in a report are one finding (DefectDojo's parser
// raises nb_occurences and, for v8, appends their descriptions): each leak
// is emitted with a repeat key, and the import (or findings.Parse) merges
// them. Every finding has its secret redacted first.
func (Parser) Stream(r io.Reader, emit func(findings.Finding) error) error {
	d := jsonstream.New(r)
	i := 0
	err := d.Array(true, func() error {
		var l leak
		if err := d.Decode(&l); err != nil {
			return err
		}
		i++
		switch {
		case l.Rule != "":
			return emit(legacy(l))
		case l.Description != "":
			return emit(current(l))
		}
		return fmt.Errorf("%w: gitleaks finding %d has neither Description (v8) nor rule (v7)", findings.ErrFormat, i-1)
	})
	if err != nil {
		return jsonstream.FormatError(err, "gitleaks wants a JSON array of findings (or null)")
	}
	return nil
}

// repeatSeparator joins the descriptions of a v8 leak's repeats.
const repeatSeparator = "\n\n***\n\n"

// repeatKey is a leak's repeat key: a hash, so the secret it is made of
// is not kept.
func repeatKey(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:])
}

// redactLeak redacts a leak's secret in f, as the worker redacts its own
// scans. Where the report's reader shortened the secret or the match, the
// match may hold part of the secret only, which no replacement finds: the
// match goes entirely.
func redactLeak(f *findings.Finding, secret, match string) {
	if match != "" && (findings.IsTruncated(secret) || findings.IsTruncated(match)) {
		f.Description = strings.Replace(f.Description, "**Match:** "+match, "**Match:** "+redact.Marker, 1)
	}
	f.RedactSecret(findings.BeforeTruncation(secret))
}

func current(l leak) findings.Finding {
	title := fmt.Sprintf("Hard coded %s found in %s", l.Description, l.File)
	var d strings.Builder
	for _, kv := range [][2]string{{"Secret", l.Secret}, {"Match", l.Match}} {
		if kv[1] != "" {
			fmt.Fprintf(&d, "**%s:** %s\n", kv[0], kv[1])
		}
	}
	if l.Message != "" {
		if strings.Contains(l.Message, "\n") {
			fmt.Fprintf(&d, "**Commit message:**\n```\n%s\n```\n", strings.ReplaceAll(l.Message, "```", "\\`\\`\\`"))
		} else {
			fmt.Fprintf(&d, "**Commit message:** %s\n", l.Message)
		}
	}
	for _, kv := range [][2]string{{"Commit hash", l.Commit}, {"Commit date", l.Date}, {"Rule Id", l.RuleID}} {
		if kv[1] != "" {
			fmt.Fprintf(&d, "**%s:** %s\n", kv[0], kv[1])
		}
	}
	f := findings.Finding{
		Title: title, Description: strings.TrimSuffix(d.String(), "\n"), Severity: findings.High, CWE: 798,
		Line: l.StartLine, FilePath: l.File, VulnIDFromTool: l.RuleID, StaticFinding: true, NbOccurences: 1,
		Tags: tags(l.Tags), Date: parseDate(l.Date),
		RepeatKey: repeatKey("v8", title, l.Secret, strconv.Itoa(l.StartLine)), RepeatSeparator: repeatSeparator,
	}
	f.Validity, f.Revocation = validity(l)
	redactLeak(&f, l.Secret, l.Match)
	return f
}

// validity is the check of the secret SecBot's scan made, when the leak
// carries one: a value that is not one of findings.Validities, or a time
// that is not RFC 3339, is no check (another tool's field of that name).
func validity(l leak) (findings.Validity, *findings.Revocation) {
	at, err := time.Parse(time.RFC3339Nano, l.ValidityCheckedAt)
	if !findings.IsValidity(l.Validity) || (err != nil && l.ValidityCheckedAt != "") {
		return findings.Validity{}, nil
	}
	return findings.Validity{Validity: l.Validity, CheckedAt: at, Owner: l.ValidityOwner, Scopes: l.ValidityScopes}, l.Revocation
}

func legacy(l leak) findings.Finding {
	severity := findings.High
	for _, word := range []string{"Github", "AWS", "Heroku"} {
		if strings.Contains(l.Rule, word) {
			severity = findings.Critical
		}
	}
	var d strings.Builder
	fmt.Fprintf(&d, "**Commit:** %s\n**Commit Hash:** %s\n**Commit Date:** %s\n**Author:** %s <%s>\n**Reason:** %s\n**Path:** %s\n",
		strings.TrimRight(l.CommitMessage, "\n"), l.Commit, l.Date, l.Author, l.Email, l.Rule, l.File)
	line := 0
	if l.LineNumber != nil {
		line = *l.LineNumber
		fmt.Fprintf(&d, "**Line:** %d\n", line)
	}
	fmt.Fprintf(&d, "\n**String Found:**\n\n```\n%s\n```", l.Line)
	f := findings.Finding{
		Title: "Hard Coded " + l.Rule, Description: d.String(), Severity: severity, CWE: 798,
		Line: line, FilePath: l.File, StaticFinding: true, NbOccurences: 1, Tags: tags(l.Tags), Date: parseDate(l.Date),
		RepeatKey: repeatKey("v7", l.Offender, l.File, strconv.Itoa(line)),
	}
	redactLeak(&f, l.Offender, "")
	return f
}

// tags reads v8's list or v7's comma-separated string.
func tags(raw json.RawMessage) []string {
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list
	}
	var s string
	if json.Unmarshal(raw, &s) == nil && s != "" {
		for _, t := range strings.Split(s, ",") {
			if t = strings.TrimSpace(t); t != "" {
				list = append(list, t)
			}
		}
	}
	return list
}

func parseDate(s string) time.Time {
	t, _ := time.Parse(time.RFC3339, s)
	return t
}
