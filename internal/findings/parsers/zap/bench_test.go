package zap

import (
	"bytes"
	"testing"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/zap/zaptest"
)

// BenchmarkStream reads a report of 10,000 alerts, each with two
// instances, as make bench's ZAP report has them: the parser's share of
// an import (the findings service's, staging and hashing, is
// BenchmarkImport10000's).
func BenchmarkStream(b *testing.B) {
	doc := zaptest.Report(10000)
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		n := 0
		err := Parser{}.Stream(bytes.NewReader(doc), func(findings.Finding) error { n++; return nil })
		if err != nil || n != 10000 {
			b.Fatalf("%d findings, %v", n, err)
		}
	}
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "findings/s")
}
