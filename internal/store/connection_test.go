package store_test

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/secbot/secbot/internal/store"
	"github.com/secbot/secbot/internal/testenv"
)

// A row that does not decode, or any error that is not the database's
// connection going away, is no lost connection: Retry runs the read once
// and keeps the pool (before, any error that was not PostgreSQL's own
// counted as lost, and the intake failed a whole batch of hooks for it).
func TestOnlyLostConnectionsAreLost(t *testing.T) {
	t.Parallel()
	st, _ := testenv.Store(t)
	var n int
	decode := st.Pool().QueryRow(ctx, "SELECT 'not a number'").Scan(&n)
	if decode == nil {
		t.Fatal("a text scanned into an int")
	}
	runs := 0
	err := st.Retry(ctx, func() error {
		runs++
		return st.Pool().QueryRow(ctx, "SELECT 'not a number'").Scan(&n)
	})
	if err == nil || runs != 1 {
		t.Fatalf("a decode error ran the read %d times (err %v), want once", runs, err)
	}
	tests := []struct {
		err  error
		lost bool
	}{
		{decode, false},
		{errors.New("building the report: bad input"), false},
		{fmt.Errorf("store: %w", store.ErrNotFound), false},
		{&pgconn.PgError{Code: "42601"}, false}, // syntax error
		{&pgconn.PgError{Code: "23505"}, false}, // unique violation
		{fmt.Errorf("reading: %w", io.ErrUnexpectedEOF), true},
		{&pgconn.PgError{Code: "57P01"}, true}, // terminating connection due to administrator command
		{&pgconn.PgError{Code: "08006"}, true}, // connection failure
		{fmt.Errorf("query: %w", pgconn.ErrConnClosed), true},
	}
	for _, tt := range tests {
		if got := store.ConnectionLost(tt.err); got != tt.lost {
			t.Errorf("ConnectionLost(%v) = %v, want %v", tt.err, got, tt.lost)
		}
	}
}
