package command

import (
	"bufio"
	"bytes"
	"io"
	"os"
)

// relativize copies the report at src to dst with the checkout's own path
// taken out of it: a scanner that writes absolute paths
// (/tmp/secbot-command-123/src/app/x.py, or file:///tmp/…) then names
// files as the repository does (app/x.py), the same from one scan to the
// next, as the findings service's deduplication needs. The checkout's
// path is random and long, so nothing else in a report matches it. The
// copy streams, holding one buffer and a pattern's length.
func relativize(src, dst, dir string) error {
	in, err := os.Open(src) //nolint:gosec // G304: the report in the scan's own folder
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst) //nolint:gosec // G304: beside it
	if err != nil {
		return err
	}
	defer out.Close()
	w := bufio.NewWriter(out)
	// The longest first: the URI form holds the path form.
	patterns := [][]byte{[]byte("file://" + dir + "/"), []byte(dir + "/")}
	if err := replaceAll(w, bufio.NewReader(in), patterns); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return out.Close()
}

// replaceAll copies r to w, dropping every occurrence of the patterns.
// It keeps back the last bytes of each read that could begin a pattern,
// so one split between two reads is still found.
func replaceAll(w io.Writer, r io.Reader, patterns [][]byte) error {
	keep := 0
	for _, p := range patterns {
		keep = max(keep, len(p)-1)
	}
	buf := make([]byte, 0, 64<<10+keep)
	chunk := make([]byte, 64<<10)
	for {
		n, err := r.Read(chunk)
		buf = append(buf, chunk[:n]...)
		done := err == io.EOF
		if err != nil && !done {
			return err
		}
		for _, p := range patterns {
			buf = bytes.ReplaceAll(buf, p, nil)
		}
		cut := len(buf)
		if !done {
			cut = max(0, len(buf)-keep)
		}
		if _, err := w.Write(buf[:cut]); err != nil {
			return err
		}
		buf = append(buf[:0], buf[cut:]...)
		if done {
			return nil
		}
	}
}
