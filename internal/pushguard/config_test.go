package pushguard

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	file := "SECBOT_PUSH_PROTECTION_URL=http://secbot:5000\nSECBOT_PUSH_PROTECTION_TOKEN=from-file\nSECBOT_PUSH_PROTECTION_TIME_BUDGET=3s\n"
	if err := os.WriteFile(filepath.Join(dir, ConfigFileName), []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SECBOT_PUSH_PROTECTION_TOKEN": "from-env", "SECBOT_PUSH_PROTECTION_MAX_FILE_MEGABYTES": "2"}
	c, warnings := LoadConfig(func(k string) string { return env[k] }, dir)
	want := Config{ReportURL: "http://secbot:5000", Token: "from-env", TimeBudget: 3 * time.Second, MaxFileMB: 2, ReportTimeout: DefaultReportTimeout}
	if c != want || len(warnings) != 0 {
		t.Fatalf("LoadConfig = %+v, %v; want %+v (the environment over the file)", c, warnings, want)
	}

	// No file: the defaults, and no report without a URL.
	c, warnings = LoadConfig(func(string) string { return "" }, t.TempDir())
	if c != (Config{TimeBudget: DefaultTimeBudget, MaxFileMB: DefaultMaxFileMB, ReportTimeout: DefaultReportTimeout}) || len(warnings) != 0 {
		t.Fatalf("defaults = %+v, %v", c, warnings)
	}
}

// A bad value is a warning naming the setting, and its default is kept.
func TestLoadConfigWarns(t *testing.T) {
	env := map[string]string{
		"SECBOT_PUSH_PROTECTION_URL":                "ftp://x",
		"SECBOT_PUSH_PROTECTION_TIME_BUDGET":        "soon",
		"SECBOT_PUSH_PROTECTION_MAX_FILE_MEGABYTES": "-1",
		"SECBOT_PUSH_PROTECTION_CONFIG":             filepath.Join(t.TempDir(), "missing.env"),
	}
	c, warnings := LoadConfig(func(k string) string { return env[k] }, ".")
	if c.ReportURL != "" || c.TimeBudget != DefaultTimeBudget || c.MaxFileMB != DefaultMaxFileMB || len(warnings) != 4 {
		t.Fatalf("LoadConfig = %+v, %v", c, warnings)
	}
	joined := ""
	for _, w := range warnings {
		joined += w.Error() + "\n"
	}
	for _, want := range []string{"missing.env", "SECBOT_PUSH_PROTECTION_URL", "SECBOT_PUSH_PROTECTION_TIME_BUDGET", "SECBOT_PUSH_PROTECTION_MAX_FILE_MEGABYTES"} {
		if !strings.Contains(joined, want) {
			t.Errorf("warnings lack %q:\n%s", want, joined)
		}
	}
	env = map[string]string{"SECBOT_PUSH_PROTECTION_URL": "http://secbot:5000"}
	if c, warnings = LoadConfig(func(k string) string { return env[k] }, t.TempDir()); c.ReportURL != "" || len(warnings) != 1 {
		t.Fatalf("a URL without a token: %+v, %v", c, warnings)
	}
}

func TestParseUpdates(t *testing.T) {
	a, b := strings.Repeat("a", 40), strings.Repeat("0", 40)
	got, err := ParseUpdates(strings.NewReader(a + " " + b + " refs/heads/main\n\n" + b + " " + a + " refs/tags/v1\r\n"))
	if err != nil || len(got) != 2 || !got[0].deletes() || got[1].deletes() || got[1].Ref != "refs/tags/v1" {
		t.Fatalf("ParseUpdates = %+v, %v", got, err)
	}
	for _, bad := range []string{"main " + a + " refs/heads/x", a + " " + a, a + " --all refs/heads/x"} {
		if _, err := ParseUpdates(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("ParseUpdates(%q) = %v, want an error naming the line", bad, err)
		}
	}
}
