package govulncheck

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/jsonstream"
)

// entry is an OSV entry of govulncheck's messages.
type entry struct {
	ID       string   `json:"id"`
	Severity string   `json:"severity"` // not OSV's, but some reports add one
	Aliases  []string `json:"aliases"`
	Summary  *string  `json:"summary"`
	Details  *string  `json:"details"`
	Affected []struct {
		Package struct {
			Name      string  `json:"name"`
			Ecosystem *string `json:"ecosystem"`
		} `json:"package"`
		Ranges []struct {
			Type   string            `json:"type"`
			Events []json.RawMessage `json:"events"`
		} `json:"ranges"`
		EcosystemSpecific struct {
			Imports []struct {
				Path    string   `json:"path"`
				Symbols []string `json:"symbols"`
			} `json:"imports"`
		} `json:"ecosystem_specific"`
	} `json:"affected"`
	References []struct {
		Type string `json:"type"`
		URL  string `json:"url"`
	} `json:"references"`
	DatabaseSpecific struct {
		URL json.RawMessage `json:"url"` // missing: "Unknown"; null: none
	} `json:"database_specific"`
}

// finding is a finding message: an OSV entry's trace in the scanned code.
type finding struct {
	OSV   string `json:"osv"`
	Trace []struct {
		Module   *string `json:"module"`
		Version  *string `json:"version"`
		Function *string `json:"function"`
		Position *struct {
			Filename *string         `json:"filename"`
			Line     json.RawMessage `json:"line"`
		} `json:"position"`
	} `json:"trace"`
}

// traced is what an entry's finding keeps of a finding message.
type traced struct {
	// Version is the first version of the trace, if any has one.
	Version *string  `json:"v,omitempty"`
	Lines   []string `json:"l"`
}

// traceFile keeps the traces of the findings in a temporary file, one
// JSON line each; memory holds where each OSV entry's are.
type traceFile struct {
	f     *os.File
	w     *bufio.Writer
	end   int64
	spans map[string][][2]int64 // OSV id → offset and length of each of its traces
}

func or(s *string, unknown string) string {
	if s == nil {
		return unknown
	}
	return *s
}

func (t *traceFile) add(f finding) error {
	var tr traced
	for _, step := range f.Trace {
		if step.Version != nil && tr.Version == nil {
			tr.Version = step.Version
		}
		file, line := "Unknown filename", "Unknown line"
		if p := step.Position; p != nil {
			file = or(p.Filename, file)
			if len(p.Line) > 0 {
				line = text(p.Line)
			}
		}
		// DefectDojo's parser writes the module as the package too.
		tr.Lines = append(tr.Lines, fmt.Sprintf("\tModule: %s, Version: %s, Package: %s, Function: %s, File: %s, Line: %s",
			or(step.Module, "Unknown module"), or(step.Version, "Unknown version"), or(step.Module, "Unknown package"),
			or(step.Function, "Unknown function"), file, line))
	}
	if t.f == nil {
		f, err := os.CreateTemp("", "secbot-govulncheck-*")
		if err != nil {
			return fmt.Errorf("spooling the report's findings: %w", err)
		}
		_ = os.Remove(f.Name()) // the file goes when it is closed
		t.f, t.w, t.spans = f, bufio.NewWriter(f), map[string][][2]int64{}
	}
	line, err := json.Marshal(tr)
	if err == nil {
		_, err = t.w.Write(line)
	}
	if err != nil {
		return fmt.Errorf("spooling the report's findings: %w", err)
	}
	t.spans[f.OSV] = append(t.spans[f.OSV], [2]int64{t.end, int64(len(line))})
	t.end += int64(len(line))
	return nil
}

// of reads the traces of one OSV entry: their lines, and the first
// version one gives.
func (t *traceFile) of(id string) (lines []string, version *string, err error) {
	if t.f == nil {
		return nil, nil, nil
	}
	if err := t.w.Flush(); err != nil {
		return nil, nil, fmt.Errorf("reading the report's spooled findings: %w", err)
	}
	for _, sp := range t.spans[id] {
		buf := make([]byte, sp[1])
		if _, err := t.f.ReadAt(buf, sp[0]); err != nil {
			return nil, nil, fmt.Errorf("reading the report's spooled findings: %w", err)
		}
		var tr traced
		if err := json.Unmarshal(buf, &tr); err != nil {
			return nil, nil, fmt.Errorf("reading the report's spooled findings: %w", err)
		}
		lines = append(lines, tr.Lines...)
		if version == nil {
			version = tr.Version
		}
	}
	return lines, version, nil
}

