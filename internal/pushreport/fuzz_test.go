package pushreport

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzReport feeds the receiver's decoding and checks of a report with
// arbitrary bodies: nothing panics, and a report accepted keeps its
// bounds and is accepted again after a round trip.
func FuzzReport(f *testing.F) {
	f.Add([]byte(`{"kind":"refused","reason":"secrets","project":"g/p","refs":["refs/heads/main"],"commits":1,"findings":[{"commit":"` +
		strings.Repeat("a", 40) + `","file":"a.env","line":2,"rule":"gitlab-pat","secret_hash":"` + strings.Repeat("b", 64) + `"}]}`))
	f.Add([]byte(`{"kind":"bypassed","reason":"push_option","project":"g/p"}`))
	f.Add([]byte(`{"kind":"not_scanned","reason":"error","project":"g/p","detail":"git log: bad object"}`))
	f.Add([]byte(`{"kind":"refused","findings":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var r Report
		if json.Unmarshal(body, &r) != nil || r.Validate() != nil {
			return
		}
		if len(r.Refs) > MaxRefs || len(r.Findings) > MaxFindings || r.Project == "" || !utf8.ValidString(r.Project) {
			t.Fatalf("accepted out of bounds: %+v", r)
		}
		again, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var back Report
		if err := json.Unmarshal(again, &back); err != nil || back.Validate() != nil {
			t.Fatalf("round trip of %s: %v, %v", again, err, back.Validate())
		}
	})
}
