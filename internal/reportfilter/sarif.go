package reportfilter

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// artifactLocation is a SARIF artifactLocation: a URI, maybe relative to
// a base the run names.
type artifactLocation struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId"`
}

// sarifResult is what Filter reads of a result: its first location (a
// Go array of one drops the others unread).
type sarifResult struct {
	Locations [1]struct {
		PhysicalLocation struct {
			ArtifactLocation artifactLocation `json:"artifactLocation"`
		} `json:"physicalLocation"`
	} `json:"locations"`
}

// maxBaseChain bounds a chain of uriBaseIds (each base relative to
// another), which a malformed log could make a loop.
const maxBaseChain = 16

// sarif walks a SARIF log: the results of each run are filtered.
func (f *filter) sarif() error {
	hasRuns := false
	_, err := f.object(false, func(key string) error {
		if key != "runs" {
			return f.copyValue()
		}
		null, err := f.array(true, f.sarifRun)
		hasRuns = hasRuns || !null
		return err
	})
	if err == nil && !hasRuns {
		return f.malformed(errors.New("the log has no runs list"))
	}
	return err
}

// run is one SARIF run being filtered.
type run struct {
	bases     map[string]artifactLocation // its originalUriBaseIds
	basesRead bool
	// waiting holds the run's results from the first one whose base the
	// run has not defined yet (it may define it after its results), and
	// what the run has after them, until the run ends.
	waiting *waiting
}

// sarifRun filters one run. Results are decided as they are read while
// their paths are known; from a result relative to a uriBaseId the run
// has not defined (yet), the rest of the results, then the rest of the
// run, wait in temporary files until the run's end, when its bases are
// all known: the copy keeps the run's order, and memory stays bounded.
func (f *filter) sarifRun() error {
	r := &run{}
	defer func() {
		if r.waiting != nil {
			r.waiting.close(f)
		}
	}()
	_, err := f.object(false, func(key string) error {
		switch key {
		case "originalUriBaseIds":
			raw, err := f.element()
			if err != nil {
				return err
			}
			// Parsers read no bases: ones not as SARIF has them are
			// none, rather than a reason to refuse the log.
			if json.Unmarshal(raw, &r.bases) != nil {
				r.bases = nil
			}
			r.basesRead = true
			f.out.put(raw)
			return nil
		case "results":
			if r.waiting != nil {
				return f.malformed(errors.New("the run has a second results list"))
			}
			return f.sarifResults(r)
		}
		return f.copyValue()
	})
	if err != nil || r.waiting == nil {
		return err
	}
	return r.waiting.finish(f, r)
}

// sarifResults filters a run's results list (or copies a null).
func (f *filter) sarifResults(r *run) error {
	if null, err := f.open('[', true); err != nil || null {
		if null {
			f.out.putString("null")
		}
		return err
	}
	f.out.putByte('[')
	written := 0
	for i := 0; f.dec.More(); i++ {
		f.pushIndex(i)
		raw, err := f.element()
		if err != nil {
			return err
		}
		if r.waiting != nil {
			err = r.waiting.keep(raw)
		} else {
			var path string
			var known bool
			path, known, err = r.file(raw, false)
			switch {
			case err != nil:
				err = f.malformed(err)
			case !known:
				r.waiting, err = newWaiting(i, written)
				if err == nil {
					err = r.waiting.keep(raw)
				}
			case f.decide(path):
				if written > 0 {
					f.out.putByte(',')
				}
				f.out.put(raw)
				written++
			}
		}
		f.pop()
		if err == nil {
			err = f.out.failed()
		}
		if err != nil {
			return err
		}
	}
	if _, err := f.token(); err != nil { // ']'
		return err
	}
	if r.waiting == nil {
		f.out.putByte(']')
		return nil
	}
	// The list stays open: the rest of the run goes to the second file.
	r.waiting.out, f.out = f.out, r.waiting.rest
	return nil
}

