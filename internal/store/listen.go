package store

import (
	"context"
	"fmt"
)

// Listen calls fn with the id of every check whose tasks change, until ctx
// ends or the connection fails (the error says which).
func (s *Store) Listen(ctx context.Context, fn func(checkID string)) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("store: acquiring a listener connection: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN "+NotifyChannel); err != nil {
		return fmt.Errorf("store: listening on %s: %w", NotifyChannel, err)
	}
	for {
		n, err := conn.Conn().WaitForNotification(ctx)
		if err != nil {
			conn.Conn().Close(context.Background()) // LISTEN state must not go back to the pool
			return fmt.Errorf("store: waiting for notifications: %w", err)
		}
		fn(n.Payload)
	}
}
