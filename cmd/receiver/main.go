// Command receiver takes GitLab webhooks on :5000 and plans the checks.
package main

import (
	"context"

	"github.com/secbot/secbot/internal/handlers"
	"github.com/secbot/secbot/internal/service"
)

func main() {
	service.Main("receiver", func(ctx context.Context, b *service.Base) error {
		return service.RunReceiver(ctx, b, handlers.Registry())
	})
}
