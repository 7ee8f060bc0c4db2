package command

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// newInvocation makes a checkout and a report folder for a command.
func newInvocation(t *testing.T, s Settings) *invocation {
	t.Helper()
	if s.ScanType == "" {
		s.ScanType = "SARIF"
	}
	s, err := s.WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	inv := &invocation{settings: s, dir: filepath.Join(work, "src"), reportDir: filepath.Join(work, "out"),
		head: strings.Repeat("b", 40), base: strings.Repeat("a", 40), secrets: []string{"glpat-TheInstanceToken01"}}
	for _, d := range []string{inv.dir, inv.reportDir} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	return inv
}

func report(t *testing.T, inv *invocation) string {
	t.Helper()
	b, err := os.ReadFile(inv.reportPath())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPlaceholdersInsideArguments(t *testing.T) {
	t.Parallel()
	inv := newInvocation(t, Settings{Command: []string{"sh", "-c", "printf '%s..%s in %s' {base} {head} {dir} > {report}; pwd > {report}.pwd"}})
	if err := inv.run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := report(t, inv), inv.base+".."+inv.head+" in ."; got != want {
		t.Fatalf("report = %q, want %q", got, want)
	}
	if pwd, _ := os.ReadFile(inv.reportPath() + ".pwd"); strings.TrimSpace(string(pwd)) != inv.dir {
		t.Fatalf("the command ran in %q, want the checkout %s", pwd, inv.dir)
	}
	// With no {report}, standard output is the report.
	inv = newInvocation(t, Settings{Command: []string{"echo", "from stdout"}})
	if err := inv.run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := report(t, inv); got != "from stdout\n" {
		t.Fatalf("report = %q", got)
	}
}

func TestExitCodes(t *testing.T) {
	t.Parallel()
	inv := newInvocation(t, Settings{Command: []string{"sh", "-c", "echo '[]' > {report}; exit 1"}, OkExitCodes: []int{0, 1}})
	if err := inv.run(context.Background()); err != nil {
		t.Fatalf("exit 1 listed in ok_exit_codes: %v", err)
	}
	inv = newInvocation(t, Settings{Command: []string{"sh", "-c",
		"echo 'a line long ago' >&2; echo 'rule file broken; token glpat-TheInstanceToken01 and xoxb-1234567890-abcdef' >&2; exit 3"}})
	err := inv.run(context.Background())
	if err == nil {
		t.Fatal("exit 3 passed")
	}
	msg := err.Error()
	for _, want := range []string{"sh failed", "exit status 3", "rule file broken", "REDACTED"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, "glpat-TheInstanceToken01") || strings.Contains(msg, "xoxb-1234567890") {
		t.Errorf("error shows a token: %q", msg)
	}
	inv = newInvocation(t, Settings{Command: []string{"true", "{report}"}})
	if err := inv.run(context.Background()); err == nil || !strings.Contains(err.Error(), "wrote no report") {
		t.Fatalf("no report written: %v", err)
	}
}

// A command that hangs is killed at its timeout with the processes it
// started, however they were started.
func TestTimeoutKillsTheProcessGroup(t *testing.T) {
	t.Parallel()
	// Each process the command starts carries this run's mark in its
	// environment, so that only they are looked for (another run of the
	// test, in another package's binary or clone, has its own).
	mark := "SCAN_TEST_RUN=" + strconv.FormatInt(time.Now().UnixNano(), 36) + strconv.Itoa(os.Getpid())
	name, value, _ := strings.Cut(mark, "=")
	inv := newInvocation(t, Settings{Timeout: time.Second, SetEnv: map[string]string{name: value}, Command: []string{"sh", "-c",
		"sleep 300 & echo $! > {report}.child; (sleep 300 &) ; sleep 300"}})
	start := time.Now()
	err := inv.run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "timed out after 1s") {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if took := time.Since(start); took > 60*time.Second {
		t.Fatalf("run returned after %s", took)
	}
	raw, err := os.ReadFile(inv.reportPath() + ".child")
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(raw)))
	if pid <= 0 {
		t.Fatalf("child pid %q", raw)
	}
	waitGone(t, pid)
	// No process is left that the command started. A killed process may
	// take a moment to die on a loaded machine: each has a few seconds.
	left := processesMarked(t, mark)
	for deadline := time.Now().Add(10 * time.Second); len(left) > 0 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		left = processesMarked(t, mark)
	}
	if len(left) > 0 {
		t.Fatalf("processes left 10 s after the timeout: %v", left)
	}
}

// waitGone waits for a killed process to be reaped by its parent (init
// for an orphan), failing if it still runs after 10 s.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	for range 100 {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
		if state, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); strings.Contains(string(state), ") Z ") {
			return // killed, waiting for its parent to reap it
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("process %d still runs", pid)
}

