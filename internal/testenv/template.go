package testenv

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/secbot/secbot/internal/store"
)

// template is this test binary's migrated template database, made once.
var template struct {
	once sync.Once
	name string
	err  error
}

// migratedTemplate returns the name of a database migrated with this
// binary's migrations, to copy (CREATE DATABASE … TEMPLATE). It is named
// for a digest of the migrations, so that test binaries built from the
// same migrations (the packages of one `go test ./...`, or another
// checkout) share it and a changed migration makes a new one; the first
// binary to need it makes it, under a PostgreSQL advisory lock the others
// wait on.
func migratedTemplate() (string, error) {
	template.once.Do(func() {
		template.name, template.err = makeTemplate()
		go reapDatabases()
	})
	return template.name, template.err
}

func makeTemplate() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	digest := store.MigrationsDigest()
	name := "secbot_template_" + digest[:16]
	admin, err := pgx.Connect(ctx, AdminDSN())
	if err != nil {
		return "", fmt.Errorf("PostgreSQL at %s is needed (run `make test`, which starts it): %w", AdminDSN(), err)
	}
	defer admin.Close(context.Background())
	key := sha256.Sum256([]byte("secbot test template " + name))
	lock := int64(binary.BigEndian.Uint64(key[:8]))
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock($1)", lock); err != nil {
		return "", fmt.Errorf("locking the template database: %w", err)
	}
	// Closing the connection unlocks as well.
	defer func() { _, _ = admin.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", lock) }()

	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", fmt.Errorf("looking for the template database: %w", err)
	}
	if exists {
		return name, nil
	}
	// Migrate under another name and rename when done, so that a binary
	// killed halfway leaves no half-migrated template behind.
	building := name + "_" + randomName()
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+building); err != nil {
		return "", fmt.Errorf("creating the template database: %w", err)
	}
	if err := migrate(ctx, building); err != nil {
		_, _ = admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)")
		return "", err
	}
	// A template nobody connects to can be copied at any time.
	for _, stmt := range []string{
		"ALTER DATABASE " + building + " RENAME TO " + name,
		"ALTER DATABASE " + name + " WITH IS_TEMPLATE true ALLOW_CONNECTIONS false",
	} {
		if err := retryInUse(ctx, func() error { _, err := admin.Exec(ctx, stmt); return err }); err != nil {
			return "", fmt.Errorf("making the template database: %w", err)
		}
	}
	return name, nil
}

func migrate(ctx context.Context, database string) error {
	dsn, err := databaseDSN(database)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	return st.Migrate(ctx)
}

// retryInUse runs stmt again while PostgreSQL answers that the database it
// names is in use: the sessions of a pool just closed end a moment later.
func retryInUse(ctx context.Context, stmt func() error) error {
	for {
		err := stmt()
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "55006" { // object_in_use
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
}
