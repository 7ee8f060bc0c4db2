// Package command is the command scan handler: it runs a scanner's CLI,
// configured in config.yml, on a clean checkout of the scanned commit,
// and hands the report it writes to the outputs, imported as the
// component's scan_type. The command comes from config.yml only, never
// from the repository; it runs with a scrubbed environment, in a process
// group of its own that is killed with it, and, with sandbox: true, under
// bubblewrap.
package command

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers"
	"github.com/secbot/secbot/internal/handler"
	"github.com/secbot/secbot/internal/mirror"
	"github.com/secbot/secbot/internal/reportfilter"
)

// HandlerName is the handler_name of this scan in config.yml.
const HandlerName = "command"

// Scanner is the command scan handler.
type Scanner struct {
	settings Settings
	mirrors  *mirror.Mirrors
}

// New builds the scanner from its component: its program must be
// installed on the worker, and bubblewrap too when it asks for the
// sandbox.
func New(c config.Component) (handler.Scanner, error) {
	s, err := Decode(c)
	if err != nil {
		return nil, err
	}
	return NewScanner(context.Background(), s)
}

// NewScanner builds a scanner from settings.
func NewScanner(ctx context.Context, s Settings) (*Scanner, error) {
	s, err := s.WithDefaults()
	if err != nil {
		return nil, err
	}
	if _, err := exec.LookPath(s.Command[0]); err != nil {
		return nil, fmt.Errorf("command: %s is not installed on this worker (%v)", s.Command[0], err)
	}
	if s.Sandbox {
		if err := checkSandbox(ctx); err != nil {
			return nil, err
		}
	}
	return &Scanner{settings: s, mirrors: &mirror.Mirrors{Dir: s.CacheDir}}, nil
}

// Scan implements handler.Scanner: checkout, run, then store the report
// for the outputs. The result counts the report's findings.
func (s *Scanner) Scan(ctx context.Context, req *handler.Request) (handler.Result, error) {
	if req.Reports == nil {
		return handler.Result{}, handler.Permanent(errors.New("this worker keeps no reports for a command scan's outputs"))
	}
	work, err := os.MkdirTemp(s.settings.WorkDir, "secbot-command-")
	if err != nil {
		return handler.Result{}, fmt.Errorf("making the scan's folder: %w", err)
	}
	defer os.RemoveAll(work)
	inv := &invocation{settings: s.settings, dir: filepath.Join(work, "src"), reportDir: filepath.Join(work, "out"),
		secrets: []string{req.Instance.AuthToken}}
	for _, d := range []string{inv.dir, inv.reportDir} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return handler.Result{}, err
		}
	}
	// The timeout bounds the checkout and the command together.
	scanCtx, cancel := context.WithTimeout(ctx, s.settings.Timeout)
	defer cancel()
	changed, err := s.checkout(scanCtx, req, inv)
	if err != nil {
		if ctx.Err() == nil && scanCtx.Err() != nil {
			return handler.Result{}, handler.Permanent(fmt.Errorf("the checkout timed out after %s", s.settings.Timeout))
		}
		return handler.Result{}, err
	}
	if err := inv.run(scanCtx); err != nil {
		if ctx.Err() != nil {
			return handler.Result{}, ctx.Err() // the worker stops: run it again
		}
		return handler.Result{}, handler.Permanent(err)
	}
	return s.store(ctx, req, inv, changed)
}

// checkout writes the event's commit into inv.dir from the project's
// mirror, and lists the files the event changed when the report keeps
// only those (nil: keep every finding). The mirror is locked only while
// it is read.
func (s *Scanner) checkout(ctx context.Context, req *handler.Request, inv *invocation) ([]string, error) {
	mr, commits, err := s.mirrors.OpenEvent(ctx, req.Instance, &req.Event)
	if err != nil {
		return nil, err
	}
	defer mr.Close()
	inv.head, inv.base = commits.Head, commits.Base
	if err := mr.Checkout(ctx, commits.Head, inv.dir); err != nil {
		return nil, err
	}
	if s.settings.Report != reportChangedFiles || commits.Tag {
		return nil, nil
	}
	changed, err := mr.ChangedFiles(ctx, commits)
	if changed == nil && err == nil {
		changed = []string{} // nothing changed: keep nothing
	}
	return changed, err
}

// store checks the report reads as its scan type, and hands it to the
// outputs.
func (s *Scanner) store(ctx context.Context, req *handler.Request, inv *invocation, changed []string) (handler.Result, error) {
	path := inv.reportPath() + ".relative"
	if err := relativize(inv.reportPath(), path, inv.dir); err != nil {
		return handler.Result{}, err
	}
	if changed != nil {
		var err error
		if path, err = filterReport(s.settings.ScanType, path, changed); err != nil {
			return handler.Result{}, handler.Permanent(err)
		}
	}
	n, err := count(s.settings.ScanType, path)
	if err != nil {
		return handler.Result{}, handler.Permanent(fmt.Errorf("%s's report is not a %s report: %w", s.settings.Command[0], s.settings.ScanType, err))
	}
	f, err := os.Open(path) //nolint:gosec // G304: the report the scanner wrote in the scan's own folder
	if err != nil {
		return handler.Result{}, err
	}
	defer f.Close()
	if _, err := req.Reports.Put(ctx, req.Task.ID, f); err != nil {
		return handler.Result{}, err
	}
	return handler.Result{Findings: n, ActiveFindings: n, ScanType: s.settings.ScanType, Stored: true}, nil
}

// filterReport writes the report at src with only the findings in the
// changed files beside it, and returns its path. The report's paths are
// the repository's already (relativize).
func filterReport(scanType, src string, changed []string) (string, error) {
	in, err := os.Open(src) //nolint:gosec // G304: the report in the scan's own folder
	if err != nil {
		return "", err
	}
	defer in.Close()
	path := src + ".changed"
	out, err := os.Create(path) //nolint:gosec // G304: beside it
	if err != nil {
		return "", err
	}
	defer out.Close()
	files := map[string]bool{}
	for _, f := range changed {
		files[f] = true
	}
	keep := func(p string) bool { return files[p] }
	if _, _, err := reportfilter.Filter(scanType, in, out, keep); err != nil {
		return "", fmt.Errorf("keeping the findings in the changed files: %w", err)
	}
	return path, out.Close()
}

// count reads the report with the findings service's parser, one finding
// at a time.
func count(scanType, path string) (int, error) {
	p, err := parsers.Lookup(scanType)
	if err != nil {
		return 0, err
	}
	f, err := os.Open(path) //nolint:gosec // G304: as above
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	err = p.Stream(f, func(findings.Finding) error { n++; return nil })
	return n, err
}
