// Package service builds and runs each SecBot process (receiver, reporter,
// worker, migrate) from the environment.
package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/handler"
	"github.com/secbot/secbot/internal/store"
)

// Base is what every process loads first.
type Base struct {
	Name     string
	Env      config.Env
	Settings config.Settings
	Log      *slog.Logger
	// Stderr gets the process's start-up warnings and its fatal error, as
	// plain lines for the person starting it (os.Stderr unless a test
	// sets it).
	Stderr io.Writer
}

// Load reads the environment (env files, then the process environment) and
// the settings, and makes the process's logger.
func Load(service string) (*Base, error) {
	env, err := config.LoadProcessEnv()
	if err != nil {
		return nil, err
	}
	return FromEnv(service, env)
}

// FromEnv is Load for a given environment (tests).
func FromEnv(service string, env config.Env) (*Base, error) {
	s, err := config.FromEnv(env)
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: s.LogLevel})).With("service", service)
	return &Base{Name: service, Env: env, Settings: s, Log: log, Stderr: os.Stderr}, nil
}

// OpenStore connects to PostgreSQL and, unless SECBOT_MIGRATE=false,
// applies migrations.
func (b *Base) OpenStore(ctx context.Context) (*store.Store, error) {
	st, err := store.Open(ctx, b.Settings.PostgresDSN)
	if err != nil {
		return nil, err
	}
	if b.Settings.Migrate {
		if err := st.Migrate(ctx); err != nil {
			st.Close()
			return nil, err
		}
	}
	return st, nil
}

// LoadConfig reads config.yml and checks that reg's handlers take every
// component's settings. Every mistake in the file is reported at once,
// each on a line of its own naming the file, the line and the key; on
// error the File holds what could be read (see config.LoadFile), so that
// the caller can check it further.
func (b *Base) LoadConfig(reg *handler.Registry) (*config.File, error) {
	cfg, err := config.LoadFile(b.Settings.ConfigPath, b.Env)
	if cfg == nil {
		return nil, err
	}
	return cfg, errors.Join(err, reg.Check(cfg))
}

// Warn prints a start-up warning for the person starting the process.
func (b *Base) Warn(w error) {
	fmt.Fprintf(b.Stderr, "secbot %s: warning: %v\n", b.Name, w)
}

// Migrate applies the migrations and exits: the one-shot migrate step of a
// deployment.
func Migrate(ctx context.Context, b *Base) error {
	st, err := store.Open(ctx, b.Settings.PostgresDSN)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	b.Log.Info("migrations applied")
	return nil
}

// CreateAndMigrate creates the database SECBOT_POSTGRES_DSN names when it
// does not exist, then applies the migrations (make run).
func CreateAndMigrate(ctx context.Context, b *Base) error {
	name, created, err := store.EnsureDatabase(ctx, b.Settings.PostgresDSN)
	if err != nil {
		return err
	}
	if created {
		b.Log.Info("database created", "database", name)
	}
	return Migrate(ctx, b)
}

// PrintAddresses writes, as shell assignments, the addresses the processes
// listen on and DEFECTDOJO__URL ("" when unset), as the processes read
// them from the env files and the environment: make run prints its banner
// from them and points the defectdojo output at the reporter.
func PrintAddresses(w io.Writer, b *Base) error {
	for _, kv := range [][2]string{
		{"receiver_addr", b.Settings.ReceiverAddr},
		{"reporter_addr", b.Settings.ReporterAddr},
		{"worker_addr", b.Settings.WorkerAddr},
		{"findings_url", b.Env.Get("DEFECTDOJO__URL", "")},
	} {
		if _, err := fmt.Fprintf(w, "%s=%s\n", kv[0], shellQuote(kv[1])); err != nil {
			return err
		}
	}
	return nil
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Main runs a process and turns its error into an exit status.
func Main(name string, run func(ctx context.Context, b *Base) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	b, err := Load(name)
	if err == nil {
		err = run(ctx, b)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		// One line per mistake (config.yml reports all of them at once).
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(os.Stderr, "secbot %s: %s\n", name, line)
		}
		os.Exit(1)
	}
}
