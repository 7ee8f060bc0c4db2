// Command secbot-pre-receive is SecBot's push protection: a pre-receive
// hook for GitLab's server hooks that refuses a push carrying a secret
// (docs/push-protection.md).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/secbot/secbot/internal/pushguard"
)

func main() {
	cfg, warnings := pushguard.LoadConfig(os.Getenv, pushguard.ExecutableDir())
	for _, w := range warnings {
		fmt.Fprintf(os.Stderr, "SecBot push protection: warning: %v\n", w)
	}
	g := &pushguard.Guard{Config: cfg, Getenv: os.Getenv, Stderr: os.Stderr}
	if !g.Run(context.Background(), os.Stdin) {
		os.Exit(1)
	}
}