// file is the path of a result's first location ("" for none); known is
// false when the path depends on a base the run may still define (never
// when final).
func (r *run) file(raw []byte, final bool) (path string, known bool, err error) {
	var res sarifResult
	if err := json.Unmarshal(raw, &res); err != nil {
		return "", false, err
	}
	loc := res.Locations[0].PhysicalLocation.ArtifactLocation
	if loc.URI == "" {
		return "", true, nil
	}
	uri, base := loc.URI, loc.URIBaseID
	for range maxBaseChain {
		if base == "" || hasScheme(uri) {
			break
		}
		b, ok := r.bases[base]
		if !ok {
			if !final && !r.basesRead {
				return "", false, nil
			}
			break // defined nowhere: the path stays relative
		}
		uri, base = resolveURI(b.URI, uri), b.URIBaseID
	}
	return uriPath(uri), true, nil
}

// waiting is a run's results that wait for its bases (one per line in
// results) and, in rest, the run as written after them.
type waiting struct {
	results  *os.File
	resultsW *bufio.Writer
	count    int
	first    int // the index of the first that waits
	written  int // results written before it

	rest     *output
	restFile *os.File
	out      *output // the copy's own writer, while rest takes the run
}

func newWaiting(first, written int) (*waiting, error) {
	results, err := tempFile()
	if err != nil {
		return nil, err
	}
	restFile, err := tempFile()
	if err != nil {
		_ = results.Close()
		return nil, err
	}
	return &waiting{
		results: results, resultsW: bufio.NewWriterSize(results, readChunk), first: first, written: written,
		restFile: restFile, rest: newOutput(restFile),
	}, nil
}

// tempFile is a file for what waits, unlinked at once: it goes when it is
// closed, whatever happens.
func tempFile() (*os.File, error) {
	f, err := os.CreateTemp("", "secbot-reportfilter-*")
	if err != nil {
		return nil, fmt.Errorf("reportfilter: keeping a SARIF run's results until its end: %w", err)
	}
	_ = os.Remove(f.Name())
	return f, nil
}

func (w *waiting) keep(raw []byte) error {
	w.count++
	_, err := w.resultsW.Write(raw)
	if err == nil {
		err = w.resultsW.WriteByte('\n')
	}
	if err != nil {
		return fmt.Errorf("reportfilter: keeping a SARIF run's results until its end: %w", err)
	}
	return nil
}

// finish decides the waiting results now that the run's bases are known,
// closes the results list and copies the rest of the run after it.
func (w *waiting) finish(f *filter, r *run) error {
	if err := w.rest.Flush(); err != nil {
		return fmt.Errorf("reportfilter: keeping a SARIF run until its end: %w", err)
	}
	f.out, w.out = w.out, nil
	if err := w.resultsW.Flush(); err != nil {
		return fmt.Errorf("reportfilter: keeping a SARIF run's results until its end: %w", err)
	}
	if _, err := w.results.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("reportfilter: reading a SARIF run's results back: %w", err)
	}
	dec := json.NewDecoder(bufio.NewReaderSize(w.results, readChunk))
	written := w.written
	for i := range w.count {
		raw := f.raw[:0]
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("reportfilter: reading a SARIF run's results back: %w", err)
		}
		f.raw = raw
		path, _, err := r.file(raw, true)
		if err != nil {
			f.pushKey("results")
			f.pushIndex(w.first + i)
			return f.malformed(err)
		}
		if f.decide(path) {
			if written > 0 {
				f.out.putByte(',')
			}
			f.out.put(raw)
			written++
		}
	}
	f.out.putByte(']')
	if _, err := w.restFile.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("reportfilter: reading a SARIF run back: %w", err)
	}
	if _, err := f.out.ReadFrom(w.restFile); err != nil {
		return fmt.Errorf("reportfilter: copying a SARIF run back: %w", err)
	}
	return f.out.failed()
}

// close removes the files and, when the run failed while rest took it,
// gives the copy its writer back.
func (w *waiting) close(f *filter) {
	if w.out != nil && f.out == w.rest {
		f.out = w.out
	}
	_ = w.results.Close()
	_ = w.restFile.Close()
}
