// Package reportfilter copies a scanner's report keeping only the findings
// in files the caller accepts (the command scan's report: changed_files).
// The copy keeps the report's own format, so it is imported as the same
// scan type and still parses with DefectDojo's parsers and SecBot's. It
// streams: one finding is held at a time, never the whole report.
package reportfilter

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// MaxElement bounds what Filter holds at once: one finding of a report
// (and any single value it reads whole), in bytes, counting the blank
// space before it. A larger one fails the filter.
const MaxElement = 16 << 20

// format is how Filter walks one scan type's reports.
type format struct {
	want string // what such a report is, for errors
	root func(f *filter) error
}

var formats = map[string]format{
	"SARIF":               {want: "a SARIF 2.1.0 JSON log (e.g. flawfinder --sarif, gosec -fmt sarif, semgrep --sarif)", root: (*filter).sarif},
	"Bandit Scan":         {want: "bandit's JSON output (bandit -f json)", root: listIn("results", fileOf[banditResult])},
	"Semgrep JSON Report": {want: "semgrep's JSON output (semgrep --json)", root: listIn("results", fileOf[semgrepResult])},
	"Gosec Scanner":       {want: "gosec's JSON output (gosec -fmt json)", root: listIn("Issues", fileOf[gosecIssue])},
	"Gitleaks Scan":       {want: "gitleaks' JSON report (a JSON array of findings)", root: (*filter).gitleaks},
	"Trivy Scan":          {want: "trivy's JSON output (trivy --format json)", root: (*filter).trivy},
	// GitLab's security reports, one schema.
	"GitLab SAST Report":                {want: "a GitLab SAST report (gl-sast-report.json)", root: gitlabReport},
	"GitLab Secret Detection Report":    {want: "a GitLab secret detection report (gl-secret-detection-report.json)", root: gitlabReport},
	"GitLab Dependency Scanning Report": {want: "a GitLab dependency scanning report (gl-dependency-scanning-report.json)", root: gitlabReport},
	"GitLab Container Scan":             {want: "a GitLab container scanning report (gl-container-scanning-report.json)", root: gitlabReport},
	"GitLab DAST Report":                {want: "a GitLab DAST report (gl-dast-report.json)", root: gitlabReport},
}

// gitlabReport walks a GitLab security report: its vulnerabilities list.
var gitlabReport = listIn("vulnerabilities", fileOf[gitlabVulnerability])

// Supports reports whether Filter knows the scan type (DefectDojo's name,
// exactly), so configuration can refuse report: changed_files for one it
// does not.
func Supports(scanType string) bool {
	_, ok := formats[scanType]
	return ok
}

// ScanTypes lists the scan types Filter knows, sorted.
func ScanTypes() []string { return slices.Sorted(maps.Keys(formats)) }

// Filter copies the report r (of the given DefectDojo scan type) to w,
// keeping only the findings whose file keep() accepts; everything else in
// the document is copied unchanged (semantically; whitespace may change).
// It returns how many findings it kept and dropped.
//
// The findings and their files, by scan type:
//   - "SARIF": each run's results, by the first location's
//     physicalLocation.artifactLocation.uri, resolved against the run's
//     originalUriBaseIds when its uriBaseId is defined there (wherever the
//     run lists them); a uriBaseId defined nowhere leaves the path as
//     written, relative.
//   - "Bandit Scan" and "Semgrep JSON Report": results[*], by filename and
//     path; "Gosec Scanner": Issues[*], by file; "Gitleaks Scan": the
//     top-level array's leaks, by File.
//   - "Trivy Scan": Results[*] whole, by Target; each vulnerability,
//     misconfiguration, secret and licence of a result counts as one
//     finding. The results of a Kubernetes report (Resources) are kept:
//     they are not files.
//   - The GitLab scan types ("GitLab SAST Report" and the others):
//     vulnerabilities[*], by location.file (container scanning and DAST
//     vulnerabilities name none: they are kept).
//
// keep() gets each path slash-separated (a backslash becomes a slash) and
// as the report writes it otherwise, minus any leading "./" and, for a
// file URI, "file://" (file:///src/a.go is /src/a.go; file://host/a.go is
// //host/a.go); relative URIs are percent-decoded. A finding with no file
// (a SARIF result with no location, an empty Target) is kept.
//
// A report Filter cannot read is an error wrapping ErrMalformed (a
// *MalformedError says what and where), as is a finding larger than
// MaxElement; errors never quote the report's values. On any error, what
// was written to w is partial and must be discarded.
func Filter(scanType string, r io.Reader, w io.Writer, keep func(path string) bool) (kept, dropped int, err error) {
	ft, ok := formats[scanType]
	if !ok {
		return 0, 0, fmt.Errorf("reportfilter: scan type %q cannot be filtered by file (these can: %s): use report: all for it",
			scanType, strings.Join(ScanTypes(), ", "))
	}
	if keep == nil {
		return 0, 0, errors.New("reportfilter: filtering a report: keep is nil")
	}
	f := newFilter(r, w, keep)
	err = ft.root(f)
	if err == nil {
		err = f.end()
	}
	if err == nil {
		err = f.out.Flush()
		if err != nil {
			err = fmt.Errorf("reportfilter: writing the filtered report: %w", err)
		}
	}
	var bad *MalformedError
	if errors.As(err, &bad) {
		bad.ScanType, bad.Want = scanType, ft.want
	}
	return f.kept, f.dropped, err
}

