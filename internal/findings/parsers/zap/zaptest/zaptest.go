// Package zaptest makes large ZAP XML reports for the benchmarks: the
// parser's (zap.BenchmarkStream) and make bench's formats part.
package zaptest

import (
	"bytes"
	"fmt"
)

// Report is a ZAP XML report of n alerts of one site, each different and
// with two instances, as ZAP's traditional XML report writes them.
func Report(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0"?><OWASPZAPReport version="2.14.0" generated="Mon, 1 Dec 2026 10:00:00">
<site name="https://shop.example.com" host="shop.example.com" port="443" ssl="true"><alerts>`)
	for i := range n {
		fmt.Fprintf(&b, `<alertitem><pluginid>%d</pluginid><alertRef>%d</alertRef><alert>Alert %d</alert><name>Alert %d</name>
<riskcode>%d</riskcode><confidence>2</confidence><riskdesc>Medium (Medium)</riskdesc>
<desc>&lt;p&gt;Page %d answers something it should not.&lt;/p&gt;</desc>
<instances><instance><uri>https://shop.example.com/p/%d</uri><method>GET</method></instance>
<instance><uri>https://shop.example.com/q/%d</uri><method>POST</method></instance></instances><count>2</count>
<solution>&lt;p&gt;Fix page %d.&lt;/p&gt;</solution><reference>&lt;p&gt;https://owasp.org/&lt;/p&gt;</reference>
<cweid>%d</cweid><wascid>13</wascid><sourceid>3</sourceid></alertitem>
`, 10000+i, 10000+i, i, i, i%4, i, i, i, i, 16+i%500)
	}
	b.WriteString(`</alerts></site></OWASPZAPReport>`)
	return b.Bytes()
}
