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

// legacyVuln is an element of the older format's Vulns: a vulnerable
// symbol the code calls, at CallSink in the call graph.
type legacyVuln struct {
	OSV struct {
		ID       string   `json:"id"`
		Aliases  []string `json:"aliases"`
		Affected []struct {
			Package struct {
				Name string `json:"name"`
			} `json:"package"`
			EcosystemSpecific struct {
				Imports []struct {
					Symbols []string `json:"symbols"`
				} `json:"imports"`
			} `json:"ecosystem_specific"`
		} `json:"affected"`
		References []struct {
			URL string `json:"url"`
		} `json:"references"`
	} `json:"OSV"`
	RequireSink json.RawMessage `json:"RequireSink"`
	CallSink    json.RawMessage `json:"CallSink"`
}

// symbols are the vulnerable functions the entry names.
func (v legacyVuln) symbols() []string {
	if len(v.OSV.Affected) == 0 || len(v.OSV.Affected[0].EcosystemSpecific.Imports) == 0 {
		return nil
	}
	return v.OSV.Affected[0].EcosystemSpecific.Imports[0].Symbols
}

// alias is what DefectDojo's parser groups runs of Vulns by.
func (v legacyVuln) alias() string {
	if len(v.OSV.Aliases) == 0 {
		return ""
	}
	return v.OSV.Aliases[0]
}

// emitLegacy emits one finding per run of Vulns with the same first
// alias (consecutive ones only, as Python's groupby makes them).
func (s *scan) emitLegacy(emit func(findings.Finding) error) error {
	var group *legacyGroup
	err := s.vulns.Each(func(d *jsonstream.Decoder) error {
		var v legacyVuln
		if err := d.Decode(&v); err != nil {
			return jsonstream.FormatError(err, want)
		}
		if group != nil && group.alias == v.alias() {
			return group.add(s, v)
		}
		if group != nil {
			if err := emit(group.finding(s.modules)); err != nil {
				return err
			}
		}
		group = &legacyGroup{alias: v.alias(), first: v}
		return group.add(s, v)
	})
	if err != nil || group == nil {
		return err
	}
	return emit(group.finding(s.modules))
}

// legacyGroup is a run of Vulns with one alias: the first, and the call
// sites and symbols of them all.
type legacyGroup struct {
	alias   string
	first   legacyVuln
	impact  []string
	symbols []string
}

func (g *legacyGroup) add(s *scan, v legacyVuln) error {
	sites, err := s.funcs.location(text(v.CallSink))
	if err != nil {
		return err
	}
	g.impact = uniqueAppend(g.impact, sites...)
	g.symbols = uniqueAppend(g.symbols, v.symbols()...)
	return nil
}

// finding is the group's finding; modules give the versions of the
// modules (Requires.Modules) by id.
func (g *legacyGroup) finding(modules map[string]string) findings.Finding {
	v := g.first.OSV
	f := findings.Finding{
		Title: v.ID, Severity: findings.Info, UniqueIDFromTool: v.ID,
		ComponentVersion: modules[text(g.first.RequireSink)],
		Impact:           strings.Join(g.impact, "; "),
		Description:      "Vulnerable functions: " + strings.Join(g.symbols, "; "),
		// DefectDojo's parser leaves static_finding and dynamic_finding
		// to its model's defaults: dynamic.
		DynamicFinding: true, NbOccurences: 1,
	}
	if g.alias != "" {
		f.VulnerabilityIDs = []string{g.alias}
	}
	if len(v.Affected) > 0 {
		f.ComponentName = v.Affected[0].Package.Name
	}
	if len(v.References) > 0 {
		f.References = v.References[0].URL
	}
	return f
}

// funcIndex keeps the older format's call graph (Calls.Functions) in a
// temporary file: memory holds each function's id and place in the file.
type funcIndex struct {
	f     *os.File
	w     *bufio.Writer
	end   int64
	spans map[string][2]int64
}

// function is what a call site walk needs of a function: the caller of
// its first call site, and where each call site is.
type function struct {
	Parent json.RawMessage `json:"p"` // null when it has no call site
	Sites  []string        `json:"s"`
}

func (x *funcIndex) add(d *jsonstream.Decoder, id string) error {
	var fn struct {
		CallSites []struct {
			Parent json.RawMessage `json:"Parent"`
			Pos    struct {
				Filename string          `json:"Filename"`
				Line     json.RawMessage `json:"Line"`
				Column   json.RawMessage `json:"Column"`
			} `json:"Pos"`
		} `json:"CallSites"`
	}
	if err := d.Decode(&fn); err != nil {
		return err
	}
	rec := function{Parent: json.RawMessage("null")}
	for i, c := range fn.CallSites {
		if i == 0 {
			rec.Parent = c.Parent
		}
		rec.Sites = append(rec.Sites, fmt.Sprintf("%s:%s:%s", c.Pos.Filename, text(c.Pos.Line), text(c.Pos.Column)))
	}
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("%w: %s: function %s: %v", findings.ErrFormat, want, id, err)
	}
	if x.f == nil {
		f, err := os.CreateTemp("", "secbot-govulncheck-calls-*")
		if err != nil {
			return fmt.Errorf("spooling the report's call graph: %w", err)
		}
		_ = os.Remove(f.Name()) // the file goes when it is closed
		x.f, x.w, x.spans = f, bufio.NewWriter(f), map[string][2]int64{}
	}
	if _, err := x.w.Write(line); err != nil {
		return fmt.Errorf("spooling the report's call graph: %w", err)
	}
	x.spans[id] = [2]int64{x.end, int64(len(line))}
	x.end += int64(len(line))
	return nil
}

// read returns the function of id; ok is false if the graph has none.
func (x *funcIndex) read(id string) (function, bool, error) {
	sp, ok := x.spans[id]
	if !ok {
		return function{}, false, nil
	}
	if err := x.w.Flush(); err != nil {
		return function{}, false, fmt.Errorf("reading the report's call graph: %w", err)
	}
	buf := make([]byte, sp[1])
	if _, err := x.f.ReadAt(buf, sp[0]); err != nil {
		return function{}, false, fmt.Errorf("reading the report's call graph: %w", err)
	}
	var fn function
	err := json.Unmarshal(buf, &fn)
	return fn, true, err
}

// location walks from the function id up the first call sites to the one
// main (function 1) calls, and gives its call sites, as DefectDojo's
// parser does; none when the graph breaks off.
func (x *funcIndex) location(id string) ([]string, error) {
	for steps := 0; steps <= len(x.spans); steps++ {
		fn, ok, err := x.read(id)
		if err != nil || !ok || len(fn.Sites) == 0 {
			return nil, err
		}
		if text(fn.Parent) == "1" {
			return fn.Sites, nil
		}
		id = text(fn.Parent)
	}
	return nil, fmt.Errorf("%w: %s: the call graph (Calls.Functions) loops", findings.ErrFormat, want)
}

func (x *funcIndex) close() {
	if x.f != nil {
		_ = x.f.Close()
	}
	*x = funcIndex{}
}