// filter is one run of Filter: the report's decoder, the copy's writer,
// the counts, and where in the document it is (for errors).
type filter struct {
	dec  *json.Decoder
	in   *boundedReader
	out  *output
	keep func(string) bool
	path []step
	raw  json.RawMessage // the element read last, its buffer reused

	kept, dropped int
}

// step is one level of the document's path: an object's key, or an
// array's index when key is empty.
type step struct {
	key   string
	index int
}

func newFilter(r io.Reader, w io.Writer, keep func(string) bool) *filter {
	in := &boundedReader{r: r, max: MaxElement}
	dec := json.NewDecoder(in)
	dec.UseNumber() // numbers are copied as written
	return &filter{dec: dec, in: in, out: newOutput(w), keep: keep}
}

// end checks that nothing but white space follows the report's value.
func (f *filter) end() error {
	switch _, err := f.dec.Token(); {
	case errors.Is(err, io.EOF):
		return nil
	case err != nil:
		return f.malformed(err)
	}
	return f.malformed(errors.New("more JSON follows the report's value: a report is one JSON document"))
}

// decide counts one finding whose file is path ("" for none) and says
// whether it is kept.
func (f *filter) decide(path string) bool {
	keep := path == "" || f.keep(path)
	if keep {
		f.kept++
	} else {
		f.dropped++
	}
	return keep
}

func (f *filter) pushKey(key string) { f.path = append(f.path, step{key: key}) }
func (f *filter) pushIndex(i int)    { f.path = append(f.path, step{index: i}) }
func (f *filter) pop()               { f.path = f.path[:len(f.path)-1] }

// where renders the path, as runs[0].results[3].
func (f *filter) where() string {
	var b strings.Builder
	for _, s := range f.path {
		if s.key == "" {
			fmt.Fprintf(&b, "[%d]", s.index)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(shorten(s.key))
	}
	return b.String()
}

// shorten bounds a name the report chose (a key), as errors show it.
func shorten(name string) string {
	const most = 64
	if len(name) <= most {
		return name
	}
	cut := most
	for cut > 0 && !utf8.RuneStart(name[cut]) {
		cut--
	}
	return name[:cut] + "…"
}

// output is the copy's writer: buffered, with the first error of what
// is under it kept, so the filter stops at a failed write.
type output struct {
	w    *bufio.Writer
	sink *errWriter
}

func newOutput(w io.Writer) *output {
	sink := &errWriter{w: w}
	return &output{w: bufio.NewWriterSize(sink, readChunk), sink: sink}
}

// The writes return no error: the buffer keeps the first, which failed
// and Flush give.
func (o *output) put(p []byte)                        { _, _ = o.w.Write(p) }
func (o *output) putString(s string)                  { _, _ = o.w.WriteString(s) }
func (o *output) putByte(c byte)                      { _ = o.w.WriteByte(c) }
func (o *output) Flush() error                        { return o.w.Flush() }
func (o *output) ReadFrom(r io.Reader) (int64, error) { return o.w.ReadFrom(r) }

// failed is the first error of a write, wrapped, or nil.
func (o *output) failed() error {
	if o.sink.err != nil {
		return fmt.Errorf("reportfilter: writing the filtered report: %w", o.sink.err)
	}
	return nil
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	e.err = err
	return n, err
}
