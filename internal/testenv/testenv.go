// Package testenv gives tests their own PostgreSQL database and Redis
// database on the real servers of this machine (or of the CI run).
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/secbot/secbot/internal/store"
)

// AdminDSN is the PostgreSQL server tests create their databases on.
func AdminDSN() string {
	if dsn := os.Getenv("SECBOT_TEST_POSTGRES_DSN"); dsn != "" {
		return dsn
	}
	return "postgres://postgres:postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// RedisAddr is the Redis server tests use.
func RedisAddr() string {
	if addr := os.Getenv("SECBOT_TEST_REDIS_ADDR"); addr != "" {
		return addr
	}
	return "127.0.0.1:6379"
}

func randomName() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// PostgresDSN creates an empty database for the test and drops it when the
// test ends, returning its DSN.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	name, err := createDatabase("")
	return ownDatabase(t, name, err)
}

// MigratedDSN creates a migrated database for the test, a copy of the
// template this test binary's migrations make (see migratedTemplate), and
// drops it when the test ends, returning its DSN. Copying takes a fraction
// of the time migrating does, and the copy is made while the test before
// runs (see spareDatabase).
func MigratedDSN(t testing.TB) string {
	t.Helper()
	tmpl, err := migratedTemplate()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	name, err := spareDatabase(tmpl)
	return ownDatabase(t, name, err)
}

// ownDatabase gives the test a database it created, to drop when it ends.
func ownDatabase(t testing.TB, name string, err error) string {
	t.Helper()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(func() { dropLater(name) })
	dsn, err := databaseDSN(name)
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

// Store opens a migrated store on a fresh database.
func Store(t testing.TB) (*store.Store, string) {
	t.Helper()
	dsn := MigratedDSN(t)
	return OpenStore(t, dsn), dsn
}

// OpenStore opens the database at dsn, migrated, until the test ends.
func OpenStore(t testing.TB, dsn string) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

// Redis databases: `make run` uses 0 (.env.local), `make bench` 14 and
// `make demo` 15; tests claim one of 1 to 12 each, and keep their claims
// (lease keys) in 13, so that nothing they do touches another's data.
const (
	firstTestDB = 1
	lastTestDB  = 12
	leaseDB     = 13
)

// RedisURL claims an empty Redis database for the test (a lease key in
// database 13 keeps concurrent test binaries apart), flushes it and returns
// its URL; the claim is released when the test ends.
func RedisURL(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	ctrl := redis.NewClient(&redis.Options{Addr: RedisAddr(), DB: leaseDB})
	defer ctrl.Close()
	if err := ctrl.Ping(ctx).Err(); err != nil {
		t.Fatalf("testenv: Redis at %s is needed (run `make test`, which starts it): %v", RedisAddr(), err)
	}
	owner := randomName()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		for db := firstTestDB; db <= lastTestDB; db++ {
			lease := fmt.Sprintf("secbot-test:db:%d", db)
			ok, err := ctrl.SetNX(ctx, lease, owner, 15*time.Minute).Result()
			if err != nil {
				t.Fatalf("testenv: claiming a Redis database: %v", err)
			}
			if !ok {
				continue
			}
			c := redis.NewClient(&redis.Options{Addr: RedisAddr(), DB: db})
			err = c.FlushDB(ctx).Err()
			c.Close()
			if err != nil {
				t.Fatalf("testenv: flushing Redis database %d: %v", db, err)
			}
			t.Cleanup(func() { release(lease, owner) })
			return fmt.Sprintf("redis://%s/%d", RedisAddr(), db)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatal("testenv: no free Redis database within 60s")
	return ""
}

func release(lease, owner string) {
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: RedisAddr(), DB: leaseDB})
	defer c.Close()
	if v, _ := c.Get(ctx, lease).Result(); v == owner {
		c.Del(ctx, lease)
	}
}

// DB wraps a test database's pool with small query helpers.
type DB struct{ Pool *pgxpool.Pool }

// Count runs a query returning one integer.
func (d *DB) Count(t testing.TB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.Pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// Exec runs a statement, failing the test on an error.
func (d *DB) Exec(t testing.TB, query string, args ...any) {
	t.Helper()
	if _, err := d.Pool.Exec(context.Background(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}
