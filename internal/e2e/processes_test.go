package e2e_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/secbot/secbot/internal/testenv"
)

// bin is where TestMain built receiver, reporter and worker.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "secbot-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = dir
	// The binaries are built as the tests are (same tags, -race with
	// -race), so the build reuses the test build's cache and races in them
	// are caught.
	args := []string{"build", "-tags", buildTags(), "-o", dir + "/"}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, "./cmd/receiver", "./cmd/reporter", "./cmd/worker")...)
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the processes: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// process is one SecBot process running as its own OS process.
type process struct {
	name string
	cmd  *exec.Cmd
	logs *testenv.Logs
}

// startProcess runs bin/name with env (and PATH, for git) in an empty
// directory, so no env file is read, and waits until ready answers 200.
// It is stopped with SIGTERM when the test ends.
func startProcess(t testing.TB, name string, env map[string]string, ready string) *process {
	t.Helper()
	cmd := exec.Command(filepath.Join(bin, name))
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + cmd.Dir}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &process{name: name, cmd: cmd, logs: &testenv.Logs{}}
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			t.Fatalf("%s exited while starting: %v\n%s", name, err, p.logs)
		case <-time.After(100 * time.Millisecond):
		}
		if resp, err := http.Get(ready); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
	}
	t.Fatalf("%s not ready at %s after 60s\n%s", name, ready, p.logs)
	return nil
}

// freeAddr is a loopback address nothing listens on now.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// eventually retries cond until it holds or d passes.
func eventually(ctx context.Context, d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if cond() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cond()
}

// buildTags are the tags this test binary was built with, but faults and
// abuse (which only select tests).
func buildTags() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, setting := range info.Settings {
		if setting.Key == "-tags" {
			tags := slices.DeleteFunc(strings.Split(setting.Value, ","), func(t string) bool { return t == "faults" || t == "abuse" })
			return strings.Join(tags, ",")
		}
	}
	return ""
}
