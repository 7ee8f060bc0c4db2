package reportfilter_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/reportfilter"
)

// BenchmarkFilterSARIF filters a generated SARIF log of about 60 MB (in
// a file, as the worker's reports are streamed), keeping one file in ten.
// heap-MB is the most heap the process held, which stays that of a few
// findings, however large the report.
func BenchmarkFilterSARIF(b *testing.B) {
	name := filepath.Join(b.TempDir(), "large.sarif")
	size := writeLargeSARIF(b, name, 100_000)
	if size < 50<<20 {
		b.Fatalf("the generated log has %d MB, want at least 50", size>>20)
	}
	keep := func(path string) bool { return strings.HasSuffix(path, "0.c") }
	b.SetBytes(size)
	b.ReportAllocs()
	runtime.GC()
	for b.Loop() {
		report, err := os.Open(name)
		if err != nil {
			b.Fatal(err)
		}
		kept, dropped, err := reportfilter.Filter("SARIF", bufio.NewReader(report), io.Discard, keep)
		_ = report.Close()
		if err != nil || kept != 10_000 || dropped != 90_000 {
			b.Fatalf("kept %d, dropped %d, err %v", kept, dropped, err)
		}
	}
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	b.ReportMetric(float64(mem.HeapSys)/(1<<20), "heap-MB")
}

// writeLargeSARIF writes a log of n results, in 1,000 files, each result
// with a snippet, as flawfinder writes them; it returns its size.
func writeLargeSARIF(b *testing.B, name string, n int) int64 {
	b.Helper()
	f, err := os.Create(name)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	// The writer keeps its first error, which Flush returns.
	put := func(format string, args ...any) { _, _ = fmt.Fprintf(w, format, args...) }
	put(`{"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": [{` +
		`"tool": {"driver": {"name": "Flawfinder", "rules": [{"id": "FF1004", "name": "buffer/strcpy", "shortDescription": {"text": "Does not check for buffer overflows"}}]}},` +
		`"originalUriBaseIds": {"SRCROOT": {"uri": "file:///checkout/"}}, "results": [`)
	snippet := strings.Repeat("strcpy(buffer, argv[1]); /* no bounds */ ", 8)
	for i := range n {
		if i > 0 {
			put(",\n")
		}
		put(`{"ruleId": "FF1004", "level": "error", "message": {"text": "buffer/strcpy: Does not check for buffer overflows when copying to destination [MS-banned] (CWE-120)."}, `+
			`"locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/module%d/file%d.c", "uriBaseId": "SRCROOT"}, `+
			`"region": {"startLine": %d, "startColumn": 5, "endColumn": 30, "snippet": {"text": %q}}}}], `+
			`"fingerprints": {"contextHash/v1": "%064x"}}`, i%100, i%1000, i%5000+1, snippet, i)
	}
	put(`]}]}`)
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	info, err := f.Stat()
	if err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return info.Size()
}
