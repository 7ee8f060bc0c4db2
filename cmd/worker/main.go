// Command worker runs scans, outputs and notifications from the queue.
package main

import (
	"context"

	"github.com/secbot/secbot/internal/handlers"
	"github.com/secbot/secbot/internal/service"
)

func main() {
	service.Main("worker", func(ctx context.Context, b *service.Base) error {
		return service.RunWorker(ctx, b, handlers.Registry())
	})
}
