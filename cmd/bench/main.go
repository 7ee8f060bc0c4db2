// Command bench measures SecBot against its anchors and writes
// docs/performance.md (make bench).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"

	"github.com/secbot/secbot/internal/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	opt := bench.Options{
		AdminDSN: envOr("SECBOT_BENCH_POSTGRES_DSN", "postgres://postgres:postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		RedisURL: envOr("SECBOT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
		Doc:      envOr("SECBOT_BENCH_DOC", "docs/performance.md"),
		Only:     os.Getenv("SECBOT_BENCH_ONLY"),
		Tags:     "", // the Makefile's default
	}
	if tags, ok := os.LookupEnv("SECBOT_BENCH_TAGS"); ok {
		opt.Tags = tags
	}
	if n, err := strconv.Atoi(os.Getenv("SECBOT_BENCH_PUSHES")); err == nil {
		opt.Pushes = n
	}
	if err := bench.Run(ctx, os.Stdout, opt); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
