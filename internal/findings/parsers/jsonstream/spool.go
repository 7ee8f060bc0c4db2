package jsonstream

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// Spool keeps the values a parser meets before what it needs to read them
// (SARIF results before their run's tool, bandit results before their
// date) in a temporary file, to be read again in order: memory stays
// bounded however many there are. The zero Spool is empty; Close it.
type Spool struct {
	f *os.File
	w *bufio.Writer
	n int
}

// Keep reads the next value of d (bounded as Decode bounds it) into the
// spool.
func (s *Spool) Keep(d *Decoder) error {
	var raw json.RawMessage
	if err := d.Decode(&raw); err != nil {
		return err
	}
	if s.f == nil {
		f, err := os.CreateTemp("", "secbot-spool-*")
		if err != nil {
			return fmt.Errorf("spooling the report's values: %w", err)
		}
		// Unlinked at once: the file goes when it is closed, whatever happens.
		_ = os.Remove(f.Name())
		s.f, s.w = f, bufio.NewWriterSize(f, readChunk)
	}
	s.n++
	if _, err := s.w.Write(append(raw, '\n')); err != nil {
		return fmt.Errorf("spooling the report's values: %w", err)
	}
	return nil
}

// Each calls fn with a decoder at each kept value in turn, in the order
// they were kept (fn reads the value), and empties the spool.
func (s *Spool) Each(fn func(d *Decoder) error) error {
	if s.n == 0 {
		return nil
	}
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("spooling the report's values: %w", err)
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("spooling the report's values: %w", err)
	}
	d := New(s.f)
	for n := s.n; n > 0; n-- {
		if err := fn(d); err != nil {
			return err
		}
	}
	s.Close()
	return nil
}

// Close removes the spool's file.
func (s *Spool) Close() {
	if s.f != nil {
		_ = s.f.Close()
	}
	*s = Spool{}
}
