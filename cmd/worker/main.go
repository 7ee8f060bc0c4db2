// Command worker runs scans, outputs and notifications from the queue.
package main

import (
	"context"

	"github.com/secbot/secbot/internal/notify/slack"
	"github.com/secbot/secbot/internal/output/defectdojo"
	"github.com/secbot/secbot/internal/scan/gitleaks"
	"github.com/secbot/secbot/internal/service"
	"github.com/secbot/secbot/internal/worker"
)

// registry names the handlers config.yml may use. A new handler is one
// package implementing worker.Scanner, Output or Notifier, added here.
func registry() *worker.Registry {
	reg := worker.NewRegistry()
	reg.AddScanner(gitleaks.HandlerName, gitleaks.New)
	reg.AddOutput(defectdojo.HandlerName, defectdojo.New)
	reg.AddNotifier(slack.HandlerName, slack.New)
	return reg
}

func main() {
	service.Main("worker", func(ctx context.Context, b *service.Base) error {
		return service.RunWorker(ctx, b, registry())
	})
}
