package mirror

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// lockMirror takes the lock file of a mirror, making its directory. A
// mirror removed by Close loses its lock file while others may wait on
// it; a waiter that then gets the lock of a file no longer there tries
// again with the new one.
func lockMirror(ctx context.Context, lockPath string) (*os.File, error) {
	const attempts = 5
	for attempt := 1; ; attempt++ {
		if err := os.MkdirAll(filepath.Dir(lockPath), 0o700); err != nil { //nolint:gosec // G703/G304: the mirror path is built by Mirrors.Open from a checked clone URL path, every unsafe character replaced
			return nil, fmt.Errorf("creating mirror directory: %w", err)
		}
		f, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR, 0o600) //nolint:gosec // G703/G304: the mirror path is built by Mirrors.Open from a checked clone URL path, every unsafe character replaced
		if errors.Is(err, fs.ErrNotExist) && attempt < attempts {
			continue // the directory was removed by a cleanup meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("opening mirror lock: %w", err)
		}
		if err := flock(ctx, f); err != nil {
			return nil, err
		}
		held, err := f.Stat()
		if now, nerr := os.Stat(lockPath); err == nil && nerr == nil && os.SameFile(held, now) { //nolint:gosec // G703/G304: the mirror path is built by Mirrors.Open from a checked clone URL path, every unsafe character replaced
			return f, nil
		}
		f.Close() // releases the lock of the removed file
		if attempt >= attempts {
			return nil, errors.New("opening mirror lock: the mirror keeps being removed")
		}
	}
}

// flock waits for the exclusive lock, giving up when ctx ends. On failure
// it owns f and closes it (at once, or once a pending lock call returns).
func flock(ctx context.Context, f *os.File) error {
	fd := int(f.Fd())
	done := make(chan error, 1)
	go func() { done <- syscall.Flock(fd, syscall.LOCK_EX) }()
	select {
	case err := <-done:
		if err != nil {
			f.Close()
			return fmt.Errorf("locking mirror: %w", err)
		}
		return nil
	case <-ctx.Done():
		// Closing the file releases the lock if the call gets it later.
		go func() { <-done; f.Close() }() //nolint:errcheck // closing releases the lock; nothing to report to
		return fmt.Errorf("waiting for the mirror lock: %w", ctx.Err())
	}
}
