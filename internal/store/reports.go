package store

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"
)

// reportChunk is the size of one row of a stored report: what a report
// costs in memory while it is written or read.
const reportChunk = 1 << 20

// ReportKey seals the stored reports: each chunk is encrypted and
// authenticated (AES-256-GCM) with its task, its place and whether it is
// the last, so a report can be neither read, nor changed, reordered or cut
// short, without the key.
type ReportKey struct{ aead cipher.AEAD }

// NewReportKey derives the key of the stored reports from a secret the
// workers share (SECBOT_SECRET_KEY).
func NewReportKey(secret string) (*ReportKey, error) {
	sum := sha256.Sum256([]byte("secbot scan reports\x00" + secret))
	block, err := aes.NewCipher(sum[:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &ReportKey{aead: aead}, nil
}

// additional is what a chunk's seal covers besides its bytes.
func additional(taskID string, seq int, last bool) []byte {
	return fmt.Appendf(nil, "%s\x00%d\x00%t", taskID, seq, last)
}

func (k *ReportKey) seal(taskID string, seq int, last bool, chunk []byte) []byte {
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(chunk)+k.aead.Overhead())
	_, _ = rand.Read(nonce) // crypto/rand never fails on Linux
	return k.aead.Seal(nonce, nonce, chunk, additional(taskID, seq, last))
}

// open returns a chunk's bytes and whether it is the last.
func (k *ReportKey) open(taskID string, seq int, sealed []byte) ([]byte, bool, error) {
	n := k.aead.NonceSize()
	if len(sealed) < n {
		return nil, false, errAltered
	}
	for _, last := range []bool{false, true} {
		if plain, err := k.aead.Open(nil, sealed[:n], sealed[n:], additional(taskID, seq, last)); err == nil {
			return plain, last, nil
		}
	}
	return nil, false, errAltered
}

var errAltered = errors.New("a chunk does not open with this key: the report was altered, or written by a worker with another SECBOT_SECRET_KEY")

// PutReport stores the report of a scan task in sealed chunks, replacing
// an earlier attempt's, and returns its size. The report is read as it is
// written: it is never held whole in memory.
func (s *Store) PutReport(ctx context.Context, key *ReportKey, taskID string, r io.Reader) (int64, error) {
	var size int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM scan_reports WHERE task_id = $1`, taskID); err != nil {
			return err
		}
		buf := make([]byte, reportChunk)
		for seq := 0; ; seq++ {
			n, err := io.ReadFull(r, buf)
			last := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
			if err != nil && !last {
				return fmt.Errorf("reading the report: %w", err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO scan_reports (task_id, seq, chunk) VALUES ($1, $2, $3)`,
				taskID, seq, key.seal(taskID, seq, last, buf[:n])); err != nil {
				return err
			}
			size += int64(n)
			if last {
				return nil
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
func (s *Store) OpenReport(ctx context.Context, key *ReportKey, taskID string) (io.ReadCloser, error) {
	r := &reportReader{ctx: ctx, store: s, key: key, taskID: taskID}
	if err := r.next(); err != nil {
		return nil, err
	}
	return r, nil
}

// reportReader reads a stored report one chunk at a time.
type reportReader struct {
	ctx    context.Context
	store  *Store
	key    *ReportKey
	taskID string
	seq    int
	chunk  []byte
	done   bool
}

// next loads the chunk numbered seq; after the last one, done is set.
func (r *reportReader) next() error {
	var sealed []byte
	err := r.store.pool.QueryRow(r.ctx, `SELECT chunk FROM scan_reports WHERE task_id = $1 AND seq = $2`,
		r.taskID, r.seq).Scan(&sealed)
	switch {
	case errors.Is(err, pgx.ErrNoRows) && r.seq == 0:
		return fmt.Errorf("store: the report of task %s: %w", r.taskID, ErrNotFound)
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("store: the report of task %s ends before its last chunk: it was cut short", r.taskID)
	case err != nil:
		return fmt.Errorf("store: reading the report of task %s: %w", r.taskID, err)
	}
	if r.chunk, r.done, err = r.key.open(r.taskID, r.seq, sealed); err != nil {
		return fmt.Errorf("store: the report of task %s, chunk %d: %w", r.taskID, r.seq, err)
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
