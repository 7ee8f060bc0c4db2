package npmaudit

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/jsonstream"
)

// store keeps a report's vulnerabilities in a temporary file, to be read
// back by name: memory holds only each one's name, place in the file and
// finding key, however large the report.
type store struct {
	f   *os.File
	w   *bufio.Writer
	end int64

	names  []string
	spans  []span
	byName map[string]int
	// The findings, in order of their key's first package: the index of
	// the last package with that key (DefectDojo's parser keeps the last
	// one, in the first one's place).
	keys   map[string]int
	output []int
}

type span struct{ off, n int64 }

// keep reads the vulnerability named name from d into the store.
func (s *store) keep(d *jsonstream.Decoder, name string) error {
	var raw json.RawMessage
	if err := d.Decode(&raw); err != nil {
		return err
	}
	var n node
	if err := json.Unmarshal(raw, &n); err != nil {
		return fmt.Errorf("%w: %s: vulnerability %q: %v", findings.ErrFormat, want, name, err)
	}
	key, err := findingKey(n)
	if err != nil {
		return fmt.Errorf("%w: %s: vulnerability %q: %v", findings.ErrFormat, want, name, err)
	}
	if s.f == nil {
		f, err := os.CreateTemp("", "secbot-npm-audit-*")
		if err != nil {
			return fmt.Errorf("storing the report's vulnerabilities: %w", err)
		}
		// Unlinked at once: the file goes when it is closed, whatever happens.
		_ = os.Remove(f.Name())
		s.f, s.w = f, bufio.NewWriter(f)
		s.byName, s.keys = map[string]int{}, map[string]int{}
	}
	if _, err := s.w.Write(raw); err != nil {
		return fmt.Errorf("storing the report's vulnerabilities: %w", err)
	}
	i := len(s.names)
	s.names = append(s.names, name)
	s.spans = append(s.spans, span{s.end, int64(len(raw))})
	s.end += int64(len(raw))
	s.byName[name] = i
	if at, ok := s.keys[key]; ok {
		s.output[at] = i
	} else {
		s.keys[key] = len(s.output)
		s.output = append(s.output, i)
	}
	return nil
}

// findingKey is what DefectDojo's parser merges findings by: the title
// and the severity.
func findingKey(n node) (string, error) {
	vias, err := n.vias()
	if err != nil {
		return "", err
	}
	title := n.Name
	if len(vias) > 0 && vias[0].adv != nil {
		title = vias[0].adv.Title
	}
	return title + "\x00" + severity(n.Severity), nil
}

// read returns the stored vulnerability i.
func (s *store) read(i int) (node, error) {
	sp := s.spans[i]
	buf := make([]byte, sp.n)
	if _, err := s.f.ReadAt(buf, sp.off); err != nil {
		return node{}, &storeError{err}
	}
	var n node
	err := json.Unmarshal(buf, &n) // read once already: it decodes
	return n, err
}

// storeError is the temporary file failing, not the report.
type storeError struct{ err error }

func (e *storeError) Error() string {
	return "reading the report's stored vulnerabilities: " + e.err.Error()
}
func (e *storeError) Unwrap() error { return e.err }

// emitAll emits the findings, one at a time.
func (s *store) emitAll(emit func(findings.Finding) error) error {
	if s.f == nil {
		return nil
	}
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("storing the report's vulnerabilities: %w", err)
	}
	lookup := func(name string) (node, error) {
		i, ok := s.byName[name]
		if !ok {
			return node{}, fmt.Errorf("its effects name %q, which the report does not list", name)
		}
		return s.read(i)
	}
	for _, i := range s.output {
		n, err := s.read(i)
		if err != nil {
			return err
		}
		f, err := finding(n, lookup)
		var failed *storeError
		if errors.As(err, &failed) {
			return err
		}
		if err != nil {
			return fmt.Errorf("%w: %s: vulnerability %q: %w", findings.ErrFormat, want, s.names[i], err)
		}
		if err := emit(f); err != nil {
			return err
		}
	}
	return nil
}

func (s *store) close() {
	if s.f != nil {
		_ = s.f.Close()
	}
	*s = store{}
}