// processesMarked are the live (not zombie) processes whose environment
// holds mark.
func processesMarked(t *testing.T, mark string) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		environ, _ := os.ReadFile("/proc/" + e.Name() + "/environ")
		state, _ := os.ReadFile("/proc/" + e.Name() + "/stat")
		if slices.Contains(strings.Split(string(environ), "\x00"), mark) && !strings.Contains(string(state), ") Z ") {
			pids = append(pids, pid)
		}
	}
	return pids
}

// A scanner run as env sees none of SecBot's variables, only those its
// component passes.
func TestEnvironmentIsScrubbed(t *testing.T) {
	for name, value := range map[string]string{"GITLAB_CONFIGS": `[{"auth_token":"glpat-x"}]`, "SECBOT_POSTGRES_DSN": "postgres://secret",
		"DEFECTDOJO__TOKEN": "dojo-secret", "SLACK_TOKEN": "xoxb-secret", "CELERY_BROKER_URL": "redis://secret", "SCANNER_RULES": "p/ci"} {
		t.Setenv(name, value)
	}
	inv := newInvocation(t, Settings{Command: []string{"env"}, PassEnv: []string{"SCANNER_RULES"}, SetEnv: map[string]string{"CACHE": "/var/cache/x"}})
	if err := inv.run(context.Background()); err != nil {
		t.Fatal(err)
	}
	env := report(t, inv)
	for _, secret := range []string{"glpat-x", "postgres://secret", "dojo-secret", "xoxb-secret", "redis://secret"} {
		if strings.Contains(env, secret) {
			t.Errorf("the scanner's environment shows %q:\n%s", secret, env)
		}
	}
	if !strings.Contains(env, "SCANNER_RULES=p/ci") || !strings.Contains(env, "PATH=") || !strings.Contains(env, "CACHE=/var/cache/x") {
		t.Errorf("the scanner's environment lacks what its component passes:\n%s", env)
	}
	if _, err := (Settings{Command: []string{"env"}, ScanType: "SARIF", PassEnv: []string{"SECBOT_POSTGRES_DSN"}}).WithDefaults(); err == nil {
		t.Error("pass_env accepted one of SecBot's own variables")
	}
	if _, err := (Settings{Command: []string{"env"}, ScanType: "SARIF", SetEnv: map[string]string{"GITLAB_CONFIGS": "[]"}}).WithDefaults(); err == nil {
		t.Error("set_env accepted one of SecBot's own variables")
	}
}

func TestReportLimit(t *testing.T) {
	t.Parallel()
	inv := newInvocation(t, Settings{Command: []string{"sh", "-c", "yes finding | head -c 3000000"}, MaxReportMegabytes: 1})
	if err := inv.run(context.Background()); err == nil || !strings.Contains(err.Error(), "larger than max_report_megabytes (1 MB)") {
		t.Fatalf("a 3 MB report on stdout: %v", err)
	}
	inv = newInvocation(t, Settings{Command: []string{"sh", "-c", "head -c 3000000 /dev/zero > {report}"}, MaxReportMegabytes: 1})
	if err := inv.run(context.Background()); err == nil || !strings.Contains(err.Error(), "larger than max_report_megabytes (1 MB)") {
		t.Fatalf("a 3 MB report file: %v", err)
	}
}

// Under sandbox: true the scanner reaches no network, cannot write the
// checkout, writes its report, and sees neither the worker's home nor
// its mirrors.
func TestSandbox(t *testing.T) {
	t.Parallel()
	if err := checkSandbox(context.Background()); err != nil {
		t.Fatalf("bubblewrap must be installed for the tests (scripts/deps.sh installs it): %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	connect := []string{"python3", "-c", "import socket; socket.create_connection(('127.0.0.1', " + port + "), 3); print('connected')"}
	// The same command outside the sandbox connects: the test can fail.
	if err := newInvocation(t, Settings{Command: connect}).run(context.Background()); err != nil {
		t.Fatalf("outside the sandbox: %v", err)
	}
	if err := newInvocation(t, Settings{Command: connect, Sandbox: true}).run(context.Background()); err == nil {
		t.Fatal("a sandboxed scanner reached 127.0.0.1")
	}
	inv := newInvocation(t, Settings{Sandbox: true, Command: []string{"sh", "-c", "echo x > {dir}/planted"}})
	if err := inv.run(context.Background()); err == nil {
		t.Fatal("a sandboxed scanner wrote into the checkout")
	}
	if _, err := os.Stat(filepath.Join(inv.dir, "planted")); err == nil {
		t.Fatal("the file planted in the checkout is there")
	}
	home, _ := os.UserHomeDir()
	inv = newInvocation(t, Settings{Sandbox: true, Command: []string{"sh", "-c",
		"echo ok > {report}; ls " + home + " >> {report} 2>&1 || echo 'no home' >> {report}"}})
	if err := inv.run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := report(t, inv); !strings.HasPrefix(got, "ok\n") || !strings.Contains(got, "no home") {
		t.Fatalf("sandboxed report = %q, want ok and no view of %s", got, home)
	}
}
