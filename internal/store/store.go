// Package store holds all of SecBot's SQL: checks, deliveries and the task
// plan, in PostgreSQL.
package store

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// ErrNotFound is returned when a check or task does not exist.
var ErrNotFound = errors.New("store: not found")

//go:embed migrations/*.sql
var migrations embed.FS

// Store is SecBot's PostgreSQL database.
type Store struct {
	pool *pgxpool.Pool
}

// Open connects to PostgreSQL and checks the connection.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("store: parsing the PostgreSQL DSN: %w", err)
	}
	cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	// pgx prepares statements, and after five runs PostgreSQL may switch
	// to a generic plan, one blind to the parameters. Ours take id arrays
	// (id = ANY($1)) of a handful of elements, for which a generic plan
	// scans whole tables: hook intake fell from thousands a second to a
	// hundred as the tables grew. A custom plan per run costs well under a
	// millisecond.
	cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: connecting to PostgreSQL: %w", err)
	}
	s := &Store{pool: pool}
	if err := s.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Close releases the connections.
func (s *Store) Close() { s.pool.Close() }

// Pool is the connection pool, for packages that keep their own SQL in
// this database (the findings service).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// ConnectionLost reports whether err is a lost connection: the database
// could not be reached, restarted or shut down, or the network dropped
// it. Anything else (an error of a statement, a row that does not decode,
// a missing row, an ended context) is not, so a caller that resets its
// connections on a lost one does not do it for a mistake of its own.
func ConnectionLost(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 08 is connection_exception; 57P01 to 57P03: the server is
		// shutting down, crashed or is starting.
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE)
}

// Retry runs read, and once more on new connections if it lost its
// connection. After a database restart every idle connection of the pool
// is dead, and the pool checks only those idle for over a second before
// handing them out, so the first reads would fail. For reads, and other
// work that is safe to repeat.
func (s *Store) Retry(ctx context.Context, read func() error) error {
	err := read()
	if ConnectionLost(err) && ctx.Err() == nil {
		s.pool.Reset()
		err = read()
	}
	return err
}

// Ping checks that PostgreSQL answers.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("store: PostgreSQL unreachable: %w", err)
	}
	return nil
}

// Migrate applies the embedded migrations that the database lacks. A
// PostgreSQL advisory lock keeps replicas that start together from racing;
// each migration runs in its own transaction.
func (s *Store) Migrate(ctx context.Context) error {
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return fmt.Errorf("store: migration lock: %w", err)
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, db, mustSub(migrations, "migrations"),
		goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("store: loading migrations: %w", err)
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("store: applying migrations: %w", err)
	}
	return nil
}

// MigrationsDigest is a hex SHA-256 of the embedded migrations (names and
// contents): equal digests mean equal schemas, so tests can copy one
// migrated database instead of migrating each of theirs.
func MigrationsDigest() string {
	h := sha256.New()
	err := fs.WalkDir(migrations, "migrations", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := migrations.ReadFile(path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(data))
		h.Write(data)
		return nil
	})
	if err != nil {
		panic(err) // embedded at build time
	}
	return hex.EncodeToString(h.Sum(nil))
}

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}

// EnsureDatabase creates the database dsn names when it does not exist,
// connecting to the server's postgres database to do so, and returns its
// name and whether it created it. It is make run's first step on a fresh
// machine.
func EnsureDatabase(ctx context.Context, dsn string) (name string, created bool, err error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return "", false, fmt.Errorf("store: parsing the PostgreSQL DSN: %w", err)
	}
	name, server := cfg.Database, fmt.Sprintf("%s:%d", cfg.Host, cfg.Port)
	cfg.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return name, false, fmt.Errorf("store: connecting to PostgreSQL at %s: %w", server, err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return name, false, fmt.Errorf("store: looking for database %s on %s: %w", name, server, err)
	}
	if exists {
		return name, false, nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return name, false, fmt.Errorf("store: creating database %s on %s: %w", name, server, err)
	}
	return name, true, nil
}

// CreateDatabase makes an empty database called name on the server of
// adminDSN, dropping one of that name first, and returns its DSN. It is
// for throwaway stacks (make demo, make bench), never for a real one.
func CreateDatabase(ctx context.Context, adminDSN, name string) (string, error) {
	conn, err := pgx.Connect(ctx, adminDSN)
	if err != nil {
		return "", fmt.Errorf("store: connecting to PostgreSQL (run make deps): %w", err)
	}
	defer conn.Close(ctx)
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
		return "", fmt.Errorf("store: dropping database %s: %w", name, err)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
		return "", fmt.Errorf("store: creating database %s: %w", name, err)
	}
	u, err := url.Parse(adminDSN)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}
