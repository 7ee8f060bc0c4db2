//go:build abuse

package e2e_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// bigImportBound is how long a large import may take before the test
// gives up on it (and fails).
const bigImportBound = 60 * time.Second

// (a) Large imports of repeated findings into one product, while small
// imports into the same product keep being answered.
func TestAbuseRepeatedFindings(t *testing.T) {
	g := startReporter(t, nil)
	const product = "abuse-repeats"
	pings := g.ping()
	big := map[string]func(io.Writer) error{
		"a gitleaks report repeating one leak 30,000 times": func(w io.Writer) error {
			return repeat(w, "[", leak("glpat-0123456789abcdef0123", "token = glpat-0123456789abcdef0123", 2), ",", "]", 30000)
		},
		"a SARIF report of 20,000 identical results": func(w io.Writer) error {
			result := `{"ruleId":"R1","level":"error","message":{"text":"the same problem"},` +
				`"locations":[{"physicalLocation":{"artifactLocation":{"uri":"src/app.go"},"region":{"startLine":3}}}]}`
			head := `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"abuse","rules":[{"id":"R1","shortDescription":{"text":"a rule"}}]}},"results":[`
			return repeat(w, head, result, ",", "]}]}", 20000)
		},
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	inFlight := len(big)
	results := map[string]imported{}
	for name, write := range big {
		wg.Add(1)
		go func() {
			defer wg.Done()
			scanType, file := "Gitleaks Scan", "repeats.json"
			if strings.HasPrefix(name, "a SARIF") {
				scanType, file = "SARIF", "repeats.sarif"
			}
			got := g.importScan(product, scanType, file, bigImportBound, write, nil)
			mu.Lock()
			defer mu.Unlock()
			results[name] = got
			inFlight--
		}()
	}
	// Small imports into the same product, one after another, while the
	// large ones run.
	overlapped, slowest := 0, time.Duration(0)
	for {
		mu.Lock()
		running := inFlight
		mu.Unlock()
		if running == 0 {
			break
		}
		slowest = max(slowest, g.smallImport(t, product, "during the large imports"))
		overlapped++
		time.Sleep(300 * time.Millisecond)
	}
	wg.Wait()
	worst := pings.check(t, "during the large imports")
	if overlapped == 0 {
		t.Error("no small import ran while the large ones did")
	}
	for name, got := range results {
		if got.err != nil || got.code != 201 {
			t.Errorf("%s: answered %d after %s: %v %.300s", name, got.code, got.took.Round(time.Millisecond), got.err, got.body)
		}
		abuseRow(t, "(a) "+name, fmt.Sprintf("imported in %s (status %d)", got.took.Round(time.Millisecond), got.code),
			fmt.Sprintf("slowest /ping %s; %d small imports, slowest %s", worst.Round(time.Millisecond), overlapped, slowest.Round(time.Millisecond)))
	}
}

// (b) One huge string, and one large message repeated over many
// locations: the reporter's memory stays bounded, and so do the
// descriptions it stores.
func TestAbuseHugeStrings(t *testing.T) {
	const rssBound, descriptionBound = 512 << 20, 1 << 20
	shapes := []struct {
		name, scanType, file string
		write                func(io.Writer) error
	}{
		{"a gitleaks report whose one leak has a 90 MB Match", "Gitleaks Scan", "huge.json", func(w io.Writer) error {
			secret := "glpat-" + randomHex(10)
			head, tail, _ := strings.Cut(leak(secret, "@@", 4), "@@")
			if _, err := io.WriteString(w, "["+head); err != nil {
				return err
			}
			chunk := strings.Repeat("x", 1<<20)
			for range 90_000_000 / len(chunk) {
				if _, err := io.WriteString(w, chunk); err != nil {
					return err
				}
			}
			_, err := io.WriteString(w, tail+"]")
			return err
		}},
		{"a SARIF result with a 60 KB message at 2,000 locations", "SARIF", "wide.sarif", func(w io.Writer) error {
			head := `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"abuse","rules":[{"id":"R2"}]}},"results":[` +
				`{"ruleId":"R2","level":"warning","message":{"text":"` + strings.Repeat("m", 60_000) + `"},"locations":[`
			if _, err := io.WriteString(w, head); err != nil {
				return err
			}
			for i := range 2000 {
				sep := ","
				if i == 0 {
					sep = ""
				}
				if _, err := fmt.Fprintf(w, `%s{"physicalLocation":{"artifactLocation":{"uri":"src/f%d.go"},"region":{"startLine":%d}}}`, sep, i, i+1); err != nil {
					return err
				}
			}
			_, err := io.WriteString(w, `]}]}]}`)
			return err
		}},
	}
	for _, s := range shapes {
		// A reporter each: memory the first one's import leaves with the
		// Go runtime would count in the second's peak.
		g := startReporter(t, nil)
		const product = "abuse-strings"
		pings := g.ping()
		done := make(chan imported, 1)
		go func() { done <- g.importScan(product, s.scanType, s.file, bigImportBound, s.write, nil) }()
		small := g.smallImport(t, product, "during "+s.name)
		got := <-done
		worst := pings.check(t, "during "+s.name)
		if got.err != nil || got.code != 201 {
			t.Errorf("%s: answered %d after %s: %v %.300s", s.name, got.code, got.took.Round(time.Millisecond), got.err, got.body)
		}
		rss := g.peakRSS()
		longest := g.db.Count(t, `SELECT coalesce(max(octet_length(description)), 0) FROM findings`)
		if rss > rssBound {
			t.Errorf("%s: the reporter's resident memory peaked at %d MiB, bound %d MiB", s.name, rss>>20, rssBound>>20)
		}
		if longest > descriptionBound {
			t.Errorf("%s: a stored description is %d bytes long, bound %d", s.name, longest, descriptionBound)
		}
		abuseRow(t, "(b) "+s.name, fmt.Sprintf("imported in %s (status %d); peak RSS %d MiB; longest description %d KiB",
			got.took.Round(time.Millisecond), got.code, rss>>20, longest>>10),
			fmt.Sprintf("slowest /ping %s; small import %s", worst.Round(time.Millisecond), small.Round(time.Millisecond)))
	}
}

// (c) 2,000 connections trickling their headers and 1,000 ?wait=
// requests: the trickling ones are closed at the header timeout, waits
// over the bounds get 429, the waits held cost the database O(1) work
// rather than work per wait, and the reporter stays responsive.
func TestAbuseSlowClientsAndWaits(t *testing.T) {
	g := startReporter(t, nil) // the shipped limits: 10 s headers, 100 waits a client, 1,000 in all
	const slow, clients, perClient = 2000, 10, 100
	pings := g.ping()

	// 2,000 connections that send a header line a second and never end.
	closedBy := make(chan time.Duration, slow)
	var served sync.Map
	opened := time.Now()
	for i := range slow {
		conn, err := net.Dial("tcp", strings.TrimPrefix(g.url, "http://"))
		if err != nil {
			t.Fatalf("slow connection %d: %v", i, err)
		}
		t.Cleanup(func() { conn.Close() })
		go trickleHeaders(conn, closedBy, &served, i)
	}

	// 1,000 waits from ten addresses (127.0.0.2 to .11), 100 each.
	start := g.commits()
	ctx, cancel := context.WithCancel(t.Context())
	var waits sync.WaitGroup
	defer waits.Wait()
	defer cancel() // the waits end with the test (the reporter holds them for 60 s)
	for i := range clients * perClient {
		waits.Add(1)
		go func() {
			defer waits.Done()
			a := askFrom(ctx, fmt.Sprintf("127.0.0.%d", 2+i%clients), g.url, fmt.Sprintf("abuse_%04d", i), "60s")
			if a.err == nil && a.code != http.StatusOK {
				t.Errorf("a wait within the bounds answered %d %s", a.code, a.body)
			}
		}()
	}
	if !eventually(t.Context(), 60*time.Second, func() bool { return g.gauge("secbot_gate_waits") == clients*perClient }) {
		t.Fatalf("the reporter holds %v waits, want %d", g.gauge("secbot_gate_waits"), clients*perClient)
	}
	held := time.Now()
	for _, c := range []struct{ from, bound string }{{"127.0.0.2", "this address already holds 100"},
		{"127.0.0.12", "the reporter already holds 1000"}} {
		a := askFrom(ctx, c.from, g.url, "abuse_over", "60s")
		if a.code != http.StatusTooManyRequests || a.retryAfter == "" || !strings.Contains(a.body, c.bound) {
			t.Errorf("one wait more from %s: %d Retry-After %q %s, want 429 saying %q", c.from, a.code, a.retryAfter, a.body, c.bound)
		}
	}
	small := g.smallImport(t, "abuse-clients", "with 2,000 trickling connections and 1,000 waits open")

	// Database work while the 1,000 waits are held: PostgreSQL's counts
	// lag by up to 10 s (PGSTAT_IDLE_INTERVAL), so the window starts 11 s
	// after the waits (and the import) began.
	time.Sleep(time.Until(held.Add(11 * time.Second)))
	before := g.commits()
	const window = 5 * time.Second
	time.Sleep(window)
	during := g.commits() - before
	if during > 50 {
		t.Errorf("1,000 held waits made %d transactions in %s, want a handful (the shared poll's)", during, window)
	}

	// The trickling connections were closed by the header timeout (10 s).
	var latest time.Duration
	open := slow
	deadline := time.After(time.Until(opened.Add(30 * time.Second)))
closing:
	for open > 0 {
		select {
		case d := <-closedBy:
			latest = max(latest, d)
			open--
		case <-deadline:
			break closing
		}
	}
	if open > 0 {
		t.Errorf("%d of %d trickling connections still open after 30s", open, slow)
	}
	n := 0
	served.Range(func(any, any) bool { n++; return true })
	if n > 0 {
		t.Errorf("%d trickling connections were answered 200", n)
	}
	worst := pings.check(t, "with 2,000 trickling connections and 1,000 waits open")
	abuseRow(t, "(c) 2,000 trickling connections, 1,000 waits (10 addresses)",
		fmt.Sprintf("trickling connections closed within %s; %d transactions in %s while the waits were held (%d to open them)",
			latest.Round(100*time.Millisecond), during, window, before-start),
		fmt.Sprintf("slowest /ping %s; small import %s", worst.Round(time.Millisecond), small.Round(time.Millisecond)))
}

// trickleHeaders sends a request line and then a header line a second on
// conn until the server closes it, and reports when that was.
func trickleHeaders(conn net.Conn, closedBy chan<- time.Duration, served *sync.Map, i int) {
	start := time.Now()
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		line, _ := bufio.NewReader(conn).ReadString('\n')
		if strings.Contains(line, " 200 ") {
			served.Store(i, true)
		}
		_, _ = io.Copy(io.Discard, conn)
	}()
	_, _ = io.WriteString(conn, "GET /ping HTTP/1.1\r\nHost: reporter\r\n")
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-closed:
			closedBy <- time.Since(start)
			return
		case <-tick.C:
			_, _ = fmt.Fprintf(conn, "X-Slow-%d: a\r\n", n)
		}
	}
}

