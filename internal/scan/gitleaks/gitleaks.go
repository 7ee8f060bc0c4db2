// Package gitleaks is the gitleaks scan handler: in the project's mirror
// (internal/mirror) it scans exactly the code an event brings with the
// gitleaks library, and reports findings with their secrets redacted.
package gitleaks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/report"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/handler"
	"github.com/secbot/secbot/internal/mirror"
	"github.com/secbot/secbot/internal/scan/gitleaks/engine"
	"github.com/secbot/secbot/internal/scan/gitleaks/settings"
	"github.com/secbot/secbot/internal/verify"
)

// HandlerName is the handler_name of this scan in config.yml.
const HandlerName = "gitleaks"

// ScanType is the findings service's name of the report format this scan
// writes (DefectDojo's gitleaks parser).
const ScanType = "Gitleaks Scan"

// Settings is the component's config in config.yml.
type Settings = settings.Settings

// Scanner is the gitleaks scan handler.
type Scanner struct {
	settings Settings
	rules    *engine.Rules
	mirrors  *mirror.Mirrors
	checkers checkers
}

// New builds the scanner from its component (handler constructor).
func New(c config.Component) (handler.Scanner, error) {
	s, err := settings.Decode(c)
	if err != nil {
		return nil, err
	}
	return NewScanner(s)
}

// NewScanner builds a scanner from settings.
func NewScanner(s Settings) (*Scanner, error) {
	s, err := s.WithDefaults()
	if err != nil {
		return nil, err
	}
	rules, err := engine.NewRules()
	if err != nil {
		return nil, err
	}
	return &Scanner{settings: s, rules: rules, mirrors: &mirror.Mirrors{Dir: s.CacheDir}}, nil
}

// Finding is a gitleaks finding as SecBot stores and sends it (see
// engine.Finding).
type Finding = engine.Finding

// Scan implements handler.Scanner. The result's Data is a gitleaks JSON
// report, importable as ScanType.
func (s *Scanner) Scan(ctx context.Context, req *handler.Request) (handler.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, s.settings.Timeout)
	defer cancel()
	findings, err := s.scan(ctx, req)
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
		return handler.Result{}, handler.Permanent(fmt.Errorf("scan timed out after %s", s.settings.Timeout))
	}
	if err != nil {
		return handler.Result{}, err
	}
	data, err := json.Marshal(findings)
	if err != nil {
		return handler.Result{}, err
	}
	return handler.Result{Findings: len(findings), ActiveFindings: len(findings), ScanType: ScanType, Data: data}, nil
}

func (s *Scanner) scan(ctx context.Context, req *handler.Request) ([]Finding, error) {
	ev := req.Event
	mr, commits, err := s.mirrors.OpenEvent(ctx, req.Instance, &ev)
	if err != nil {
		return nil, err
	}
	defer mr.Close()
	t := targetOf(commits, s.settings.Scope)
	d, err := s.detector(ctx, mr, t.configCommit)
	if err != nil {
		return nil, err
	}
	var raw []report.Finding
	if t.tree != "" {
		raw, err = scanTree(ctx, d, mr, t.tree, s.settings.MaxFileMegabytes)
	} else {
		raw, err = scanLog(ctx, d, mr, t)
	}
	if err != nil {
		return nil, err
	}
	checks := s.check(ctx, mr, req.Instance, raw)
	out := engine.Redact(raw)
	for i := range out {
		if checks != nil {
			withVerdict(&out[i], checks[i])
		} else {
			out[i].Validity = string(verify.NotChecked)
		}
	}
	return out, nil
}

// detector makes a fresh detector with the repository's own
// .gitleaks.toml and .gitleaksignore at the scanned commit; a
// configuration the repository must fix fails the task at once.
func (s *Scanner) detector(ctx context.Context, mr *mirror.Mirror, commit string) (*detect.Detector, error) {
	d, err := s.rules.Detector(ctx, mr, commit, s.settings.MaxFileMegabytes)
	var bad *engine.ConfigError
	if errors.As(err, &bad) {
		return nil, handler.Permanent(err)
	}
	return d, err
}