func (t *traceFile) close() {
	if t.f != nil {
		_ = t.f.Close()
	}
	*t = traceFile{}
}

// emitEntries emits a finding per spooled OSV entry.
func (s *scan) emitEntries(emit func(findings.Finding) error) error {
	i := 0
	return s.entries.Each(func(d *jsonstream.Decoder) error {
		var e entry
		if err := d.Decode(&e); err != nil {
			return jsonstream.FormatError(err, want)
		}
		i++
		if len(e.Affected) == 0 {
			return fmt.Errorf("%w: %s: OSV entry %d (%s) has no affected package", findings.ErrFormat, want, i-1, e.ID)
		}
		lines, version, err := s.traces.of(e.ID)
		if err != nil {
			return err
		}
		return emit(entryFinding(e, lines, version))
	})
}

func entryFinding(e entry, traces []string, version *string) findings.Finding {
	a := e.Affected[0]
	var ranges []string
	introduced := ""
	for _, r := range a.Ranges {
		var pairs []string
		for i := 0; i < len(r.Events); i += 2 {
			in, fix := eventValue(r.Events[i], "introduced"), "Unknown"
			if i+1 < len(r.Events) {
				fix = eventValue(r.Events[i+1], "fixed")
			}
			pairs = append(pairs, fmt.Sprintf("\n\t\tIntroduced in %s, fixed in %s", in, fix))
		}
		ranges = append(ranges, fmt.Sprintf("type %s: %s", r.Type, strings.Join(pairs, ". ")))
		for _, ev := range r.Events {
			var m map[string]string
			_ = json.Unmarshal(ev, &m)
			if v, ok := m["introduced"]; ok && introduced == "" {
				introduced = v
			}
		}
	}
	var symbols []string
	var path string
	if imports := a.EcosystemSpecific.Imports; len(imports) > 0 {
		symbols = uniqueAppend(nil, imports[0].Symbols...)
		path = imports[0].Path
	}
	title := e.ID + " - " + a.Package.Name
	if path != "" {
		title += " - " + path
	}
	var refs []string
	for _, r := range e.References {
		refs = append(refs, r.Type+": "+r.URL)
	}
	db := "Unknown"
	if raw := e.DatabaseSpecific.URL; len(raw) > 0 {
		db = ""
		_ = json.Unmarshal(raw, &db)
	}
	if db != "" {
		refs = append(refs, "Database: "+db)
	}
	f := findings.Finding{
		Title: title, Severity: findings.Info, ComponentName: a.Package.Name, FilePath: path,
		Impact: or(e.Details, "Unknown"), References: strings.Join(refs, "\n"), UniqueIDFromTool: e.ID,
		// DefectDojo's parser leaves static_finding and dynamic_finding
		// to its model's defaults: dynamic.
		DynamicFinding: true, NbOccurences: 1,
		Description: fmt.Sprintf("**Summary:** %s\n**Vulnerable functions:** %s\n**Affected Ecosystem:** %s\n**Affected Versions:** %s\n**Vulnerable Package:** %s\n**Traces found :**\n%s",
			or(e.Summary, "Unknown"), strings.Join(symbols, ", "), or(a.Package.Ecosystem, "Unknown"),
			strings.Join(ranges, "\n "), a.Package.Name, strings.Join(traces, "\n")),
	}
	if e.Severity != "" {
		f.Severity = findings.NormalizeSeverity(e.Severity)
	}
	if len(e.Aliases) > 0 {
		f.VulnerabilityIDs = []string{e.Aliases[0]}
	}
	// The version a trace names, else the first one affected.
	f.ComponentVersion = introduced
	if version != nil && *version != "" {
		f.ComponentVersion = *version
	}
	return f
}

// eventValue is an event's value of key, "Unknown" if it has none.
func eventValue(raw json.RawMessage, key string) string {
	var m map[string]string
	if json.Unmarshal(raw, &m) == nil {
		if v, ok := m[key]; ok {
			return v
		}
	}
	return "Unknown"
}