// waitAnswer is the gate's answer to a wait.
type waitAnswer struct {
	code       int
	retryAfter string
	body       string
	err        error
}

// askFrom asks the gate about id with ?wait=wait from the loopback
// address from, so that the reporter sees it as that client.
func askFrom(ctx context.Context, from, base, id, wait string) waitAnswer {
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	client := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{DialContext: dialer.DialContext}}
	defer client.CloseIdleConnections()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/security/gitlab/check/"+id+"?wait="+wait, nil)
	resp, err := client.Do(req)
	if err != nil {
		return waitAnswer{err: err}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return waitAnswer{code: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), body: string(raw)}
}

// gauge reads one unlabelled metric of the reporter's /metrics.
func (g *gateStack) gauge(name string) float64 {
	resp, err := http.Get(g.url + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			var f float64
			if _, err := fmt.Sscan(v, &f); err == nil {
				return f
			}
		}
	}
	return -1
}

// repeat writes head, item n times separated by sep, then tail.
func repeat(w io.Writer, head, item, sep, tail string, n int) error {
	if _, err := io.WriteString(w, head); err != nil {
		return err
	}
	for i := range n {
		if i > 0 {
			if _, err := io.WriteString(w, sep); err != nil {
				return err
			}
		}
		if _, err := io.WriteString(w, item); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, tail)
	return err
}
