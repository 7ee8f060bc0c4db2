package sarif

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/secbot/secbot/internal/findings/parsers/jsonstream"
)

// maxTitle bounds a title, as DefectDojo shortens it (at a word, with
// titleCut after).
const (
	maxTitle = 150
	titleCut = " [...]"
)

// messageText is a message's text (SARIF's multiformat message string):
// its own text, or, when it names one, its rule's message string with
// {0}…{5} replaced by the arguments. It is false when there is none.
func messageText(m *message, rl *rule) (string, bool) {
	if m == nil {
		return "", false
	}
	if rl != nil && m.ID != nil {
		ms, ok := rl.MessageStrings[*m.ID]
		if !ok || ms.Text == nil {
			return "", false
		}
		text := *ms.Text
		for i := range 6 {
			p := "{" + strconv.Itoa(i) + "}"
			if !strings.Contains(text, p) {
				break
			}
			arg := ""
			if i < len(m.Arguments) {
				arg = rawText(m.Arguments[i])
			}
			text = strings.ReplaceAll(text, p, arg)
		}
		return text, true
	}
	if m.Text == nil {
		return "", false
	}
	return *m.Text, true
}

// title is the result's message, else its rule's short or full
// description, name or id, shortened.
func title(res result, rl *rule) string {
	t, ok := messageText(res.Message, rl)
	if !ok && rl != nil {
		switch {
		case rl.ShortDescription != nil:
			t, ok = messageText(rl.ShortDescription, rl)
		case rl.FullDescription != nil:
			t, ok = messageText(rl.FullDescription, rl)
		case rl.Name != nil:
			t, ok = *rl.Name, true
		default:
			t, ok = rl.ID, true
		}
	}
	if !ok || strings.TrimSpace(t) == "" {
		// DefectDojo refuses such a result; the rule id, or the markdown
		// of the message, still names it.
		t = res.RuleID
		if res.Message != nil && res.Message.Markdown != nil && t == "" {
			t = *res.Message.Markdown
		}
		if strings.TrimSpace(t) == "" {
			t = "SARIF result without a message"
		}
	}
	return shorten(t)
}

