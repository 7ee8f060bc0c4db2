package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Instance is one GitLab instance from GITLAB_CONFIGS.
type Instance struct {
	Host               string `json:"host"`
	WebhookSecretToken string `json:"webhook_secret_token"`
	AuthToken          string `json:"auth_token"`
	Prefix             string `json:"prefix"`
	// AdminToken (optional) is an administrator's token with the api
	// scope: with the gitleaks scan's revoke: true, SecBot revokes the
	// live GitLab access tokens it finds with it.
	AdminToken string `json:"admin_token,omitempty"`
}

// Hostname is the instance's host name without scheme, port or path, as
// found in X-Gitlab-Instance and in clone URLs.
func (i Instance) Hostname() string {
	return hostnameOf(i.Host)
}

// LogValue keeps the instance's tokens out of logs.
func (i Instance) LogValue() slog.Value {
	return slog.GroupValue(slog.String("host", i.Host), slog.String("prefix", i.Prefix))
}

func hostnameOf(s string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// SameHost reports whether a URL or host name (such as the X-Gitlab-Instance
// header) names this instance's host.
func (i Instance) SameHost(other string) bool {
	h := hostnameOf(other)
	return h != "" && h == i.Hostname()
}

// Settings are the service settings read from the environment.
type Settings struct {
	Instances    []Instance
	PostgresDSN  string
	RedisURL     string
	ConfigPath   string
	DocsEnabled  bool
	ReceiverAddr string
	ReporterAddr string
	WorkerAddr   string
	// MaxBodyBytes bounds a webhook body.
	MaxBodyBytes int
	// MaxReportBytes bounds a report uploaded to the findings service.
	MaxReportBytes int
	// Limits bound slow clients and the gate's ?wait= requests.
	Limits Limits
	// PasswordCost is bcrypt's cost for the passwords SecBot hashes
	// (SECBOT_PASSWORD_COST, default 10).
	PasswordCost int
	// ImportMemoryBytes is the memory the reporter's imports reserve at
	// most at once (0: the findings service's default).
	ImportMemoryBytes int
	// AdminUser and AdminPassword bootstrap the findings service's admin;
	// AdminToken (DEFECTDOJO__TOKEN) is accepted as one of its API tokens.
	AdminUser, AdminPassword, AdminToken string
	// WorkerToken (SECBOT_WORKER_TOKEN) is the API token of the worker's
	// own user, secbot-worker, which the reporter makes a Maintainer of
	// the GitLab instances' product types only: the shipped config.yml
	// gives it to the defectdojo output in place of the admin's.
	WorkerToken string
	// Migrate makes each process apply migrations at start.
	Migrate bool
	// SweepInterval is how often a worker re-enqueues work Redis lost.
	SweepInterval time.Duration
	// WorkerConcurrency is the number of tasks one worker runs at once.
	WorkerConcurrency int
	// HistoryConcurrency bounds the projects history scans scan at once
	// (SECBOT_HISTORY_CONCURRENCY, default 2), so they leave the workers
	// room for hooks; HistoryInterval is how often a worker's history pump
	// looks for work besides being woken (SECBOT_HISTORY_INTERVAL, 2s).
	HistoryConcurrency int
	HistoryInterval    time.Duration
	LogLevel           slog.Level
	// Pprof serves Go's profiles at /debug/pprof/ (SECBOT_PPROF; off by
	// default: they reveal internals and cost CPU when read).
	Pprof bool
	// TrustedProxies are the reverse proxies (IPs and CIDR ranges) whose
	// X-Forwarded-* headers the reporter believes (SECBOT_TRUSTED_PROXIES;
	// none by default).
	TrustedProxies []string
	// Login throttles password sign-ins (SECBOT_LOGIN_*).
	Login LoginThrottle
	// SecretKey derives the API tokens api-token-auth hands out
	// (SECBOT_SECRET_KEY); APITokenTTL is how long one lasts
	// (SECBOT_API_TOKEN_TTL; 0: until rotated).
	SecretKey   string
	APITokenTTL time.Duration
	// PushProtectionToken authenticates the pre-receive hook's reports to
	// the receiver (SECBOT_PUSH_PROTECTION_TOKEN; unset: reports refused).
	PushProtectionToken string
}

// FromEnv reads Settings from env. Variables keep the original Security
// Bot's names; SecBot-specific ones start with SECBOT_.
func FromEnv(env Env) (Settings, error) {
	s := Settings{
		PostgresDSN:  env.Get("SECBOT_POSTGRES_DSN", "postgres://postgres@127.0.0.1:5432/secbot?sslmode=disable"),
		RedisURL:     env.Get("SECBOT_REDIS_URL", env.Get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")),
		ConfigPath:   env.Get("SECBOT_CONFIG", "config.yml"),
		ReceiverAddr: env.Get("SECBOT_RECEIVER_ADDR", ":5000"),
		ReporterAddr: env.Get("SECBOT_REPORTER_ADDR", ":5001"),
		WorkerAddr:   env.Get("SECBOT_WORKER_ADDR", ":5002"),
	}
	var err error
	if s.PostgresDSN, err = NormalizePostgresDSN(s.PostgresDSN); err != nil {
		return s, fmt.Errorf("SECBOT_POSTGRES_DSN: %w", err)
	}
	if s.DocsEnabled, err = boolVar(env, "DOCS_ENABLE", true); err != nil {
		return s, err
	}
	if s.Migrate, err = boolVar(env, "SECBOT_MIGRATE", true); err != nil {
		return s, err
	}
	if s.Pprof, err = boolVar(env, "SECBOT_PPROF", false); err != nil {
		return s, err
	}
	if s.MaxBodyBytes, err = intVar(env, "SECBOT_MAX_BODY_BYTES", 4<<20); err != nil {
		return s, err
	}
	if s.MaxReportBytes, err = intVar(env, "SECBOT_MAX_REPORT_BYTES", 100<<20); err != nil {
		return s, err
	}
	if s.Limits, err = limitsFromEnv(env); err != nil {
		return s, err
	}
	if s.ImportMemoryBytes, err = intVar(env, "SECBOT_IMPORT_MEMORY_BYTES", 0); err != nil {
		return s, err
	}
	s.AdminUser = env.Get("SECBOT_ADMIN_USER", env.Get("DEFECTDOJO__USER", "admin"))
	s.AdminPassword = env.Get("SECBOT_ADMIN_PASSWORD", "")
	s.AdminToken = env.Get("DEFECTDOJO__TOKEN", "")
	s.WorkerToken = env.Get("SECBOT_WORKER_TOKEN", "")
	if s.WorkerToken != "" && s.WorkerToken == s.AdminToken {
		return s, errors.New("SECBOT_WORKER_TOKEN is DEFECTDOJO__TOKEN: give the worker a token of its own (openssl rand -hex 20), or leave it unset")
	}
	if s.WorkerConcurrency, err = intVar(env, "SECBOT_WORKER_CONCURRENCY", 4); err != nil {
		return s, err
	}
	if s.SweepInterval, err = durationVar(env, "SECBOT_SWEEP_INTERVAL", 30*time.Second); err != nil {
		return s, err
	}
	if s.HistoryConcurrency, err = intVar(env, "SECBOT_HISTORY_CONCURRENCY", 2); err != nil {
		return s, err
	}
	if s.HistoryInterval, err = durationVar(env, "SECBOT_HISTORY_INTERVAL", 2*time.Second); err != nil {
		return s, err
	}
	if err = s.LogLevel.UnmarshalText([]byte(env.Get("SECBOT_LOG_LEVEL", "info"))); err != nil {
		return s, fmt.Errorf("SECBOT_LOG_LEVEL: %w", err)
	}
	if err = s.readSignIn(env); err != nil {
		return s, err
	}
	if s.PushProtectionToken, err = pushProtectionToken(env); err != nil {
		return s, err
	}
	if raw, ok := env.Lookup("GITLAB_CONFIGS"); ok && strings.TrimSpace(raw) != "" {
		if s.Instances, err = ParseInstances(raw); err != nil {
			return s, fmt.Errorf("GITLAB_CONFIGS: %w", err)
		}
	}
	return s, nil
}

// RequireInstances is the start-up check of processes that talk to GitLab.
func (s Settings) RequireInstances() error {
	if len(s.Instances) == 0 {
		return fmt.Errorf("GITLAB_CONFIGS is not set: it must list at least one GitLab instance")
	}
	return nil
}

// ParseInstances parses GITLAB_CONFIGS, a JSON list of instances.
func ParseInstances(raw string) ([]Instance, error) {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	var list []Instance
	if err := dec.Decode(&list); err != nil {
		return nil, fmt.Errorf("want a JSON list of {host, webhook_secret_token, auth_token, prefix, admin_token (optional)}: %w", err)
	}
	seen := map[string]int{}
	for i, inst := range list {
		switch {
		case inst.Host == "" || inst.Hostname() == "":
			return nil, fmt.Errorf("item %d: host is missing or not a URL", i)
		case inst.WebhookSecretToken == "":
			return nil, fmt.Errorf("item %d (%s): webhook_secret_token is empty", i, inst.Host)
		case inst.Prefix == "":
			return nil, fmt.Errorf("item %d (%s): prefix is empty", i, inst.Host)
		case strings.Contains(inst.Prefix, ":"):
			// History scans' check ids begin with "history:" (gitlab.HistoryCheckPrefix).
			return nil, fmt.Errorf("item %d (%s): prefix %q has a colon; SecBot keeps colons for the ids of history scans' checks: choose a prefix without one", i, inst.Host, inst.Prefix)
		}
		if j, dup := seen[inst.WebhookSecretToken]; dup {
			return nil, fmt.Errorf("items %d and %d share one webhook_secret_token: each instance needs its own", j, i)
		}
		seen[inst.WebhookSecretToken] = i
	}
	return list, nil
}

// NormalizePostgresDSN accepts the original's SQLAlchemy form
// (postgresql+asyncpg://…) as well as postgres:// URLs and key=value DSNs.
func NormalizePostgresDSN(dsn string) (string, error) {
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return dsn, nil // key=value form, left to pgx
	}
	base, _, _ := strings.Cut(scheme, "+")
	switch base {
	case "postgres", "postgresql":
		return "postgres://" + rest, nil
	}
	return "", fmt.Errorf("unsupported scheme %q: want postgres:// or postgresql+asyncpg://", scheme)
}

func boolVar(env Env, name string, def bool) (bool, error) {
	raw, ok := env.Lookup(name)
	if !ok || raw == "" {
		return def, nil
	}
	switch strings.ToLower(strings.TrimSpace(raw)) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%s: %q is not a boolean (want true or false)", name, raw)
}

func intVar(env Env, name string, def int) (int, error) {
	raw, ok := env.Lookup(name)
	if !ok || raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s: %q is not a positive whole number", name, raw)
	}
	return n, nil
}

func durationVar(env Env, name string, def time.Duration) (time.Duration, error) {
	raw, ok := env.Lookup(name)
	if !ok || raw == "" {
		return def, nil
	}
	d, err := time.ParseDuration(raw)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s: %q is not a positive duration such as 30s", name, raw)
	}
	return d, nil
}
