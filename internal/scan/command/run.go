package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/secbot/secbot/internal/redact"
)

// invocation is one run of the scanner's command.
type invocation struct {
	settings Settings
	// dir is the checkout, reportDir the folder the report is written in.
	dir, reportDir string
	base, head     string
	// secrets are values the stderr tail must not show (the instance's
	// token).
	secrets []string
}

// reportPath is where the command writes its report ({report}), or where
// its standard output is kept when it names no {report}.
func (inv *invocation) reportPath() string { return filepath.Join(inv.reportDir, "report") }

// args are the command with its placeholders replaced. The command runs
// in the checkout, and {dir} is "." so that reports name files as the
// repository does (app/x.py), the same from one scan to the next, which
// the findings service's deduplication needs.
func (inv *invocation) args() []string {
	r := strings.NewReplacer("{dir}", ".", "{report}", inv.reportPath(), "{base}", inv.base, "{head}", inv.head)
	out := make([]string, len(inv.settings.Command))
	for i, a := range inv.settings.Command {
		out[i] = r.Replace(a)
	}
	return out
}

// writesReport says whether the command names {report}; when not, its
// standard output is the report.
func (inv *invocation) writesReport() bool {
	return slices.ContainsFunc(inv.settings.Command, func(a string) bool { return strings.Contains(a, "{report}") })
}

// environment is what the command gets: PATH, a HOME and TMPDIR of its
// own, the C.UTF-8 locale, and the variables the component passes or sets
// (which come last, so they win).
func (inv *invocation) environment() []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + inv.reportDir, "TMPDIR=" + inv.reportDir, "LANG=C.UTF-8"}
	for _, name := range inv.settings.PassEnv {
		if v, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+v)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(inv.settings.SetEnv)) {
		env = append(env, name+"="+inv.settings.SetEnv[name])
	}
	return env
}

// tailBytes is how much of the command's standard error is kept for its
// task's error.
const tailBytes = 4 << 10

// run runs the command in its own process group, which is killed, with
// every process in it, when the command ends, times out or the worker
// stops. The report is bounded by max_report_megabytes; stderr is kept
// only as a bounded, redacted tail.
func (inv *invocation) run(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, inv.settings.Timeout)
	defer cancel()
	argv := inv.args()
	if inv.settings.Sandbox {
		argv = sandboxed(argv, inv)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...) //nolint:gosec // G204: the command is config.yml's, never the repository's (the point of this handler)
	cmd.Dir = inv.dir
	cmd.Env = inv.environment()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	limit := int64(inv.settings.MaxReportMegabytes) << 20
	stderr := &tail{max: tailBytes}
	cmd.Stderr = stderr
	var out *os.File
	if inv.writesReport() {
		cmd.Stdout = &tail{max: tailBytes} // scanners' progress: kept for nothing
	} else {
		var err error
		if out, err = os.Create(inv.reportPath()); err != nil {
			return err
		}
		defer out.Close()
		cmd.Stdout = &capped{w: out, left: limit, over: cancel}
	}
	err := cmd.Start()
	if err != nil {
		return fmt.Errorf("starting %s: %w", inv.settings.Command[0], err)
	}
	err = cmd.Wait()
	// Children that outlived the command (a daemon it started) go too.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	if c, ok := cmd.Stdout.(*capped); ok && c.full {
		return fmt.Errorf("%s's report is larger than max_report_megabytes (%d MB)", inv.settings.Command[0], inv.settings.MaxReportMegabytes)
	}
	if ctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("%s timed out after %s and was killed, with its child processes", inv.settings.Command[0], inv.settings.Timeout)
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() >= 0 && slices.Contains(inv.settings.OkExitCodes, exit.ExitCode()) {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("%s failed (%v, ok_exit_codes %v): %s", inv.settings.Command[0], err, inv.settings.OkExitCodes, inv.redact(stderr.String()))
	}
	return inv.checkReport(limit)
}

// checkReport checks the report exists and is within the limit.
func (inv *invocation) checkReport(limit int64) error {
	info, err := os.Stat(inv.reportPath())
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%s wrote no report at {report}", inv.settings.Command[0])
	case err != nil:
		return err
	case info.Size() > limit:
		return fmt.Errorf("%s's report is %d MB, larger than max_report_megabytes (%d MB)", inv.settings.Command[0], info.Size()>>20, inv.settings.MaxReportMegabytes)
	}
	return nil
}

// tokenPattern finds tokens of GitLab and Slack a scanner's message may
// echo (from the code it read, or its environment).
var tokenPattern = regexp.MustCompile(`\b(glpat|glptt|gldt|glrt|glcbt|glsoat|xox[abpsr]|xapp)-[A-Za-z0-9_\-]{8,}`)

// redact removes the known secrets and anything shaped like a token from
// a message, and trims it.
func (inv *invocation) redact(msg string) string {
	for _, s := range inv.secrets {
		msg = redact.Secret(msg, s)
	}
	msg = tokenPattern.ReplaceAllString(msg, redact.Marker)
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return "no message on stderr"
	}
	return msg
}

// tail keeps the last max bytes written to it.
type tail struct {
	max int
	buf []byte
	cut bool
}

func (t *tail) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
		t.cut = true
	}
	return len(p), nil
}

func (t *tail) String() string {
	if t.cut {
		return "…" + string(t.buf)
	}
	return string(t.buf)
}

// capped writes up to left bytes to w; past them it calls over (which
// stops the command) and drops the rest.
type capped struct {
	w    io.Writer
	left int64
	over func()
	full bool
}

func (c *capped) Write(p []byte) (int, error) {
	if int64(len(p)) > c.left {
		if !c.full {
			c.full = true
			c.over()
		}
		n, err := c.w.Write(p[:c.left])
		c.left -= int64(n)
		if err != nil {
			return n, err
		}
		return len(p), nil
	}
	n, err := c.w.Write(p)
	c.left -= int64(n)
	return n, err
}
