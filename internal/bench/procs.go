package bench

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// process is one SecBot binary running as its own OS process.
type process struct {
	name string
	cmd  *exec.Cmd
	done chan error
	log  *os.File
}

// start runs bin/name with env in dir and waits for its readiness URL.
func start(ctx context.Context, bin, name, dir string, env []string, ready string) (*process, error) {
	logFile, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(filepath.Join(bin, name))
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, done: make(chan error, 1), log: logFile}
	go func() { p.done <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			return nil, fmt.Errorf("%s exited while starting (%v); see %s", name, err, logFile.Name())
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if resp, err := http.Get(ready); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
	}
	p.stop()
	return nil, fmt.Errorf("%s not ready at %s after 60s; see %s", name, ready, logFile.Name())
}

// stop ends the process with SIGTERM (SIGKILL after 10 s).
func (p *process) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	// Its exit status after a signal says nothing: only its end matters.
	select {
	case <-p.done: //nolint:errcheck // see above
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done //nolint:errcheck // see above
	}
	p.log.Close()
}

// memory reads a process's resident set size now and its peak, in MB.
func (p *process) memory() (rss, peak float64) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(fields[1], 64)
		switch fields[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			peak = kb / 1024
		}
	}
	return rss, peak
}

// resetPeak starts the process's peak RSS over from now (Linux
// clear_refs), so a peak belongs to one phase.
func (p *process) resetPeak() {
	_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", p.cmd.Process.Pid), []byte("5"), 0)
}

// freeAddr is a loopback address nothing listens on now.
func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "127.0.0.1:0"
	}
	defer ln.Close()
	return ln.Addr().String()
}
