package testenv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// A test's database is named secbot_test_<unix time>_<host>_<pid>_<random>,
// so that what a test binary killed halfway leaves behind can be told from
// what a running one uses (see reapDatabases).
var testDatabase = regexp.MustCompile(`^secbot_test_(\d+)_([0-9a-f]{6})_(\d+)_[0-9a-f]+$`)

// maxTestAge is older than any test binary lives (go test's -timeout is
// 15m in the Makefile).
const maxTestAge = time.Hour

// hostTag tells this machine's databases from those of other machines
// sharing the PostgreSQL server.
var hostTag = func() string {
	name, _ := os.Hostname()
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:3])
}()

// createDatabase makes a database of the test binary's own, a copy of
// template when one is named.
func createDatabase(template string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, AdminDSN())
	if err != nil {
		return "", fmt.Errorf("PostgreSQL at %s is needed (run `make test`, which starts it): %w", AdminDSN(), err)
	}
	defer admin.Close(context.Background())
	name := fmt.Sprintf("secbot_test_%d_%s_%d_%s", time.Now().Unix(), hostTag, os.Getpid(), randomName())
	create := "CREATE DATABASE " + name
	if template != "" {
		create += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	if err := retryInUse(ctx, func() error { _, err := admin.Exec(ctx, create); return err }); err != nil {
		return "", fmt.Errorf("creating database: %w", err)
	}
	return name, nil
}

// spare is a copy of the template made ahead: while a test runs, the copy
// the next one will take is made, so tests that run one after another do
// not wait for theirs.
var spare struct {
	once  sync.Once
	ready chan created
}

type created struct {
	name string
	err  error
}

// spareDatabase returns a copy of template, the one made ahead if it is
// ready, else one made now (tests running in parallel do not queue for
// the spare).
func spareDatabase(template string) (string, error) {
	spare.once.Do(func() {
		spare.ready = make(chan created, 1)
		go func() {
			for {
				name, err := createDatabase(template)
				spare.ready <- created{name, err}
				if err != nil {
					return
				}
			}
		}()
	})
	select {
	case c := <-spare.ready:
		return c.name, c.err
	default:
		return createDatabase(template)
	}
}

// dropLater drops a test's database in the background, so the next test
// need not wait; one the binary exits before dropping is reaped later.
func dropLater(name string) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, AdminDSN())
		if err != nil {
			return
		}
		defer conn.Close(context.Background())
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}()
}

// reapDatabases drops, in the background, what test binaries left behind:
// the databases of processes of this machine that have ended (the spare
// one each makes ahead, those it was dropping when it exited), and any
// older than a test binary lives.
func reapDatabases() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	admin, err := pgx.Connect(ctx, AdminDSN())
	if err != nil {
		return
	}
	defer admin.Close(context.Background())
	rows, err := admin.Query(ctx, "SELECT datname FROM pg_database WHERE datname LIKE 'secbot\\_test\\_%'")
	if err != nil {
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return
	}
	for _, name := range names {
		m := testDatabase.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		since, _ := strconv.ParseInt(m[1], 10, 64)
		pid, _ := strconv.Atoi(m[3])
		old := time.Since(time.Unix(since, 0)) > maxTestAge
		if old || (m[2] == hostTag && pid != os.Getpid() && !alive(pid)) {
			_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
		}
	}
}

// alive reports whether a process of this machine runs.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}

// databaseDSN is the DSN of another database on the server of AdminDSN.
func databaseDSN(database string) (string, error) {
	u, err := url.Parse(AdminDSN())
	if err != nil {
		return "", fmt.Errorf("SECBOT_TEST_POSTGRES_DSN: %w", err)
	}
	u.Path = "/" + database
	return u.String(), nil
}
