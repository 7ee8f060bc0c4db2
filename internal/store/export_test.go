package store

import (
	"context"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
)

// IntakeWaiting is how many events wait for a committer.
func IntakeWaiting(in *Intake) int { return len(in.requests) }

// MigrateTo applies the migrations up to version, for tests of a
// migration's data.
func MigrateTo(ctx context.Context, s *Store, version int64) error {
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	provider, err := goose.NewProvider(goose.DialectPostgres, db, mustSub(migrations, "migrations"))
	if err != nil {
		return err
	}
	_, err = provider.UpTo(ctx, version)
	return err
}
