package pushguard

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/joho/godotenv"
)

// ConfigFileName is the hook's settings file, looked for next to the
// program (its real path, so a symlink in pre-receive.d finds the file
// beside the binary).
const ConfigFileName = "secbot-pre-receive.env"

// The settings, each a variable of the environment or of the file.
const (
	envConfig        = "SECBOT_PUSH_PROTECTION_CONFIG"
	envURL           = "SECBOT_PUSH_PROTECTION_URL"
	envToken         = "SECBOT_PUSH_PROTECTION_TOKEN" //nolint:gosec // G101: the name of a variable, not a credential
	envTimeBudget    = "SECBOT_PUSH_PROTECTION_TIME_BUDGET"
	envMaxFileMB     = "SECBOT_PUSH_PROTECTION_MAX_FILE_MEGABYTES"
	envReportTimeout = "SECBOT_PUSH_PROTECTION_REPORT_TIMEOUT"
)

// Defaults of the limits.
const (
	DefaultTimeBudget    = 5 * time.Second
	DefaultMaxFileMB     = 10
	DefaultReportTimeout = 2 * time.Second
)

// Config is the hook's settings.
type Config struct {
	// ReportURL is the SecBot receiver's base URL ("" reports nothing).
	ReportURL string
	// Token authenticates reports (the receiver's
	// SECBOT_PUSH_PROTECTION_TOKEN).
	Token string
	// TimeBudget bounds the scan; past it the push is allowed, reported
	// as not scanned.
	TimeBudget time.Duration
	// MaxFileMB skips files larger than this many megabytes.
	MaxFileMB int
	// ReportTimeout bounds the report to SecBot.
	ReportTimeout time.Duration
}

// LoadConfig reads the settings: the environment first, then the file
// SECBOT_PUSH_PROTECTION_CONFIG names (else ConfigFileName in dir). A
// value that cannot be used is a warning and its default is kept: a typo
// in the settings must neither block every push nor stop the scan.
func LoadConfig(getenv func(string) string, dir string) (Config, []error) {
	var warnings []error
	path := getenv(envConfig)
	if path == "" {
		path = filepath.Join(dir, ConfigFileName)
	}
	file, err := godotenv.Read(path)
	if err != nil && (getenv(envConfig) != "" || !errors.Is(err, fs.ErrNotExist)) {
		warnings = append(warnings, fmt.Errorf("settings file %s: %w", path, err))
	}
	get := func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return file[name]
	}
	c := Config{ReportURL: get(envURL), Token: get(envToken), TimeBudget: DefaultTimeBudget,
		MaxFileMB: DefaultMaxFileMB, ReportTimeout: DefaultReportTimeout}
	if c.ReportURL != "" {
		if u, err := url.Parse(c.ReportURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			warnings = append(warnings, fmt.Errorf("%s: %q is not an http(s) URL; nothing is reported", envURL, c.ReportURL))
			c.ReportURL = ""
		}
	}
	if c.ReportURL != "" && c.Token == "" {
		warnings = append(warnings, fmt.Errorf("%s is set but %s is not; nothing is reported", envURL, envToken))
		c.ReportURL = ""
	}
	duration := func(name string, into *time.Duration) {
		if v := get(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				warnings = append(warnings, fmt.Errorf("%s: %q is not a positive duration (like 5s); using %s", name, v, *into))
				return
			}
			*into = d
		}
	}
	duration(envTimeBudget, &c.TimeBudget)
	duration(envReportTimeout, &c.ReportTimeout)
	if v := get(envMaxFileMB); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			warnings = append(warnings, fmt.Errorf("%s: %q is not a positive number of megabytes; using %d", envMaxFileMB, v, c.MaxFileMB))
		} else {
			c.MaxFileMB = n
		}
	}
	return c, warnings
}

// ExecutableDir is the directory of the running program, symlinks
// resolved ("." when unknown).
func ExecutableDir() string {
	exe, err := os.Executable()
	if err != nil {
		return "."
	}
	if real, err := filepath.EvalSymlinks(exe); err == nil {
		exe = real
	}
	return filepath.Dir(exe)
}
