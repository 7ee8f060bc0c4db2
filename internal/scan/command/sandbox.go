package command

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// bwrap is bubblewrap's program.
const bwrap = "bwrap"

// systemDirs are what a sandboxed scanner sees of the machine, read-only:
// programs, libraries and /etc. Not the worker's home, its mirrors, its
// environment files or /var.
var systemDirs = []string{"/usr", "/etc", "/opt", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}

// sandboxed wraps argv in bubblewrap: every namespace unshared (no
// network), the system folders and the program's own read-only, the
// checkout read-only, only the report folder writable, a private /tmp,
// /proc and /dev, and the sandbox ended with the worker. Paths inside are
// the paths outside, so the placeholders need no translating.
func sandboxed(argv []string, inv *invocation) []string {
	args := []string{bwrap, "--unshare-all", "--die-with-parent", "--new-session"}
	binds := append([]string{}, systemDirs...)
	if program, err := exec.LookPath(argv[0]); err == nil {
		binds = append(binds, filepath.Dir(program))
	}
	for _, dir := range binds {
		args = append(args, "--ro-bind-try", dir, dir)
	}
	args = append(args, "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp")
	// The work folders are bound after /tmp, over it, when they are in it.
	args = append(args, "--ro-bind", inv.dir, inv.dir, "--bind", inv.reportDir, inv.reportDir, "--chdir", inv.dir, "--")
	return append(args, argv...)
}

// checkSandbox makes sure bubblewrap is installed and can make a sandbox
// here (it needs user namespaces, or root): the worker refuses to start a
// component that asks for one it cannot have.
func checkSandbox(ctx context.Context) error {
	path, err := exec.LookPath(bwrap)
	if err != nil {
		return fmt.Errorf("sandbox: bubblewrap (%s) is not installed on this worker: install it (Debian: apt-get install bubblewrap) or set sandbox: false", bwrap)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	dir, err := os.MkdirTemp("", "secbot-sandbox-check-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	inv := &invocation{dir: dir, reportDir: dir}
	argv := sandboxed([]string{"true"}, inv)
	out, err := exec.CommandContext(ctx, path, argv[1:]...).CombinedOutput() //nolint:gosec // G204: bubblewrap found on PATH, with arguments SecBot builds
	if err != nil {
		return fmt.Errorf("sandbox: bubblewrap cannot make a sandbox on this worker (%v: %s): allow unprivileged user namespaces or set sandbox: false",
			err, strings.TrimSpace(string(out)))
	}
	return nil
}
