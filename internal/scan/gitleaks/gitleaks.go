// Package gitleaks is the gitleaks scan handler: in the project's mirror
// (internal/mirror) it scans exactly the code an event brings with the
// gitleaks library, and reports findings with their secrets redacted.
package gitleaks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/rs/zerolog"
	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/logging"
	"github.com/zricethezav/gitleaks/v8/report"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/handler"
	"github.com/secbot/secbot/internal/mirror"
	"github.com/secbot/secbot/internal/redact"
	"github.com/secbot/secbot/internal/scan/gitleaks/settings"
	"github.com/secbot/secbot/internal/verify"
)

// HandlerName is the handler_name of this scan in config.yml.
const HandlerName = "gitleaks"

// ScanType is the findings service's name of the report format this scan
// writes (DefectDojo's gitleaks parser).
const ScanType = "Gitleaks Scan"

// decodeDepth is the gitleaks CLI's default; the library's is 0.
const decodeDepth = 5

// Settings is the component's config in config.yml.
type Settings = settings.Settings

// Scanner is the gitleaks scan handler.
type Scanner struct {
	settings Settings
	rules    *Rules
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

// silenceGitleaks turns off the gitleaks library's own logger (a global
// of that library), once, before the first scanner is built: it logs
// secrets at debug level, and SecBot never wants its logs.
var silenceGitleaks sync.Once

// NewScanner builds a scanner from settings.
func NewScanner(s Settings) (*Scanner, error) {
	s, err := s.WithDefaults()
	if err != nil {
		return nil, err
	}
	silenceGitleaks.Do(func() { logging.Logger = zerolog.Nop() })
	rules, err := NewRules()
	if err != nil {
		return nil, err
	}
	return &Scanner{settings: s, rules: rules, mirrors: &mirror.Mirrors{Dir: s.CacheDir}}, nil
}

// Finding is a gitleaks finding as SecBot stores and sends it: gitleaks'
// JSON report fields with Secret, Match and the line redacted, plus
// SecretHash = sha256(rule id + NUL + secret) to recognise the secret again.
type Finding struct {
	report.Finding
	SecretHash string `json:"SecretHash"`
	// Whether the secret works, as its provider said while the scan held
	// it (validity.go): valid, invalid, unknown or not_checked, when, and
	// its owner and scopes where the provider says.
	Validity          string      `json:"Validity,omitempty"`
	ValidityCheckedAt string      `json:"ValidityCheckedAt,omitempty"`
	ValidityOwner     string      `json:"ValidityOwner,omitempty"`
	ValidityScopes    []string    `json:"ValidityScopes,omitempty"`
	Revocation        *Revocation `json:"Revocation,omitempty"`
}

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
	checks := s.check(ctx, req.Instance, raw)
	out := redactAll(raw)
	for i := range out {
		if checks != nil {
			out[i].withVerdict(checks[i])
		} else {
			out[i].Validity = string(verify.NotChecked)
		}
	}
	return out, nil
}

// detector makes a fresh detector (gitleaks accumulates findings per
// detector) with the repository's own .gitleaks.toml and .gitleaksignore
// at the scanned commit.
func (s *Scanner) detector(ctx context.Context, mr *mirror.Mirror, commit string) (*detect.Detector, error) {
	toml, err := mr.FileAt(ctx, commit, ".gitleaks.toml")
	if err != nil {
		return nil, err
	}
	cfg, err := s.rules.ForRepository(toml)
	if err != nil {
		return nil, handler.Permanent(fmt.Errorf("commit %s: %w", commit, err))
	}
	d := detect.NewDetectorContext(ctx, cfg)
	d.MaxDecodeDepth = decodeDepth
	d.MaxTargetMegaBytes = s.settings.MaxFileMegabytes
	ignore, err := mr.FileAt(ctx, commit, ".gitleaksignore")
	if err != nil || ignore == nil {
		return d, err
	}
	f, err := os.CreateTemp("", "secbot-gitleaksignore-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(ignore)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = d.AddGitleaksIgnore(f.Name())
	}
	return d, err
}

// redactAll removes every copy of each secret from the findings (as
// gitleaks' Finding.Redact(100) does, with internal/redact, which the
// findings service's import of secrets reports shares) and keeps a hash to
// recognise it. Nothing after this sees a raw secret.
func redactAll(raw []report.Finding) []Finding {
	out := make([]Finding, 0, len(raw))
	for _, f := range raw {
		hash := redact.Hash(f.RuleID, f.Secret)
		f.Match = redact.Secret(f.Match, f.Secret)
		f.Secret = redact.Marker
		f.Line, f.Fragment = "", nil
		out = append(out, Finding{Finding: f, SecretHash: hash})
	}
	return out
}
