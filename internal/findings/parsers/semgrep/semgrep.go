// Package semgrep parses Semgrep JSON reports (scan type "Semgrep JSON
// Report"): semgrep --json output (results), and Semgrep Supply Chain
// findings as the Semgrep API lists them (vulns).
package semgrep

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/jsonstream"
)

// Parser is the "Semgrep JSON Report" parser.
type Parser struct{}

// ScanType implements findings.Parser.
func (Parser) ScanType() string { return "Semgrep JSON Report" }

const want = "semgrep wants its JSON output (semgrep --json), or Semgrep Supply Chain's list of vulns"

type result struct {
	CheckID string `json:"check_id"`
	Path    string `json:"path"`
	Start   struct {
		Line int `json:"line"`
	} `json:"start"`
	Extra struct {
		Message     string          `json:"message"`
		Severity    string          `json:"severity"`
		Fingerprint *string         `json:"fingerprint"`
		Lines       *string         `json:"lines"`
		Fix         *string         `json:"fix"`
		FixRegex    json.RawMessage `json:"fix_regex"`
		Metadata    struct {
			CWE        json.RawMessage `json:"cwe"`
			References []string        `json:"references"`
		} `json:"metadata"`
	} `json:"extra"`
}

// vuln is one Semgrep Supply Chain finding.
type vuln struct {
	Title    string `json:"title"`
	Advisory struct {
		Description string `json:"description"`
		Severity    string `json:"severity"`
		References  struct {
			CweIDs json.RawMessage `json:"cweIds"`
		} `json:"references"`
	} `json:"advisory"`
	RepositoryID string `json:"repositoryId"`
	Location     struct {
		Path      string          `json:"path"`
		StartLine json.RawMessage `json:"startLine"`
	} `json:"dependencyFileLocation"`
	Extra struct {
		Fingerprint *string `json:"fingerprint"`
	} `json:"extra"`
}

// Stream implements findings.Parser, one result at a time. The results of
// one rule at one line of one file are one finding (DefectDojo counts
// them in nb_occurences): each is emitted with that repeat key.
func (Parser) Stream(r io.Reader, emit func(findings.Finding) error) error {
	d := jsonstream.New(r)
	found := false
	err := d.Object(false, func(key string) error {
		var each func() error
		switch key {
		case "results":
			each = func() error {
				var res result
				if err := d.Decode(&res); err != nil {
					return err
				}
				return emit(fromResult(res))
			}
		case "vulns":
			each = func() error {
				var v vuln
				if err := d.Decode(&v); err != nil {
					return err
				}
				return emit(fromVuln(v))
			}
		default:
			return d.Skip()
		}
		found = true
		return d.Array(true, each)
	})
	if err != nil {
		return jsonstream.FormatError(err, want)
	}
	if !found {
		return fmt.Errorf("%w: %s: the report has neither results nor vulns", findings.ErrFormat, want)
	}
	return nil
}

func fromResult(res result) findings.Finding {
	var d strings.Builder
	fmt.Fprintf(&d, "**Result message:** %s\n", res.Extra.Message)
	if s := res.Extra.Lines; s != nil {
		if strings.Contains(*s, "<![") {
			// DefectDojo breaks a CDATA opener that its markdown would
			// swallow (its issue 8435), and says so.
			fmt.Fprintf(&d, "**Snippet:** ***Caution:*** Please remove the space between `!` and `[` to have the real value "+
				"due to a workaround to circumvent [#8435](https://github.com/DefectDojo/django-DefectDojo/issues/8435).\n```%s```\n",
				strings.ReplaceAll(*s, "<![", "<! ["))
		} else {
			fmt.Fprintf(&d, "**Snippet:**\n```%s```\n", *s)
		}
	}
	f := findings.Finding{
		Title: res.CheckID, VulnIDFromTool: res.CheckID, Severity: severity(res.Extra.Severity),
		FilePath: res.Path, Line: res.Start.Line, CWE: cwe(res.Extra.Metadata.CWE), StaticFinding: true, NbOccurences: 1,
		Description: d.String(), References: strings.Join(res.Extra.Metadata.References, "\n"),
		UniqueIDFromTool: fingerprint(res.Extra.Fingerprint),
	}
	switch {
	case res.Extra.Fix != nil:
		f.Mitigation = *res.Extra.Fix
	case res.Extra.FixRegex != nil:
		f.Mitigation = strings.Join([]string{"**You can automaticaly apply this regex:**", "\n```\n",
			string(compact(res.Extra.FixRegex)), "\n```\n"}, "\n")
	}
	f.RepeatKey = repeatKey(f)
	return f
}

