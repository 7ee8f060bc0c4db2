package command

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/findings/parsers"
	"github.com/secbot/secbot/internal/mirror"
	"github.com/secbot/secbot/internal/reportfilter"
)

// Settings is the component's config in config.yml.
type Settings struct {
	// Command is the program and its arguments; {dir}, {report}, {base}
	// and {head} are replaced wherever they appear in an argument.
	Command []string `yaml:"command"`
	// ScanType is the report's format, as the findings service names it.
	ScanType string `yaml:"scan_type"`
	// OkExitCodes are the exit codes of a scan that worked (default [0];
	// scanners often exit 1 when they find something).
	OkExitCodes []int `yaml:"ok_exit_codes"`
	// Timeout bounds one scan, checkout included (default 10m).
	Timeout time.Duration `yaml:"timeout"`
	// Report is "all" (default) or "changed_files": keep only the findings
	// in files a push or merge request changed.
	Report string `yaml:"report"`
	// PassEnv names the worker's environment variables the command gets;
	// it gets no other but PATH, HOME, TMPDIR and LANG.
	PassEnv []string `yaml:"pass_env"`
	// SetEnv gives the command variables of fixed values (a cache folder,
	// a rules file).
	SetEnv map[string]string `yaml:"set_env"`
	// Sandbox runs the command under bubblewrap: no network, the checkout
	// read-only, only the report's folder writable, a private /tmp.
	Sandbox bool `yaml:"sandbox"`
	// MaxReportMegabytes bounds the report (default 100).
	MaxReportMegabytes int `yaml:"max_report_megabytes"`
	// CacheDir holds the mirrors (default: the user cache directory, shared
	// with the gitleaks scan).
	CacheDir string `yaml:"cache_dir"`
	// WorkDir holds the checkouts while they are scanned (default: the
	// system's temporary folder).
	WorkDir string `yaml:"work_dir"`
}

// The report settings.
const (
	reportAll          = "all"
	reportChangedFiles = "changed_files"
)

// placeholders are what an argument may name.
var placeholders = []string{"{dir}", "{report}", "{base}", "{head}"}

// secretVariables are SecBot's own secrets and addresses: no scanner gets
// them, even when a component asks.
var secretVariables = []string{"GITLAB_CONFIGS", "SLACK_TOKEN", "CELERY_BROKER_URL", "DOCS_ENABLE"}

func isSecretVariable(name string) bool {
	return slices.Contains(secretVariables, name) || strings.HasPrefix(name, "SECBOT_") || strings.HasPrefix(name, "DEFECTDOJO__")
}

// Decode reads a component's settings and checks them, with the defaults
// filled in.
func Decode(c config.Component) (Settings, error) {
	return config.DecodeSettings[Settings](c)
}

// Check checks a component's settings without looking for its program
// (handler.Checker): the receiver need not have the scanners installed.
func Check(c config.Component) error {
	_, err := Decode(c)
	return err
}

// WithDefaults checks the settings and fills in the defaults of those not
// set. Errors begin with the setting's name.
func (s Settings) WithDefaults() (Settings, error) {
	if len(s.Command) == 0 || s.Command[0] == "" {
		return s, fmt.Errorf(`command: the scanner's program and arguments are missing (e.g. ["bandit", "-r", "{dir}", "-f", "json", "-o", "{report}"])`)
	}
	for _, p := range placeholders {
		if strings.Contains(s.Command[0], p) {
			return s, fmt.Errorf("command: the program %q names %s; only its arguments may", s.Command[0], p)
		}
	}
	if s.ScanType == "" {
		return s, fmt.Errorf("scan_type: the report's format is missing (one of %s)", strings.Join(parsers.ScanTypes(), ", "))
	}
	if _, err := parsers.Lookup(s.ScanType); err != nil {
		return s, fmt.Errorf("scan_type: %q is not a format the findings service reads (%s)", s.ScanType, strings.Join(parsers.ScanTypes(), ", "))
	}
	if len(s.OkExitCodes) == 0 {
		s.OkExitCodes = []int{0}
	}
	switch s.Report {
	case "":
		s.Report = reportAll
	case reportAll:
	case reportChangedFiles:
		if !reportfilter.Supports(s.ScanType) {
			return s, fmt.Errorf("report: changed_files cannot filter %s reports (it filters %s); use report: all",
				s.ScanType, strings.Join(reportfilter.ScanTypes(), ", "))
		}
	default:
		return s, fmt.Errorf("report: %q is not all or changed_files", s.Report)
	}
	for _, name := range s.PassEnv {
		if isSecretVariable(name) {
			return s, fmt.Errorf("pass_env: %s is SecBot's own; no scanner gets it", name)
		}
	}
	for name := range s.SetEnv {
		if isSecretVariable(name) || name == "" || strings.ContainsAny(name, "=\x00") {
			return s, fmt.Errorf("set_env: %q is not a variable a scanner may be given", name)
		}
	}
	if s.Timeout <= 0 {
		s.Timeout = 10 * time.Minute
	}
	if s.MaxReportMegabytes <= 0 {
		s.MaxReportMegabytes = 100
	}
	if s.CacheDir == "" {
		s.CacheDir = mirror.DefaultDir()
	}
	if s.WorkDir == "" {
		s.WorkDir = os.TempDir()
	}
	return s, nil
}
