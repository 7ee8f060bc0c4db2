package store

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"
)

// reportChunk is the size of one row of a stored report: what a report
// costs in memory while it is written or read.
const reportChunk = 1 << 20

// PutReport stores the report of a scan task in chunks, replacing an
// earlier attempt's, and returns its size. The report is read as it is
// written: it is never held whole in memory.
func (s *Store) PutReport(ctx context.Context, taskID string, r io.Reader) (int64, error) {
	var size int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM scan_reports WHERE task_id = $1`, taskID); err != nil {
			return err
		}
		buf := make([]byte, reportChunk)
		for seq := 0; ; seq++ {
			n, err := io.ReadFull(r, buf)
			if n > 0 || seq == 0 {
				if _, err := tx.Exec(ctx, `INSERT INTO scan_reports (task_id, seq, chunk) VALUES ($1, $2, $3)`,
					taskID, seq, buf[:n]); err != nil {
					return err
				}
				size += int64(n)
			}
			switch {
			case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
				return nil
			case err != nil:
				return fmt.Errorf("reading the report: %w", err)
			}
		}
	})
	if err != nil {
		return 0, fmt.Errorf("store: storing the report of task %s: %w", taskID, err)
	}
	return size, nil
}

// OpenReport reads the report a scan task stored, chunk by chunk, or
// returns ErrNotFound.
func (s *Store) OpenReport(ctx context.Context, taskID string) (io.ReadCloser, error) {
	r := &reportReader{ctx: ctx, store: s, taskID: taskID}
	if err := r.next(); err != nil {
		return nil, err
	}
	return r, nil
}

// reportReader reads a stored report one chunk at a time.
type reportReader struct {
	ctx    context.Context
	store  *Store
	taskID string
	seq    int
	chunk  []byte
	done   bool
}

// next loads the chunk numbered seq; past the last one, done is set.
func (r *reportReader) next() error {
	err := r.store.pool.QueryRow(r.ctx, `SELECT chunk FROM scan_reports WHERE task_id = $1 AND seq = $2`,
		r.taskID, r.seq).Scan(&r.chunk)
	switch {
	case errors.Is(err, pgx.ErrNoRows) && r.seq == 0:
		return fmt.Errorf("store: the report of task %s: %w", r.taskID, ErrNotFound)
	case errors.Is(err, pgx.ErrNoRows):
		r.done = true
		return nil
	case err != nil:
		return fmt.Errorf("store: reading the report of task %s: %w", r.taskID, err)
	}
	r.seq++
	return nil
}

func (r *reportReader) Read(p []byte) (int, error) {
	for len(r.chunk) == 0 {
		if r.done {
			return 0, io.EOF
		}
		if err := r.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.chunk)
	r.chunk = r.chunk[n:]
	return n, nil
}

func (r *reportReader) Close() error { return nil }

// DeleteReadReports removes the stored reports that no output needs any
// more: every task that reads one is done. It returns how many it removed.
func (s *Store) DeleteReadReports(ctx context.Context) (int64, error) {
	tag, err := s.pool.Exec(ctx, `
		DELETE FROM scan_reports r USING tasks t
		WHERE t.id = r.task_id AND t.state = 'done'
		  AND NOT EXISTS (SELECT 1 FROM tasks o WHERE o.check_id = t.check_id
		                  AND r.task_id = ANY (o.depends_on) AND o.state <> 'done')`)
	if err != nil {
		return 0, fmt.Errorf("store: deleting read reports: %w", err)
	}
	return tag.RowsAffected(), nil
}
