// Package service builds and runs each SecBot process (receiver, reporter,
// worker, migrate) from the environment.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/store"
)

// Base is what every process loads first.
type Base struct {
	Env      config.Env
	Settings config.Settings
	Log      *slog.Logger
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
	return &Base{Env: env, Settings: s, Log: log}, nil
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

// LoadConfig reads config.yml.
func (b *Base) LoadConfig() (*config.File, error) {
	return config.LoadFile(b.Settings.ConfigPath, b.Env)
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

// Main runs a process and turns its error into an exit status.
func Main(name string, run func(ctx context.Context, b *Base) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	b, err := Load(name)
	if err == nil {
		err = run(ctx, b)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(os.Stderr, "secbot %s: %v\n", name, err)
		os.Exit(1)
	}
}
