// Package settings reads the gitleaks scan's settings from its component
// in config.yml. It is apart from the scanner so that a process that only
// checks config.yml (the receiver) checks them without loading gitleaks.
package settings

import (
	"fmt"
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
}

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
	if s.MaxFileMegabytes <= 0 {
		s.MaxFileMegabytes = 10
	}
	if s.CacheDir == "" {
		s.CacheDir = mirror.DefaultDir()
	}
	return s, nil
}
