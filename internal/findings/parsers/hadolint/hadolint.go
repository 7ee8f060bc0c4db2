// Package hadolint parses hadolint JSON reports (scan type "Hadolint
// Dockerfile check").
package hadolint

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/jsonstream"
)

// Parser is the "Hadolint Dockerfile check" parser.
type Parser struct{}

// ScanType implements findings.Parser.
func (Parser) ScanType() string { return "Hadolint Dockerfile check" }

const want = "hadolint wants its JSON output (hadolint -f json Dockerfile), a list of results"

type result struct {
	Code    *string         `json:"code"`
	Message string          `json:"message"`
	File    *string         `json:"file"`
	Line    json.RawMessage `json:"line"`
	Column  json.RawMessage `json:"column"`
	Level   string          `json:"level"`
}

// Stream implements findings.Parser, one result at a time. Results with
// the same code at the same line, column and file are one finding, as
// DefectDojo keys them: each is emitted with a repeat key and merged by
// the import (or findings.Parse).
func (Parser) Stream(r io.Reader, emit func(findings.Finding) error) error {
	d := jsonstream.New(r)
	i := 0
	err := d.Array(false, func() error {
		var res result
		if err := d.Decode(&res); err != nil {
			return err
		}
		i++
		if res.Code == nil || res.File == nil {
			return fmt.Errorf("%w: %s: result %d has no code or no file", findings.ErrFormat, want, i)
		}
		return emit(finding(res))
	})
	return jsonstream.FormatError(err, want)
}

// finding maps a result as DefectDojo does: error is Critical, warning
// High, any other level (info, style) Info.
func finding(res result) findings.Finding {
	severity := findings.Info
	switch res.Level {
	case "error":
		severity = findings.Critical
	case "warning":
		severity = findings.High
	}
	var line int
	_ = json.Unmarshal(res.Line, &line)
	return findings.Finding{
		Title: *res.Code + ": " + res.Message, Severity: severity, FilePath: *res.File, Line: line,
		Description:   strings.TrimSpace(fmt.Sprintf("Vulnerability ID: %s\nDetails: %s\n", *res.Code, res.Message)),
		StaticFinding: true, NbOccurences: 1,
		RepeatKey: repeatKey(pythonStr(res.Line) + "-" + pythonStr(res.Column) + *res.Code + *res.File),
	}
}

// repeatKey is DefectDojo's key of a result, hashed to bound its size.
func repeatKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// pythonStr writes a JSON number (or null, or a string) as Python's str()
// writes the value json.load makes of it, for DefectDojo's key.
func pythonStr(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	if len(raw) == 0 || string(raw) == "null" {
		return "None"
	}
	return string(raw)
}
