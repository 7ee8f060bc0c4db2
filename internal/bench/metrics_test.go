package bench

import "testing"

// TestBenchMetrics reads go test -bench's lines: names without their -N,
// each unit's value, other lines left out.
func TestBenchMetrics(t *testing.T) {
	out := []byte(`goos: linux
BenchmarkCheckout/mirror-2         	       5	  70123456 ns/op	        65.20 p50-ms
BenchmarkCheckout/checkout-index-2 	       5	  56000000 ns/op	        56.00 p50-ms
BenchmarkLiveSecretsVerdict-16     	       3	 264000000 ns/op	       264.1 p50-ms	       287.5 p99-ms
PASS
`)
	m := benchMetrics(out)
	if len(m) != 3 {
		t.Fatalf("%d benchmarks read: %v", len(m), m)
	}
	if got := m["BenchmarkCheckout/checkout-index"]["p50-ms"]; got != 56 {
		t.Errorf("checkout-index p50-ms = %v", got)
	}
	v := m["BenchmarkLiveSecretsVerdict"]
	if v["p50-ms"] != 264.1 || v["p99-ms"] != 287.5 || v["ns/op"] != 264000000 {
		t.Errorf("BenchmarkLiveSecretsVerdict: %v", v)
	}
	if got := millis(v["p50-ms"]).String(); got != "264.1ms" {
		t.Errorf("millis: %s", got)
	}
}
