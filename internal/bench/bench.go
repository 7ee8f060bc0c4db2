// Package bench is make bench: it measures SecBot on this machine side by
// side with its anchors, in one run, and writes the table to
// docs/performance.md. It runs the real receiver, reporter and worker as
// processes on loopback; every load it makes is bounded in count and time.
// Numbers, not pass/fail: nothing fails on a missed target.
package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Options say where the benchmark may keep its state.
type Options struct {
	// AdminDSN is a PostgreSQL server where it may create secbot_bench.
	AdminDSN string
	// RedisURL is a Redis database it may use alone.
	RedisURL string
	// Doc is the file the table goes to ("" for none).
	Doc string
	// Pushes is how many pushes the end-to-end run makes (default 50).
	Pushes int
	// Tags are the build tags of the processes measured (the Makefile's
	// TAGS).
	Tags string
	// Only names the parts to run ("intake,scan"; "" for all: e2e,
	// history, import, identical, formats, intake, scan, checkout, pushhook, validity). A partial run prints its rows and
	// leaves Doc alone.
	Only string
}

// identicalN is the size of the identical-findings import.
const identicalN = 100000

// runs reports whether the part named is to run.
func (o Options) runs(part string) bool {
	return o.Only == "" || slices.Contains(strings.Split(o.Only, ","), part)
}

// results are everything one run measured.
type results struct {
	e2e, scanTask              []time.Duration
	seed, imported             time.Duration
	seedN, importN, importPeak int
	secbot, bare               intakeResult
	offered                    float64
	scan                       scanResult
	history                    historyResult
	checkout                   checkoutResult
	identical                  identicalResult
	pushHook                   pushHookResult
	validity                   validityResult
	formats                    []formatResult
	idle, peak                 map[string]float64
	intakeCPU                  map[string]time.Duration // per hook answered
}

