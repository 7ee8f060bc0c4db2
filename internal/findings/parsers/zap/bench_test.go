package zap

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/secbot/secbot/internal/findings"
)

// BenchmarkStream reads a report of 10,000 alerts, each with two
// instances, as make bench's ZAP report has them: the parser's share of
// an import (the findings service's, staging and hashing, is
// BenchmarkImport10000's).
func BenchmarkStream(b *testing.B) {
	var doc bytes.Buffer
	doc.WriteString(`<?xml version="1.0"?><OWASPZAPReport version="2.14.0"><site name="https://shop.example.com"><alerts>`)
	for i := range 10000 {
		fmt.Fprintf(&doc, `<alertitem><pluginid>%d</pluginid><alertRef>%d</alertRef><alert>Alert %d</alert><name>Alert %d</name>
<riskcode>%d</riskcode><confidence>2</confidence><riskdesc>Medium (Medium)</riskdesc>
<desc>&lt;p&gt;Page %d answers something it should not.&lt;/p&gt;</desc>
<instances><instance><uri>https://shop.example.com/p/%d</uri><method>GET</method></instance>
<instance><uri>https://shop.example.com/q/%d</uri><method>POST</method></instance></instances><count>2</count>
<solution>&lt;p&gt;Fix page %d.&lt;/p&gt;</solution><reference>&lt;p&gt;https://owasp.org/&lt;/p&gt;</reference>
<cweid>%d</cweid><wascid>13</wascid><sourceid>3</sourceid></alertitem>
`, 10000+i, 10000+i, i, i, i%4, i, i, i, i, 16+i%500)
	}
	doc.WriteString(`</alerts></site></OWASPZAPReport>`)
	b.SetBytes(int64(doc.Len()))
	for b.Loop() {
		n := 0
		err := Parser{}.Stream(bytes.NewReader(doc.Bytes()), func(findings.Finding) error { n++; return nil })
		if err != nil || n != 10000 {
			b.Fatalf("%d findings, %v", n, err)
		}
	}
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "findings/s")
}
