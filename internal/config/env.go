// Package config loads SecBot's settings: environment files, the process
// environment, GITLAB_CONFIGS and config.yml.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/joho/godotenv"
)

// Env is the merged view of the environment: the env files in order, then
// the process environment on top, so a variable set in the process wins.
type Env map[string]string

// LoadEnv reads the env files in order (later files override earlier ones),
// skipping those that do not exist, and overlays the process environment
// given as KEY=VALUE strings (os.Environ()).
func LoadEnv(files []string, environ []string) (Env, error) {
	env := Env{}
	for _, name := range files {
		values, err := godotenv.Read(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading env file %s: %w", name, err)
		}
		for k, v := range values {
			env[k] = v
		}
	}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if ok {
			env[k] = v
		}
	}
	return env, nil
}

// LoadProcessEnv is LoadEnv for a SecBot process: the base file named by
// SECBOT_ENV_FILE (default .env.dev), then .env.override, then the process
// environment.
func LoadProcessEnv() (Env, error) {
	base := os.Getenv("SECBOT_ENV_FILE")
	if base == "" {
		base = ".env.dev"
	}
	override := os.Getenv("SECBOT_ENV_OVERRIDE_FILE")
	if override == "" {
		override = ".env.override"
	}
	return LoadEnv([]string{base, override}, os.Environ())
}

// Lookup returns the value of a variable and whether it is set.
func (e Env) Lookup(name string) (string, bool) {
	v, ok := e[name]
	return v, ok
}

// Get returns the value of a variable, or def when it is unset or empty.
func (e Env) Get(name, def string) string {
	if v := e[name]; v != "" {
		return v
	}
	return def
}
