package store_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/secbot/secbot/internal/jobs"
	"github.com/secbot/secbot/internal/store"
	"github.com/secbot/secbot/internal/testenv"
)

// A report of several chunks comes back byte for byte; a second attempt
// replaces the first; it is deleted once every output that reads it is
// done, and not before.
func TestReportsRoundTripAndCleanup(t *testing.T) {
	t.Parallel()
	st, dsn := testenv.Store(t)
	key, err := store.NewReportKey("the workers' secret")
	if err != nil {
		t.Fatal(err)
	}
	db, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	chunks := func() (n int) {
		if err := db.QueryRow(ctx, `SELECT count(*) FROM scan_reports`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if _, err := st.AcceptEvent(ctx, "k", check("c"), jobs.Plan("c", job2x2x1, "")); err != nil {
		t.Fatal(err)
	}
	scan := jobs.ScanTaskID("c", "s1")
	report := bytes.Repeat([]byte("0123456789abcdef"), (5<<20)/16+3) // five chunks and a bit
	if _, err := st.PutReport(ctx, key, scan, bytes.NewReader([]byte("the first attempt's"))); err != nil {
		t.Fatal(err)
	}
	n, err := st.PutReport(ctx, key, scan, bytes.NewReader(report))
	if err != nil || n != int64(len(report)) {
		t.Fatalf("PutReport = %d, %v; want %d", n, err, len(report))
	}
	if n := chunks(); n != 6 {
		t.Fatalf("%d chunks stored, want 6", n)
	}
	rc, err := st.OpenReport(ctx, key, scan)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, report) {
		t.Fatalf("read %d bytes (%v), want the %d stored", len(got), err, len(report))
	}
	if _, err := st.PutReport(ctx, key, jobs.ScanTaskID("c", "s2"), bytes.NewReader(nil)); err != nil {
		t.Fatal(err)
	}
	if rc, err := st.OpenReport(ctx, key, jobs.ScanTaskID("c", "s2")); err != nil {
		t.Fatalf("an empty report: %v", err)
	} else if b, _ := io.ReadAll(rc); len(b) != 0 {
		t.Fatalf("an empty report read as %q", b)
	}
	if _, err := st.OpenReport(ctx, key, "c:scan:none"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a report never stored: %v", err)
	}

	// The scan done and one of its two outputs done: the report stays.
	run(t, st, scan, 0)
	run(t, st, jobs.OutputTaskID("c", "s1", "o1"), 0)
	if n, err := st.DeleteReadReports(ctx); err != nil || n != 0 {
		t.Fatalf("DeleteReadReports with o2 to run = %d, %v", n, err)
	}
	run(t, st, jobs.OutputTaskID("c", "s1", "o2"), 0)
	if n, err := st.DeleteReadReports(ctx); err != nil || n != 6 {
		t.Fatalf("DeleteReadReports once both outputs ran = %d, %v; want the 6 chunks of s1", n, err)
	}
	if n := chunks(); n != 1 {
		t.Fatalf("%d chunks left, want s2's one: its outputs have not run", n)
	}
}

// A stored report is sealed: its bytes are not in the table, and a chunk
// changed, removed or opened with another key is refused.
func TestReportsAreSealed(t *testing.T) {
	t.Parallel()
	st, dsn := testenv.Store(t)
	key, _ := store.NewReportKey("the workers' secret")
	other, _ := store.NewReportKey("another worker's secret")
	if _, err := st.AcceptEvent(ctx, "k", check("c"), jobs.Plan("c", job2x2x1, "")); err != nil {
		t.Fatal(err)
	}
	db, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	scan := jobs.ScanTaskID("c", "s1")
	secret := "password = \"glpat-Xk9vQ2mT7pLr4sWz8YbQ\"\n"
	report := bytes.Repeat([]byte(secret), (2<<20)/len(secret)+1) // three chunks
	if _, err := st.PutReport(ctx, key, scan, bytes.NewReader(report)); err != nil {
		t.Fatal(err)
	}
	var clear int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM scan_reports WHERE position('glpat-' in encode(chunk, 'escape')) > 0`).Scan(&clear); err != nil {
		t.Fatal(err)
	}
	if clear != 0 {
		t.Fatalf("%d stored chunks show the report's text", clear)
	}
	read := func(k *store.ReportKey) error {
		rc, err := st.OpenReport(ctx, k, scan)
		if err != nil {
			return err
		}
		_, err = io.ReadAll(rc)
		return err
	}
	if err := read(key); err != nil {
		t.Fatalf("the right key: %v", err)
	}
	if err := read(other); err == nil || !strings.Contains(err.Error(), "SECBOT_SECRET_KEY") {
		t.Fatalf("another key: %v", err)
	}
	if _, err := db.Exec(ctx, `DELETE FROM scan_reports WHERE task_id = $1 AND seq = 2`, scan); err != nil {
		t.Fatal(err)
	}
	if err := read(key); err == nil || !strings.Contains(err.Error(), "cut short") {
		t.Fatalf("the last chunk removed: %v", err)
	}
	if _, err := st.PutReport(ctx, key, scan, bytes.NewReader(report)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `UPDATE scan_reports a SET chunk = b.chunk FROM scan_reports b
		WHERE a.task_id = $1 AND b.task_id = $1 AND a.seq = 0 AND b.seq = 1`, scan); err != nil {
		t.Fatal(err)
	}
	if err := read(key); err == nil || !strings.Contains(err.Error(), "altered") {
		t.Fatalf("a chunk moved: %v", err)
	}
}
