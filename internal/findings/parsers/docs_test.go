package parsers

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/findings"
)

const findingsDoc = "../../../docs/findings.md"

// dedupTable is the table of docs/findings.md that gives each scan type's
// deduplication, as the code has it.
func dedupTable() string {
	var b strings.Builder
	b.WriteString("| scan type | matched on | hash_code fields |\n|---|---|---|\n")
	for _, scanType := range ScanTypes() {
		d := findings.DedupFor(scanType)
		on := map[findings.Algorithm]string{findings.ByHashCode: "hash_code", findings.ByUniqueID: "unique_id_from_tool",
			findings.ByUniqueIDOrHash: "unique_id_from_tool, or hash_code"}[d.Algorithm]
		fmt.Fprintf(&b, "| %s | %s | %s |\n", scanType, on, strings.Join(d.Fields, ", "))
	}
	return b.String()
}

// TestDocsGiveEveryScanTypesDedup keeps docs/findings.md's deduplication
// table the code's: every scan type, its algorithm and hash fields
// (go test -update rewrites it).
func TestDocsGiveEveryScanTypesDedup(t *testing.T) {
	raw, err := os.ReadFile(findingsDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	start := strings.Index(doc, "| scan type | matched on | hash_code fields |\n")
	if start < 0 {
		t.Fatalf("%s has no deduplication table", findingsDoc)
	}
	end := strings.Index(doc[start:], "\n\n")
	if end < 0 {
		t.Fatalf("%s: the deduplication table does not end", findingsDoc)
	}
	end += start + 1
	want := dedupTable()
	if *update {
		doc = doc[:start] + want + doc[end:]
		if err := os.WriteFile(findingsDoc, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got := doc[start:end]; got != want {
		t.Fatalf("%s's deduplication table differs from the code (go test -update rewrites it):\n%s", findingsDoc, want)
	}
}