// shorten collapses white space and cuts s at a word to maxTitle
// characters, titleCut included, as Python's textwrap.shorten does.
func shorten(s string) string {
	words := strings.Fields(s)
	whole := strings.Join(words, " ")
	if utf8.RuneCountInString(whole) <= maxTitle {
		return whole
	}
	room := maxTitle - len(titleCut)
	var b strings.Builder
	for _, w := range words {
		n := utf8.RuneCountInString(b.String())
		sep := 0
		if n > 0 {
			sep = 1
		}
		if n+sep+utf8.RuneCountInString(w) > room {
			if n == 0 { // one word longer than the room: cut it
				b.WriteString(string([]rune(w)[:room]))
			}
			break
		}
		if sep == 1 {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	if b.Len() == 0 {
		return strings.TrimSpace(titleCut)
	}
	return b.String() + titleCut
}

// snippet is a location's region's snippet, else its context region's.
func snippet(loc location) *string {
	p := loc.Physical
	if p == nil {
		return nil
	}
	for _, r := range []*region{p.Region, p.ContextRegion} {
		if r != nil && r.Snippet != nil && r.Snippet.Text != nil {
			return r.Snippet.Text
		}
	}
	return nil
}

// description is DefectDojo's: the message, the snippet, the rule's name
// and descriptions (those that differ from the message), the code flow.
func description(res result, rl *rule, loc location) string {
	var b strings.Builder
	msg := ""
	if res.Message != nil {
		msg, _ = messageText(res.Message, rl)
		fmt.Fprintf(&b, "**Result message:** %s\n", msg)
	}
	if s := snippet(loc); s != nil {
		fmt.Fprintf(&b, "**Snippet:**\n```\n%s\n```\n", *s)
	}
	if rl != nil {
		if rl.Name != nil {
			fmt.Fprintf(&b, "**Rule name:** %s\n", *rl.Name)
		}
		short := ""
		if rl.ShortDescription != nil {
			short, _ = messageText(rl.ShortDescription, rl)
			if short != msg {
				fmt.Fprintf(&b, "**Rule short description:** %s\n", short)
			}
		}
		if rl.FullDescription != nil {
			if full, _ := messageText(rl.FullDescription, rl); full != msg && full != short {
				fmt.Fprintf(&b, "**Rule full description:** %s\n", full)
			}
		}
	}
	b.WriteString(codeFlows(res.CodeFlows))
	return strings.TrimSuffix(b.String(), "\n")
}

// codeFlows lists the steps of the result's last thread flow that has
// locations (DefectDojo keeps that one only).
func codeFlows(flows []codeFlow) string {
	var out string
	for _, cf := range flows {
		for _, tf := range cf.ThreadFlows {
			if tf.Locations == nil {
				continue
			}
			var b strings.Builder
			b.WriteString("**Code flow:**\n")
			for i, step := range *tf.Locations {
				var uri string
				var r region
				if p := step.Location.Physical; p != nil {
					uri = p.Artifact.URI
					if p.Region != nil {
						r = *p.Region
					}
				}
				fmt.Fprintf(&b, "%d. %s", i+1, uri)
				if r.StartLine != nil {
					fmt.Fprintf(&b, ":L%d", *r.StartLine)
				}
				if r.StartColumn != nil {
					fmt.Fprintf(&b, ":C%d", *r.StartColumn)
				}
				if r.Snippet != nil {
					text := ""
					if r.Snippet.Text != nil {
						text = *r.Snippet.Text
					}
					fmt.Fprintf(&b, "\t-\t%s", text)
				}
				b.WriteString("\n")
				if m := step.Location.Message; m != nil {
					text := ""
					if m.Markdown != nil {
						text = *m.Markdown
					} else if m.Text != nil {
						text = *m.Text
					}
					fmt.Fprintf(&b, "\t%s\n", text)
				}
			}
			out = b.String()
		}
	}
	return out
}

// fingerprints is a result's fingerprints (or partial fingerprints) in
// the order the report gives them. A value is usually a string; one given
// as an object ({"value": …}, as some tools write) reads as its value,
// any other as its JSON text.
type fingerprints []fingerprint

type fingerprint struct{ key, value string }

// UnmarshalJSON implements json.Unmarshaler, keeping the keys' order.
func (fs *fingerprints) UnmarshalJSON(data []byte) error {
	*fs = nil
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(data))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		return &jsonstream.ShapeError{Want: "object of fingerprints", Found: "something else"}
	}
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := d.Decode(&raw); err != nil {
			return err
		}
		*fs = append(*fs, fingerprint{key: key, value: fingerprintValue(raw)})
	}
	return nil
}

func fingerprintValue(raw json.RawMessage) string {
	var nested struct {
		Value json.RawMessage `json:"value"`
	}
	if len(raw) > 0 && raw[0] == '{' && json.Unmarshal(raw, &nested) == nil && nested.Value != nil {
		return rawText(nested.Value)
	}
	return rawText(raw)
}

// hashes groups fingerprints by method ("name/v2" is version 2 of the
// method name), keeping each method's latest version, in the order the
// methods first appear. A value of "requires login" (a tool's
// placeholder for a fingerprint it withholds) is no fingerprint.
func (fs fingerprints) hashes() (methods []string, latest map[string]fingerprint) {
	latest = map[string]fingerprint{}
	versions := map[string]int{}
	for _, f := range fs {
		if f.value == "" || f.value == "requires login" {
			continue
		}
		method, version := f.key, 0
		if i := strings.LastIndex(f.key, "/"); i >= 0 {
			method = f.key[:i]
			if j := strings.LastIndex(method, "/"); j >= 0 {
				method = method[j+1:]
			}
			version, _ = strconv.Atoi(strings.ReplaceAll(f.key[i+1:], "v", ""))
		}
		if _, seen := latest[method]; !seen {
			methods = append(methods, method)
		} else if versions[method] >= version {
			continue
		}
		latest[method], versions[method] = f, version
	}
	return methods, latest
}

// uniqueID is the first fingerprint method's latest value, else the
// partial fingerprints' latest values as method:value|… by method.
func uniqueID(res result) string {
	if methods, latest := res.Fingerprints.hashes(); len(methods) > 0 {
		return latest[methods[0]].value
	}
	methods, latest := res.PartialFingerprints.hashes()
	sort.Strings(methods)
	parts := make([]string, len(methods))
	for i, m := range methods {
		parts[i] = m + ":" + latest[m].value
	}
	return strings.Join(parts, "|")
}
