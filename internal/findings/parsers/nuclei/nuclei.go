// Package nuclei parses nuclei JSON reports (scan type "Nuclei Scan"): its
// JSON lines output (nuclei -jsonl, and -json before v3) and its JSON list
// (nuclei -json-export), in the older key names (templateID, matched,
// matcher_name) and the current ones (template-id, matched-at,
// matcher-name). A report with no results is an empty file.
package nuclei

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/jsonstream"
)

// Parser is the "Nuclei Scan" parser.
type Parser struct{}

// ScanType implements findings.Parser.
func (Parser) ScanType() string { return "Nuclei Scan" }

const want = "nuclei wants its JSON lines (nuclei -jsonl) or JSON list (nuclei -json-export) output"

type result struct {
	TemplateIDv2 *string         `json:"templateID"`
	TemplateID   string          `json:"template-id"`
	Info         *info           `json:"info"`
	Type         string          `json:"type"`
	Matchedv2    *string         `json:"matched"`
	MatchedAt    string          `json:"matched-at"`
	MatcherName  *string         `json:"matcher-name"`
	Matcherv2    *string         `json:"matcher_name"`
	Extracted    json.RawMessage `json:"extracted-results"`
	Timestamp    string          `json:"timestamp"`
}

type info struct {
	Name           *string         `json:"name"`
	Severity       *string         `json:"severity"`
	Description    string          `json:"description"`
	Tags           json.RawMessage `json:"tags"`
	Reference      json.RawMessage `json:"reference"`
	Remediation    string          `json:"remediation"`
	Classification *struct {
		CVE json.RawMessage `json:"cve-id"`
		CWE json.RawMessage `json:"cwe-id"`
	} `json:"classification"`
}

// Stream implements findings.Parser, one result at a time. The results of
// one template, type and matcher on one host are one finding, as
// DefectDojo keys them (it lists their endpoints, which SecBot does not
// keep, and counts them in nb_occurences): each is emitted with a repeat
// key and merged by the import (or findings.Parse).
func (Parser) Stream(r io.Reader, emit func(findings.Finding) error) error {
	br := bufio.NewReader(r)
	first, err := firstByte(br)
	switch {
	case err == io.EOF:
		return nil // nuclei writes nothing when it finds nothing
	case err != nil:
		return fmt.Errorf("reading the nuclei report: %w", err)
	}
	d := jsonstream.New(br)
	i := 0
	each := func() error {
		var res result
		if err := d.Decode(&res); err != nil {
			return err
		}
		i++
		if res.Info == nil {
			return fmt.Errorf("%w: %s: result %d has no info", findings.ErrFormat, want, i)
		}
		return emit(finding(res))
	}
	switch first {
	case '[':
		err = d.Array(false, each)
	case '{':
		for err == nil && d.More() {
			err = each()
		}
		if err == nil {
			// Past the last result only white space may follow: More
			// stops at a stray ] or }, which Token then refuses.
			if _, tail := d.Token(); tail != io.EOF {
				err = tail
			}
		}
	default:
		return fmt.Errorf("%w: %s: the report starts with %q", findings.ErrFormat, want, first)
	}
	return jsonstream.FormatError(err, want)
}

func finding(res result) findings.Finding {
	in := res.Info
	templateID := res.TemplateID
	if res.TemplateIDv2 != nil {
		templateID = *res.TemplateIDv2
	}
	matched := res.MatchedAt
	if res.Matchedv2 != nil {
		matched = *res.Matchedv2
	}
	matcher := ""
	if m := res.MatcherName; m != nil {
		matcher = *m
	} else if m := res.Matcherv2; m != nil {
		matcher = *m
	}
	title := "None" // as DefectDojo titles a template without a name
	if in.Name != nil {
		title = *in.Name
	}
	f := findings.Finding{
		Title: title, Severity: severity(in.Severity), VulnIDFromTool: templateID, ComponentName: matcher,
		Description: in.Description, Mitigation: in.Remediation, References: strings.Join(stringOrList(in.Reference), "\n"),
		Tags: tags(in.Tags), NbOccurences: 1, DynamicFinding: true,
		RepeatKey: repeatKey(templateID+res.Type+matcher, host(matched)),
	}
	if extracted := stringOrList(res.Extracted); len(extracted) > 0 {
		f.Description += "\n**Results:**\n" + strings.Join(extracted, "\n")
	}
	if t, err := time.Parse(time.RFC3339Nano, res.Timestamp); err == nil {
		f.Date = t
	}
	if c := in.Classification; c != nil {
		for _, id := range stringOrList(c.CVE) {
			f.VulnerabilityIDs = append(f.VulnerabilityIDs, strings.ToUpper(id))
		}
		if cwes := stringOrList(c.CWE); len(cwes) > 0 {
			f.CWE = findings.ParseCWE(cwes[0]) // "cwe-362"; 0 for "nvd-cve-other"
		}
	}
	return f
}

// severity is nuclei's severity as DefectDojo's, Low for any other word
// (nuclei's "unknown").
func severity(s *string) string {
	if s != nil {
		for _, name := range []string{findings.Critical, findings.High, findings.Medium, findings.Low, findings.Info} {
			if strings.EqualFold(*s, name) {
				return name
			}
		}
	}
	return findings.Low
}

// stringOrList reads a string, or a list of strings (nulls skipped), as
// nuclei's templates write tags, references, extracted results and ids
// either way; anything else is none.
func stringOrList(raw json.RawMessage) []string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s == "" {
			return nil
		}
		return []string{s}
	}
	var list []*string
	if json.Unmarshal(raw, &list) != nil {
		return nil
	}
	var out []string
	for _, item := range list {
		if item != nil {
			out = append(out, *item)
		}
	}
	return out
}

// tags reads info.tags: a list, or older templates' "network,openssh".
func tags(raw json.RawMessage) []string {
	var out []string
	for _, item := range stringOrList(raw) {
		for _, tag := range strings.Split(item, ",") {
			if tag = strings.TrimSpace(tag); tag != "" {
				out = append(out, tag)
			}
		}
	}
	return out
}

// host is the host of where a result matched, a URL or host:port, as
// DefectDojo's endpoint reads it.
func host(matched string) string {
	uri := matched
	if !strings.Contains(uri, "://") {
		uri = "//" + uri
	}
	if u, err := url.Parse(uri); err == nil {
		return u.Hostname()
	}
	// A URL net/url refuses (a bad escape): the host is what follows the
	// scheme, before the path, without user or port.
	_, rest, _ := strings.Cut(uri, "//")
	rest, _, _ = strings.Cut(rest, "/")
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		rest = rest[at+1:]
	}
	if colon := strings.LastIndex(rest, ":"); colon >= 0 && !strings.HasSuffix(rest, "]") {
		rest = rest[:colon]
	}
	return strings.Trim(rest, "[]")
}

// repeatKey is DefectDojo's key of a result, hashed.
func repeatKey(what, host string) string {
	sum := sha256.Sum256([]byte(what + host))
	return hex.EncodeToString(sum[:])
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