func fromVuln(v vuln) findings.Finding {
	var line string
	if json.Unmarshal(v.Location.StartLine, &line) != nil {
		line = string(v.Location.StartLine)
	}
	n, _ := strconv.Atoi(strings.TrimSpace(line))
	f := findings.Finding{
		Title: v.Title, Severity: severity(v.Advisory.Severity), Description: v.Advisory.Description,
		FilePath: v.Location.Path, Line: n, VulnIDFromTool: v.RepositoryID, CWE: cwe(v.Advisory.References.CweIDs),
		StaticFinding: true, NbOccurences: 1, UniqueIDFromTool: fingerprint(v.Extra.Fingerprint),
	}
	f.RepeatKey = repeatKey(f)
	return f
}

// repeatKey is DefectDojo's key of a semgrep finding: title, path, line
// (hashed, so a key is short however long they are).
func repeatKey(f findings.Finding) string {
	sum := sha256.Sum256([]byte(f.Title + "\x00" + f.FilePath + "\x00" + strconv.Itoa(f.Line)))
	return hex.EncodeToString(sum[:])
}

// fingerprint is semgrep's fingerprint, but for "requires login" (which
// semgrep writes when it withholds it).
func fingerprint(fp *string) string {
	if fp == nil || *fp == "requires login" {
		return ""
	}
	return *fp
}

// compact is the JSON of a value with Python's json.dumps spacing
// (", " and ": ") and the report's key order, as DefectDojo writes a
// fix_regex.
func compact(raw json.RawMessage) []byte {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var b bytes.Buffer
	// after says what precedes the next token: 0 nothing, 1 a value in a
	// list or object, 2 an object's key.
	var stack []bool // true for an object
	after := 0
	key := false
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		if delim, ok := tok.(json.Delim); ok && (delim == '}' || delim == ']') {
			b.WriteRune(rune(delim))
			stack = stack[:len(stack)-1]
			after, key = 1, len(stack) > 0 && stack[len(stack)-1]
			continue
		}
		switch {
		case after == 2:
			b.WriteString(": ")
		case after == 1 && len(stack) > 0:
			b.WriteString(", ")
		}
		inObject := len(stack) > 0 && stack[len(stack)-1]
		switch v := tok.(type) {
		case json.Delim:
			b.WriteRune(rune(v))
			stack = append(stack, v == '{')
			after, key = 0, v == '{'
			continue
		default:
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			_ = enc.Encode(v)
			b.Truncate(b.Len() - 1) // Encode's newline
		}
		if inObject && key {
			after, key = 2, false
		} else {
			after, key = 1, inObject
		}
	}
	return b.Bytes()
}

func severity(s string) string {
	switch strings.ToUpper(s) {
	case "CRITICAL":
		return findings.Critical
	case "ERROR", "HIGH":
		return findings.High
	case "WARNING", "MEDIUM":
		return findings.Medium
	case "INFO", "LOW":
		return findings.Low
	}
	return findings.Info
}

// cwe reads a CWE like "CWE-696: Incorrect Behavior Order", or the first
// of a list of them, as DefectDojo does (the number after the first "-"
// of what precedes the first ":").
func cwe(raw json.RawMessage) int {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		var list []string
		if json.Unmarshal(raw, &list) != nil || len(list) == 0 {
			return 0
		}
		s = list[0]
	}
	s, _, _ = strings.Cut(s, ":")
	_, n, _ := strings.Cut(s, "-")
	v, _ := strconv.Atoi(strings.TrimSpace(n))
	return v
}
