package reportfilter_test

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/reportfilter"
)

// A run that defines its bases after its results (SARIF does not fix the
// order): the results relative to a base wait for it, and the copy keeps
// the run's members in their order.
const basesAfterResults = `{"version": "2.1.0", "runs": [{
  "tool": {"driver": {"name": "t", "rules": [{"id": "r"}]}},
  "results": [
    {"ruleId": "r", "message": {"text": "one"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "kept.c"}}}]},
    {"ruleId": "r", "message": {"text": "two"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a%20b.c", "uriBaseId": "SRC"}}}]},
    {"ruleId": "r", "message": {"text": "three"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "dropped.c", "uriBaseId": "SRC"}}}]},
    {"ruleId": "r", "message": {"text": "four"}},
    {"ruleId": "r", "message": {"text": "five"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "x.c", "uriBaseId": "NOWHERE"}}}]}
  ],
  "originalUriBaseIds": {"ROOT": {"uri": "file:///co/"}, "SRC": {"uri": "src/", "uriBaseId": "ROOT"}},
  "properties": {"after": [1, 2.50, "three"]}
}, {
  "originalUriBaseIds": {"SRC": {"uri": "file:///other/"}},
  "results": [{"ruleId": "r", "message": {"text": "six"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "kept.c", "uriBaseId": "SRC"}}}]}]
}]}`

func TestSARIFBasesAfterResults(t *testing.T) {
	var seen []string
	var out bytes.Buffer
	accept := []string{"kept.c", "/co/src/a b.c", "x.c", "/other/kept.c"}
	kept, dropped, err := reportfilter.Filter("SARIF", strings.NewReader(basesAfterResults), &out, func(path string) bool {
		seen = append(seen, path)
		return slices.Contains(accept, path)
	})
	if err != nil {
		t.Fatal(err)
	}
	if kept != 5 || dropped != 1 {
		t.Errorf("kept %d and dropped %d, want 5 and 1", kept, dropped)
	}
	if want := []string{"kept.c", "/co/src/a b.c", "/co/src/dropped.c", "x.c", "/other/kept.c"}; !slices.Equal(seen, want) {
		t.Errorf("keep() was asked about %q, want %q", seen, want)
	}
	var texts []string
	for _, f := range parse(t, "SARIF", out.Bytes()) {
		texts = append(texts, f.Title)
	}
	if want := []string{"one", "two", "four", "five", "six"}; !slices.Equal(texts, want) {
		t.Errorf("the filtered log's findings are %q, want %q", texts, want)
	}
	if got, want := runKeys(t, out.Bytes()), []string{"tool", "results", "originalUriBaseIds", "properties"}; !slices.Equal(got, want) {
		t.Errorf("the first run's members are %q, want %q (in the original's order)", got, want)
	}
	if !bytes.Contains(out.Bytes(), []byte(`"after":[1,2.50,"three"]`)) {
		t.Errorf("what follows the results was not copied as written: %s", out.Bytes())
	}
}

// runKeys lists the keys of a SARIF log's first run, in order.
func runKeys(t *testing.T, log []byte) []string {
	t.Helper()
	var doc struct{ Runs []json.RawMessage }
	if err := json.Unmarshal(log, &doc); err != nil || len(doc.Runs) == 0 {
		t.Fatalf("not a SARIF log with runs (%v): %s", err, log)
	}
	d := json.NewDecoder(bytes.NewReader(doc.Runs[0]))
	var keys []string
	depth := 0
	for {
		tok, err := d.Token()
		if err != nil {
			return keys
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
			continue
		case json.Delim('}'), json.Delim(']'):
			depth--
			continue
		}
		if key, ok := tok.(string); ok && depth == 1 {
			keys = append(keys, key)
			var skip json.RawMessage
			if err := d.Decode(&skip); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// Bases not as SARIF has them are none (the parsers read no bases): the
// paths stay relative.
func TestSARIFBadBases(t *testing.T) {
	const log = `{"runs": [{"originalUriBaseIds": {"SRC": "file:///co/"}, "results": [` +
		`{"message": {"text": "one"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.c", "uriBaseId": "SRC"}}}]}]}]}`
	var seen []string
	kept, _, err := reportfilter.Filter("SARIF", strings.NewReader(log), io.Discard, func(path string) bool {
		seen = append(seen, path)
		return true
	})
	if err != nil || kept != 1 || !slices.Equal(seen, []string{"a.c"}) {
		t.Errorf("kept %d (%v); keep() was asked about %q, want a.c", kept, err, seen)
	}
}
