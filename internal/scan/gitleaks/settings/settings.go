// Package settings reads the gitleaks scan's settings from its component
// in config.yml. It is apart from the scanner so that a process that only
// checks config.yml (the receiver) checks them without loading gitleaks.
package settings

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/mirror"
)

// Settings is the component's config in config.yml.
type Settings struct {
	// Scope is "new" (default: only what the event brings) or "history"
	// (every commit of the repository).
	Scope string `yaml:"scope"`
	// Timeout bounds one scan, fetch included (default 10m).
	Timeout time.Duration `yaml:"timeout"`
	// MaxFileMegabytes skips larger files (default 10; 0 keeps the default).
	MaxFileMegabytes int `yaml:"max_file_megabytes"`
	// CacheDir holds the mirrors (default: the user cache directory).
	CacheDir string `yaml:"cache_dir"`
	// Format is accepted for the original Security Bot's configs; only
	// json exists.
	Format string `yaml:"format"`
	// Verify checks each secret found with its provider, while it is in
	// the worker's memory (default true; docs/scanning.md#validity-checks).
	Verify *bool `yaml:"verify"`
	// VerifySkipRules are gitleaks rule ids whose secrets are not checked.
	VerifySkipRules []string `yaml:"verify_skip_rules"`
	// VerifyConcurrency bounds the checks one worker makes at once with
	// each provider (default 4).
	VerifyConcurrency int `yaml:"verify_concurrency"`
	// GitHubURL is a GitHub Enterprise API base (default api.github.com).
	GitHubURL string `yaml:"github_url"`
	// Revoke revokes a live GitLab access token found in a push with the
	// instance's admin_token (default false).
	Revoke bool `yaml:"revoke"`
	// VerifyClient, when set by a program embedding the scan (tests),
	// makes the checks; nil: HTTPS_PROXY from the environment, the
	// system's roots. Not read from config.yml.
	VerifyClient *http.Client `yaml:"-"`
}

// Verifies reports whether found secrets are checked.
func (s Settings) Verifies() bool { return s.Verify == nil || *s.Verify }

// Decode reads a component's settings and checks them, with the defaults
// filled in.
func Decode(c config.Component) (Settings, error) {
	return config.DecodeSettings[Settings](c)
}

// Check checks a component's settings (handler.Checker).
func Check(c config.Component) error {
	_, err := Decode(c)
	return err
}

// WithDefaults checks the settings and fills in the defaults of those not
// set. Errors begin with the setting's name.
func (s Settings) WithDefaults() (Settings, error) {
	switch s.Scope {
	case "":
		s.Scope = "new"
	case "new", "history":
	default:
		return s, fmt.Errorf("scope: %q is not new or history", s.Scope)
	}
	if s.Format != "" && s.Format != "json" {
		return s, fmt.Errorf("format: %q is not supported (json is)", s.Format)
	}
	if s.Timeout <= 0 {
		s.Timeout = 10 * time.Minute
	}
	if s.VerifyConcurrency < 0 {
		return s, fmt.Errorf("verify_concurrency: %d is negative", s.VerifyConcurrency)
	}
	if s.VerifyConcurrency == 0 {
		s.VerifyConcurrency = 4
	}
	if s.GitHubURL != "" {
		if u, err := url.Parse(s.GitHubURL); err != nil || u.Scheme != "https" || u.Host == "" {
			return s, fmt.Errorf("github_url: %q is not an https URL (GitHub Enterprise's API, such as https://github.example.com/api/v3)", s.GitHubURL)
		}
	}
	if s.Revoke && !s.Verifies() {
		return s, fmt.Errorf("revoke: true needs verify: only a token checked live is revoked")
	}
	if s.MaxFileMegabytes <= 0 {
		s.MaxFileMegabytes = 10
	}
	if s.CacheDir == "" {
		s.CacheDir = mirror.DefaultDir()
	}
	return s, nil
}
