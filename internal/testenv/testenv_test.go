package testenv

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/secbot/secbot/internal/store"
)

// Tests that start together get migrated databases of their own, copies
// of one template that nobody can connect to.
func TestMigratedDatabasesAreCopies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsns := make([]string, 4)
	var wg sync.WaitGroup
	for i := range dsns {
		wg.Go(func() { dsns[i] = MigratedDSN(t) })
	}
	wg.Wait()
	for i, dsn := range dsns {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var checks int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM checks").Scan(&checks); err != nil {
			t.Fatalf("database %d is not migrated: %v", i, err)
		}
		if checks != 0 {
			t.Fatalf("database %d holds %d checks of another test", i, checks)
		}
		if i == 0 {
			_, err = conn.Exec(ctx, `INSERT INTO checks (id, instance_host, project, project_key, commit_sha, event_type, job_name, event)
				VALUES ('c', 'h', 'g/p', 'h:g/p', 'sha', 'push', 'j', '{}')`)
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	tmpl, err := migratedTemplate()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tmpl, store.MigrationsDigest()[:16]) {
		t.Fatalf("template %s is not named for the migrations", tmpl)
	}
	admin, err := pgx.Connect(ctx, AdminDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var isTemplate, allowConn bool
	if err := admin.QueryRow(ctx, "SELECT datistemplate, datallowconn FROM pg_database WHERE datname = $1", tmpl).Scan(&isTemplate, &allowConn); err != nil {
		t.Fatal(err)
	}
	if !isTemplate || allowConn {
		t.Fatalf("template %s: datistemplate %v, datallowconn %v", tmpl, isTemplate, allowConn)
	}
}

// Tests and make run never share a Redis database: tests take 1 to 12.
func TestRedisURLClaimsATestDatabase(t *testing.T) {
	t.Parallel()
	u := RedisURL(t)
	db := u[strings.LastIndex(u, "/")+1:]
	for _, reserved := range []string{"0", "13", "14", "15"} {
		if db == reserved {
			t.Fatalf("a test got Redis database %s, which is not the tests'", db)
		}
	}
}

// BenchmarkMigratedDSN and BenchmarkMigrateEmpty compare a test's
// database copied from the template with one migrated from scratch.
func BenchmarkMigratedDSN(b *testing.B) {
	for b.Loop() {
		OpenStore(b, MigratedDSN(b))
	}
}

func BenchmarkMigrateEmpty(b *testing.B) {
	for b.Loop() {
		OpenStore(b, PostgresDSN(b))
	}
}
