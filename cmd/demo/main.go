// Command demo shows SecBot catching a planted secret end to end, with
// stand-ins for GitLab and Slack (make demo).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/secbot/secbot/internal/demo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	opt := demo.Options{
		AdminDSN: envOr("SECBOT_DEMO_POSTGRES_DSN", "postgres://postgres:postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		Database: "secbot_demo",
		RedisURL: envOr("SECBOT_DEMO_REDIS_URL", "redis://127.0.0.1:6379/15"),
	}
	res, err := demo.Run(ctx, os.Stdout, opt)
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
	fmt.Printf("Verdict for the pipeline: %s (%d finding).\n", res.Verdict, res.Findings)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
