// Command secbot-pre-receive is SecBot's push protection: a pre-receive
// hook for GitLab's server hooks that refuses a push carrying a secret
// (docs/push-protection.md).
package main

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/secbot/secbot/internal/pushguard"
)

func main() {
	// A short-lived process: collecting garbage only slows it down (the
	// rules' building allocates tens of MB, all of it kept to the end).
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(-1)
	}
	cfg, warnings := pushguard.LoadConfig(os.Getenv, pushguard.ExecutableDir())
	for _, w := range warnings {
		fmt.Fprintf(os.Stderr, "SecBot push protection: warning: %v\n", w)
	}
	g := &pushguard.Guard{Config: cfg, Getenv: os.Getenv, Stderr: os.Stderr}
	if !g.Run(context.Background(), os.Stdin) {
		os.Exit(1)
	}
}
