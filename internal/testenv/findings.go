package testenv

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/api"
	"github.com/secbot/secbot/internal/findings/parsers"
	"github.com/secbot/secbot/internal/httpapi"
	"github.com/secbot/secbot/internal/metrics"
)

// FindingsToken is the admin API token of FindingsServer.
const FindingsToken = "5ecb075ecb075ecb075ecb075ecb075ecb075ecb"

// FindingsReportLimit is the largest report FindingsServer accepts.
const FindingsReportLimit = 64 << 20

// FindingsServer serves the built-in findings service (DefectDojo API v2)
// on a fresh database, returning its base URL and database.
func FindingsServer(t testing.TB) (string, *DB) {
	t.Helper()
	st, _ := Store(t)
	svc := findings.NewService(st.Pool(), findings.WithPasswordCost(bcrypt.MinCost))
	if err := svc.EnsureAdmin(context.Background(), "admin", "admin-password", FindingsToken); err != nil {
		t.Fatal(err)
	}
	if err := svc.EnsureTestTypes(context.Background(), parsers.ScanTypes()); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	app := httpapi.New(httpapi.Options{Service: "reporter", Log: log, Metrics: metrics.New(), BodyLimit: 1 << 20,
		StreamPaths: api.StreamPaths, StreamLimit: FindingsReportLimit, Ready: func(context.Context) error { return nil }})
	accounts := svc.Accounts(findings.AccountOptions{Secret: "testenv: " + FindingsToken,
		Throttle: findings.Throttle{UserAttempts: 5, AddressAttempts: 20, Backoff: time.Second, BackoffMax: 15 * time.Minute}})
	(&api.API{Service: svc, Accounts: accounts, Log: log}).Register(app)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })
	return "http://" + ln.Addr().String(), &DB{Pool: st.Pool()}
}