// Run measures and writes the table to out (and to opt.Doc).
func Run(ctx context.Context, out io.Writer, opt Options) error {
	if opt.Pushes <= 0 {
		opt.Pushes = 50
	}
	say := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }
	began := time.Now()
	say("bench: building and starting receiver, reporter and worker…")
	s, err := newStack(ctx, opt)
	defer s.close()
	if err != nil {
		return err
	}
	r := results{idle: map[string]float64{}, peak: map[string]float64{}, offered: 1000, seedN: 100000, importN: 10000}
	time.Sleep(2 * time.Second) // let start-up garbage go
	for name, p := range s.procs {
		r.idle[name], _ = p.memory()
	}

	if opt.runs("e2e") {
		say("bench: end to end, %d pushes each planting a token…", opt.Pushes)
		if r.e2e, r.scanTask, err = s.endToEnd(ctx, opt.Pushes); err != nil {
			return err
		}
	}
	for name, p := range s.procs {
		_, r.peak[name] = p.memory()
	}
	// The history part needs the worker, which the intake stops.
	if opt.runs("history") {
		say("bench: history scan of a generated instance of %d projects, then the gitleaks CLI over them one after another…", historyProjects)
		if r.history, err = s.historyPhase(ctx); err != nil {
			return err
		}
	}
	if opt.runs("intake") {
		say("bench: webhook intake (the worker stopped, so the queue only fills)…")
		s.procs["worker"].stop()
		delete(s.procs, "worker")
		r.intakeCPU = map[string]time.Duration{}
		before := map[string]time.Duration{}
		for _, name := range []string{"receiver", "postgres", "redis-server"} {
			before[name] = cpuTime(name)
		}
		r.secbot = s.intake(ctx, s.receiver+"/v1/gitlab/webhook", r.offered, 5*time.Second)
		answered := r.secbot.answered()
		for name, used := range before {
			r.intakeCPU[name] = (cpuTime(name) - used) / time.Duration(max(1, answered))
		}
		bare, stop := bareFiber()
		r.bare = s.intake(ctx, bare, r.offered, 5*time.Second)
		stop()
		_, r.peak["receiver"] = s.procs["receiver"].memory()
	}
	// The import runs last of the three: the autovacuum and checkpoint
	// that its 110,000 findings set off would weigh on the runs after it.
	if opt.runs("import") {
		say("bench: import, %d findings into a product that holds %d…", r.importN, r.seedN)
		if err := r.importPhase(ctx, s); err != nil {
			return err
		}
		// The import reset the reporter's peak to measure itself.
		r.peak["reporter"] = max(r.peak["reporter"], float64(r.importPeak))
	}
	if opt.runs("identical") {
		say("bench: import of %d identical findings, and one-finding imports into the same product meanwhile…", identicalN)
		if r.identical, err = s.identicalPhase(ctx, identicalN); err != nil {
			return err
		}
		r.peak["reporter"] = max(r.peak["reporter"], float64(r.identical.peak))
	}
	if opt.runs("formats") {
		say("bench: imports of a Trivy (JSON) report of %d findings and a ZAP (XML) report of %d, about 100 MB each…", trivyN, zapN)
		if r.formats, err = s.formatsPhase(ctx); err != nil {
			return err
		}
		for _, f := range r.formats {
			r.peak["reporter"] = max(r.peak["reporter"], float64(f.peak))
		}
	}
	if opt.runs("scan") {
		say("bench: full-history scan, SecBot and the gitleaks CLI (building it the first time takes minutes)…")
		if r.scan, err = scans(ctx, s.dir, opt.Tags, 5); err != nil {
			return err
		}
	}

	if opt.runs("checkout") {
		say("bench: the command scan's checkout and overhead, 1,000 files, on disk and on tmpfs…")
		if r.checkout, err = checkouts(ctx, opt.Tags, 20); err != nil {
			return err
		}
	}

	if opt.runs("pushhook") {
		say("bench: the pre-receive hook, %d one-commit pushes to a %d-commit repository…", opt.Pushes, hookRepoCommits)
		if r.pushHook, err = pushHooks(ctx, s.dir, opt.Pushes); err != nil {
			return err
		}
	}

	if opt.runs("validity") {
		say("bench: validity checks, %d pushes of five secrets, each provider answering in 50 ms…", min(opt.Pushes, 20))
		if r.validity, err = validityChecks(ctx, opt.Tags, min(opt.Pushes, 20)); err != nil {
			return err
		}
	}

	table := r.table(opt, time.Since(began))
	fmt.Fprintln(out, table)
	if opt.Doc != "" && opt.Only == "" {
		return writeDoc(opt.Doc, table)
	}
	return nil
}

// importPhase seeds a product, then imports a report half of which it
// holds already, reading the reporter's peak memory for that import.
func (r *results) importPhase(ctx context.Context, s *stack) (err error) {
	if r.seed, err = s.importReport(ctx, "bench/import", sarif(0, r.seedN)); err != nil {
		return err
	}
	report := sarif(r.seedN-r.importN/2, r.seedN+r.importN/2) // half found before, half new
	s.procs["reporter"].resetPeak()
	if r.imported, err = s.importReport(ctx, "bench/import", report); err != nil {
		return err
	}
	_, peak := s.procs["reporter"].memory()
	r.importPeak = int(peak)
	return nil
}

// Markers around the generated table in docs/performance.md: what stands
// outside them (notes on profiles and fixes) is kept.
const (
	startMarker = "<!-- make bench: start -->"
	endMarker   = "<!-- make bench: end -->"
)

// writeDoc puts the table between the markers of path, or writes the
// whole document when it has none.
func writeDoc(path, table string) error {
	block := startMarker + "\n" + table + "\n" + endMarker
	old, err := os.ReadFile(path)
	if err == nil {
		before, rest, ok1 := strings.Cut(string(old), startMarker)
		_, after, ok2 := strings.Cut(rest, endMarker)
		if ok1 && ok2 {
			return os.WriteFile(path, []byte(before+block+after), 0o644)
		}
	}
	return os.WriteFile(path, []byte(document(block)), 0o644)
}

func us(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond)) }

