//go:build abuse

package e2e_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secbot/secbot/internal/testenv"
)

// Abuse tests: the real reporter process under the heavy shapes an audit
// found (huge and repetitive reports, slow clients, many waits), with
// loads on loopback that are bounded in count and time and stop by
// themselves. Each asserts that the reporter stays responsive meanwhile:
// /ping and a small import are answered within generous bounds. make
// test-abuse runs them (CI does too), without -race: the race detector's
// memory and time would drown what they measure. SECBOT_ABUSE_REPORT=file
// appends the measurements as table rows.

// Generous bounds on answers while a load runs: an idle reporter answers
// in milliseconds.
const (
	pingBound        = 5 * time.Second
	smallImportBound = 15 * time.Second
)

// gateStack is one reporter process on a database of its own (the gate
// and the findings service need no receiver or worker).
type gateStack struct {
	t    *testing.T
	url  string
	proc *process
	db   *testenv.DB
}

// startReporter runs the reporter with env added to its defaults.
func startReporter(t *testing.T, env map[string]string) *gateStack {
	t.Helper()
	st, dsn := testenv.Store(t)
	addr := freeAddr(t)
	full := map[string]string{
		"SECBOT_POSTGRES_DSN":   dsn,
		"CELERY_BROKER_URL":     testenv.RedisURL(t),
		"SECBOT_REPORTER_ADDR":  addr,
		"DEFECTDOJO__TOKEN":     dojoToken,
		"SECBOT_ADMIN_PASSWORD": adminPassword,
	}
	for k, v := range env {
		full[k] = v
	}
	g := &gateStack{t: t, url: "http://" + addr, db: &testenv.DB{Pool: st.Pool()}}
	g.proc = startProcess(t, "reporter", full, g.url+"/readyz")
	return g
}

// pinger asks /ping on a new connection every 200 ms until stopped, and
// keeps the slowest answer.
type pinger struct {
	stop  chan struct{}
	done  chan struct{}
	n     int
	worst time.Duration
	err   error
}

func (g *gateStack) ping() *pinger {
	p := &pinger{stop: make(chan struct{}), done: make(chan struct{})}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	go func() {
		defer close(p.done)
		for {
			start := time.Now()
			resp, err := client.Get(g.url + "/ping")
			took := time.Since(start)
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("/ping answered %d", resp.StatusCode)
				}
			}
			if err != nil && p.err == nil {
				p.err = err
			}
			p.n++
			p.worst = max(p.worst, took)
			select {
			case <-p.stop:
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	return p
}

// check stops the pinger and fails the test unless every answer came
// within pingBound; it returns the slowest.
func (p *pinger) check(t *testing.T, during string) time.Duration {
	t.Helper()
	close(p.stop)
	<-p.done
	if p.err != nil || p.n == 0 || p.worst > pingBound {
		t.Errorf("%s: /ping asked %d times, slowest %s (bound %s), error %v", during, p.n, p.worst, pingBound, p.err)
	}
	return p.worst
}

// imported is the reporter's answer to an import.
type imported struct {
	code int
	body string
	took time.Duration
	err  error
}

// importScan uploads the report that write produces (streamed, never held
// whole) to /api/v2/import-scan/ into product, within timeout. sent, if
// not nil, is closed once the whole report is sent.
func (g *gateStack) importScan(product, scanType, name string, timeout time.Duration,
	write func(io.Writer) error, sent chan<- struct{}) imported {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := func() error {
			for k, v := range map[string]string{"scan_type": scanType, "product_name": product,
				"engagement_name": "abuse", "auto_create_context": "true"} {
				if err := mw.WriteField(k, v); err != nil {
					return err
				}
			}
			fw, err := mw.CreateFormFile("file", name)
			if err != nil {
				return err
			}
			bw := bufio.NewWriterSize(fw, 1<<20)
			if err := write(bw); err != nil {
				return err
			}
			if err := bw.Flush(); err != nil {
				return err
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
		if sent != nil {
			close(sent)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, g.url+"/api/v2/import-scan/", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Token "+dojoToken)
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		pr.CloseWithError(err)
		return imported{err: err, took: time.Since(start)}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	return imported{code: resp.StatusCode, body: string(raw), took: time.Since(start)}
}

// leak is one gitleaks v8 finding as JSON, with match as its Match.
func leak(secret, match string, line int) string {
	return fmt.Sprintf(`{"Description":"GitLab Personal Access Token","StartLine":%d,"EndLine":%d,"StartColumn":1,"EndColumn":30,`+
		`"Match":%q,"Secret":%q,"File":"app/.env","Commit":"6666666666666666666666666666666666666666","Entropy":3.5,`+
		`"Author":"dev","Email":"dev@example.com","Date":"2026-01-01T00:00:00Z","Message":"settings","Tags":[],`+
		`"RuleID":"gitlab-pat","Fingerprint":"6666:app/.env:gitlab-pat:%d"}`, line, line, match, secret, line)
}

// smallImport imports one new leak into product and fails the test unless
// the answer is 201 within smallImportBound; it returns how long it took.
func (g *gateStack) smallImport(t *testing.T, product, during string) time.Duration {
	t.Helper()
	secret := "glpat-" + randomHex(10)
	got := g.importScan(product, "Gitleaks Scan", "small.json", 2*smallImportBound, func(w io.Writer) error {
		_, err := io.WriteString(w, "["+leak(secret, "token = "+secret, 7)+"]")
		return err
	}, nil)
	if got.err != nil || got.code != http.StatusCreated || got.took > smallImportBound {
		t.Errorf("%s: a small import into %q answered %d after %s (bound %s): %v %.200s",
			during, product, got.code, got.took.Round(time.Millisecond), smallImportBound, got.err, got.body)
	}
	return got.took
}

// peakRSS is the reporter process's peak resident memory (VmHWM).
func (g *gateStack) peakRSS() int64 {
	g.t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", g.proc.cmd.Process.Pid))
	if err != nil {
		g.t.Fatalf("reading the reporter's memory: %v", err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				g.t.Fatalf("VmHWM %q: %v", rest, err)
			}
			return kb << 10
		}
	}
	g.t.Fatal("no VmHWM in /proc/<pid>/status")
	return 0
}

// commits is the count of transactions committed in the reporter's
// database so far (PostgreSQL's statistics, flushed by each backend
// within about 10 s).
func (g *gateStack) commits() int {
	return g.db.Count(g.t, `SELECT xact_commit::int FROM pg_stat_database WHERE datname = current_database()`)
}

var abuseReportMu sync.Mutex

// abuseRow logs a measurement and appends it to SECBOT_ABUSE_REPORT.
func abuseRow(t *testing.T, cells ...string) {
	t.Helper()
	line := "| " + strings.Join(cells, " | ") + " |"
	t.Log(line)
	if path := os.Getenv("SECBOT_ABUSE_REPORT"); path != "" {
		abuseReportMu.Lock()
		defer abuseReportMu.Unlock()
		if f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			fmt.Fprintln(f, line)
			f.Close()
		}
	}
}