func ms(d time.Duration) string {
	if d < 10*time.Millisecond {
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

// table renders the results with their targets and anchors.
func (r results) table(opt Options, took time.Duration) string {
	var b strings.Builder
	p50, p99 := percentile(r.e2e, 0.5), percentile(r.e2e, 0.99)
	importRate := float64(r.importN) / r.imported.Seconds()
	fmt.Fprintf(&b, "Measured %s on %s (%d cores, Go %s, build tags %q); the run took %s.\n\n",
		time.Now().UTC().Format("2006-01-02"), cpuModel(), runtime.NumCPU(), runtime.Version(), opt.Tags, took.Round(time.Second))
	b.WriteString("| measure | SecBot | anchor, same run | target | |\n|---|---|---|---|---|\n")
	part := ""
	row := func(measure, got, anchor, target string, ok bool) {
		if part != "" && !opt.runs(part) {
			return
		}
		v := verdict(ok)
		if target == "" {
			v = ""
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", measure, got, anchor, target, v)
	}
	part = "intake"
	// Sustained is the higher of the two closed-loop rates: with too few
	// clients a closed loop measures their patience, not the receiver.
	best := max(r.secbot.sustained.Rate, r.secbot.wide.Rate)
	row("webhook intake, sustained (closed loop, 5 s each; stored and queued)",
		fmt.Sprintf("%.0f hooks/s with %d clients, %.0f with %d", r.secbot.sustained.Rate, intakeClients, r.secbot.wide.Rate, wideClients),
		fmt.Sprintf("bare fiber handler: %.0f/s and %.0f/s (SecBot %.0f%%)", r.bare.sustained.Rate, r.bare.wide.Rate,
			100*best/max(r.bare.sustained.Rate, r.bare.wide.Rate)),
		"≥ 5,000 hooks/s", best >= 5000 && r.secbot.sustained.Failed == 0 && r.secbot.wide.Failed == 0)
	row(fmt.Sprintf("webhook latency at %.0f hooks/s offered (5 s)", r.offered), fmt.Sprintf("p50 %s, p99 %s", ms(r.secbot.paced.P50), ms(r.secbot.paced.P99)),
		fmt.Sprintf("bare fiber: p50 %s, p99 %s", ms(r.bare.paced.P50), ms(r.bare.paced.P99)), "p99 < 25 ms",
		r.secbot.paced.P99 < 25*time.Millisecond && r.secbot.paced.Failed == 0)
	row("CPU per hook during intake (the three runs)", fmt.Sprintf("receiver %s, PostgreSQL %s, Redis %s",
		us(r.intakeCPU["receiver"]), us(r.intakeCPU["postgres"]), us(r.intakeCPU["redis-server"])),
		"", "", true)
	part = "import"
	row(fmt.Sprintf("import of %d SARIF findings (half seen before) into a product of %d, dedup on", r.importN, r.seedN),
		fmt.Sprintf("%.0f findings/s (%s); reporter peak RSS %d MB", importRate, r.imported.Round(time.Millisecond), r.importPeak),
		"DefectDojo: ~35/s (PR #13182), ~550/s after batching (PR #13889)", "≥ 5,000/s, RSS < 300 MB",
		importRate >= 5000 && r.importPeak < 300)
	row(fmt.Sprintf("seeding: import of %d findings", r.seedN), fmt.Sprintf("%.0f findings/s (%s)", float64(r.seedN)/r.seed.Seconds(), r.seed.Round(time.Millisecond)),
		"", "", true)
	part = "identical"
	r.identical.rows(row)
	part = "formats"
	formatRows(r.formats, row)
	part = "scan"
	row("full-history scan, 3,000 commits, 30 tokens", ms(r.scan.SecBot),
		fmt.Sprintf("gitleaks CLI v8.30.1: %s with gore2regex, %s with Go regexp (found %d)", ms(r.scan.CLIRe2), ms(r.scan.CLIStd), r.scan.Secrets),
		"no slower than the CLI with gore2regex", r.scan.SecBot <= r.scan.CLIRe2)
	part = "history"
	r.history.rows(row)
	part = "checkout"
	row("command scan: checkout of a 1,000-file commit (4 MB), warm mirror", fmt.Sprintf("p50 %s on tmpfs, %s on disk", ms(r.checkout.CheckoutTmpfs), ms(r.checkout.CheckoutDisk)),
		fmt.Sprintf("git checkout-index into a temporary index: %s on tmpfs, %s on disk", ms(r.checkout.IndexTmpfs), ms(r.checkout.IndexDisk)),
		"p50 < 150 ms (on tmpfs)", r.checkout.CheckoutTmpfs < 150*time.Millisecond)
	row("command scan of that commit with a no-op scanner (fetch, checkout, run, store, clean up)", fmt.Sprintf("p50 %s on tmpfs, %s on disk", ms(r.checkout.ScanTmpfs), ms(r.checkout.ScanDisk)),
		"the checkout alone (row above)", "", true)
	part = "pushhook"
	h := r.pushHook
	row(fmt.Sprintf("push protection: one-commit push to a %d-commit repository with secbot-pre-receive (%d pushes, each timed whole)", hookRepoCommits, h.Pushes),
		fmt.Sprintf("p50 %s, p99 %s", ms(percentile(h.Guarded, 0.5)), ms(percentile(h.Guarded, 0.99))),
		fmt.Sprintf("the same pushes without the hook: p50 %s, p99 %s", ms(percentile(h.Plain, 0.5)), ms(percentile(h.Plain, 0.99))),
		"p99 < 300 ms", percentile(h.Guarded, 0.99) < 300*time.Millisecond)
	part = "validity"
	v := r.validity
	row(fmt.Sprintf("validity checks: push hook → final verdict, %d pushes of five secrets (GitLab, GitHub, Slack, npm, Stripe), each provider answering in 50 ms", v.Pushes),
		fmt.Sprintf("p50 %s, p99 %s", ms(v.P50), ms(v.P99)), "", "p50 < 1 s", v.P50 < time.Second)
	part = "e2e"
	row("scan task of a one-commit push, warm mirror", fmt.Sprintf("p50 %s, p99 %s", ms(percentile(r.scanTask, 0.5)), ms(percentile(r.scanTask, 0.99))),
		"", "", true)
	row(fmt.Sprintf("end to end: push hook → final verdict, %d pushes with a token", len(r.e2e)), fmt.Sprintf("p50 %s, p99 %s", ms(p50), ms(p99)),
		"the original bot: a full clone, then a 120 s sleep per scan", "p50 < 1 s, p99 < 3 s", p50 < time.Second && p99 < 3*time.Second)
	part = ""
	idleOK := true
	var idle, peak []string
	for _, name := range []string{"receiver", "reporter", "worker"} {
		idle = append(idle, fmt.Sprintf("%s %.0f MB", name, r.idle[name]))
		peak = append(peak, fmt.Sprintf("%s %.0f MB", name, r.peak[name]))
		idleOK = idleOK && r.idle[name] < 50
	}
	row("memory: RSS idle", strings.Join(idle, ", "), "", "< 50 MB each", idleOK)
	row("memory: peak RSS in the runs above", strings.Join(peak, ", "), "", "", true)
	return b.String()
}

func cpuModel() string {
	raw, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "this machine"
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "this machine"
}

// document is docs/performance.md around the table.
func document(table string) string {
	return `# Performance

` + "`make bench`" + ` measures SecBot on this machine side by side with its anchors, in one run, and
rewrites this file. It builds the three processes and runs them as processes on loopback against
PostgreSQL and Redis, with stand-ins for GitLab (git over HTTP) and Slack; every load it makes is
bounded in count and time. These are numbers, not tests: nothing fails on a missed target.

- **Intake**: a Go load generator posts push hooks (each a new commit, so each is stored with its
  check and task plan and queued; the hook is made once and each request changes only its
  commit and delivery key, so the generator's CPU goes to sending), first with 16 clients back
  to back, then with 64 (GitLab sends hooks from many Sidekiq threads at once): the sustained
  rate is the higher of the two, since a closed loop with few clients measures their round
  trips more than the receiver. Then open loop at a fixed offered rate (latency from the
  scheduled send, so queueing counts). The worker is stopped so only the
  receiver works. The same runs against a bare fiber handler that reads the body and answers
  200 give the floor. The CPU time the receiver, PostgreSQL and Redis used meanwhile, read
  from ` + "`/proc`" + `, divided by the hooks answered, says where the cost lies. The import runs after
  the intake, so the autovacuum its 110,000 findings set off does not weigh on it.
- **Import**: a SARIF report of 10,000 findings, half of them already in the product, uploaded
  with ` + "`import-scan`" + ` into a product seeded with 100,000; the reporter's peak RSS is read from
  ` + "`/proc`" + ` for that import alone.
- **Identical findings** (part ` + "`identical`" + `): a SARIF report of 100,000 results alike, each a
  duplicate of the first (the shape that made imports quadratic, docs/security.md audit item
  2), uploaded into a product while a one-finding report is imported into the same product and
  engagement every 200 ms, as CI jobs' would be; the rate of the large import, and the small
  ones' latency (p50 and the slowest).
- **Formats** (part ` + "`formats`" + `): a Trivy report (JSON) of 300,000 vulnerabilities and a ZAP
  report (XML) of 160,000 alerts, about 100 MB each, all findings different, each imported into a
  product of its own; the rate and the reporter's peak RSS.
- **Checkout**: ` + "`BenchmarkCheckout`" + ` (internal/mirror) and ` + "`BenchmarkCommandScan`" + `
  (internal/scan/command), 20 runs each, medians, with the checkouts in the temporary folder (the
  machine's disk) and in /dev/shm (tmpfs): a 1,000-file commit from a warm mirror, and a command
  scan of it whose scanner only writes an empty report.
- **Scan**: ` + "`BenchmarkScanHistory`" + ` (the worker's scan, in process, of a generated repository of
  3,000 commits with 30 tokens) against the gitleaks CLI v8.30.1 built from the same module with
  ` + "`go install`" + `, with and without ` + "`-tags gore2regex`" + `, on the same repository (each CLI run timed
  whole, as a scan with the CLI costs). Means of 5 runs.
- **Validity checks** (part ` + "`validity`" + `): ` + "`BenchmarkLiveSecretsVerdict`" + ` (internal/e2e): the three processes,
  the secrets' providers behind an intercepting HTTPS proxy (` + "`HTTPS_PROXY`" + `, ` + "`SSL_CERT_FILE`" + `) answering
  in 50 ms each, GitLab's stand-in knowing the planted token; each push plants five new secrets
  of five providers and is timed from the hook to the final verdict.
- **Push protection** (part ` + "`pushhook`" + `): ` + "`secbot-pre-receive`" + ` installed in a bare repository of
  10,000 commits made with ` + "`git fast-import`" + `; as many one-commit pushes as the end-to-end run
  makes (` + "`SECBOT_BENCH_PUSHES`" + `), each timed whole from ` + "`git push`" + ` to its end, against the same
  pushes to a copy without the hook.
- **History** (part ` + "`history`" + `): a generated instance of 50 projects of 150 commits each
  (every fifth planting tokens), listed through the GitLab API stand-in as one group: the
  history scan asked of the reporter's API, from the request to its end (workers scanning 4
  projects at once, each through the job's task plan: fetch, scan, import), in MB of git
  history a second, the bytes ` + "`git log -p`" + ` prints of each default branch; beside it the gitleaks CLI
  v8.30.1 (Go regexp build) run over the same repositories one after another.
- **End to end**: pushes to the stand-in GitLab, each commit planting a token; from posting the
  hook to the pipeline gate's answer with ` + "`?wait=`" + ` (verdict ` + "`fail`" + `).
- **Memory**: RSS of each process two seconds after start, and its peak over the runs. The
  benchmark empties its Redis database first, so the worker starts idle.
- **Build**: the processes are built with the Makefile's ` + "`TAGS`" + ` (none by default; the table
  names them): ` + "`make bench TAGS=gore2regex`" + ` measures the go-re2 build.

## Latest run

` + table + `

Command: ` + "`make bench`" + ` (it needs ` + "`make deps`" + `; the first run also builds the gitleaks CLI twice,
which takes a few minutes).
`
}
