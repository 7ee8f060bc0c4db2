package generic

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/jsonstream"
)

const wantJSON = `the generic JSON format is {"findings": [{"title": …, "severity": …, "description": …}, …]}`

// required and allowed are the fields DefectDojo's generic JSON takes of a
// finding (allowed also takes those it reads apart: endpoints, files, tags,
// vulnerability_ids and cwes).
var (
	required = []string{"description", "severity", "title"}
	allowed  = map[string]bool{
		"date": true, "cwe": true, "cve": true, "epss_score": true, "epss_percentile": true, "cvssv3": true,
		"cvssv3_score": true, "cvssv4": true, "cvssv4_score": true, "mitigation": true, "impact": true,
		"steps_to_reproduce": true, "severity_justification": true, "references": true, "active": true,
		"verified": true, "false_p": true, "out_of_scope": true, "risk_accepted": true, "under_review": true,
		"is_mitigated": true, "thread_id": true, "mitigated": true, "numerical_severity": true, "param": true,
		"payload": true, "line": true, "file_path": true, "component_name": true, "component_version": true,
		"static_finding": true, "dynamic_finding": true, "scanner_confidence": true, "unique_id_from_tool": true,
		"vuln_id_from_tool": true, "sast_source_object": true, "sast_sink_object": true, "sast_source_line": true,
		"sast_source_file_path": true, "nb_occurences": true, "publish_date": true, "service": true,
		"planned_remediation_date": true, "planned_remediation_version": true, "effort_for_fixing": true,
		"tags": true, "kev_date": true, "known_exploited": true, "ransomware_used": true, "fix_available": true,
		"fix_version": true, "title": true, "severity": true, "description": true,
		"endpoints": true, "files": true, "vulnerability_ids": true, "cwes": true,
	}
)

// streamJSON reads the findings one at a time; the test's name, type and
// other fields are skipped.
func streamJSON(r io.Reader, emit func(findings.Finding) error) error {
	d := jsonstream.New(r)
	found, n := false, 0
	err := d.Object(false, func(key string) error {
		if key != "findings" {
			return d.Skip()
		}
		found = true
		return d.Array(true, func() error {
			n++
			var item map[string]json.RawMessage
			if err := d.Decode(&item); err != nil {
				return err
			}
			f, err := jsonFinding(item)
			if err != nil {
				return fmt.Errorf("%w: %s: finding %d %w", findings.ErrFormat, wantJSON, n, err)
			}
			return emit(f)
		})
	})
	if err == nil && !found {
		err = &jsonstream.ShapeError{Want: `object with "findings"`, Found: "an object without"}
	}
	return jsonstream.FormatError(err, wantJSON)
}

// jsonFinding maps one finding's fields.
func jsonFinding(item map[string]json.RawMessage) (findings.Finding, error) {
	var missing, unknown []string
	for _, key := range required {
		if _, ok := item[key]; !ok {
			missing = append(missing, key)
		}
	}
	for key := range item {
		if !allowed[key] {
			unknown = append(unknown, key)
		}
	}
	if len(missing) > 0 {
		return findings.Finding{}, fmt.Errorf("lacks the required fields %s", strings.Join(missing, ", "))
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return findings.Finding{}, fmt.Errorf("has fields the generic format does not take: %s", strings.Join(unknown, ", "))
	}
	v := values{item: item}
	f := findings.Finding{
		Title: v.str("title"), Description: v.str("description"), Severity: severity(v.str("severity")),
		Mitigation: v.str("mitigation"), Impact: v.str("impact"), References: v.str("references"),
		FilePath: v.str("file_path"), ComponentName: v.str("component_name"), ComponentVersion: v.str("component_version"),
		UniqueIDFromTool: v.str("unique_id_from_tool"), VulnIDFromTool: v.str("vuln_id_from_tool"),
		CWE: v.integer("cwe"), Line: v.integer("line"), NbOccurences: max(v.integer("nb_occurences"), 1),
		Active: v.boolean("active"), Verified: v.boolean("verified"),
		FalsePositive: v.flag("false_p", false), IsMitigated: v.flag("is_mitigated", false),
		// DefectDojo's model defaults.
		StaticFinding: v.flag("static_finding", false), DynamicFinding: v.flag("dynamic_finding", true),
		Tags: v.strings("tags"),
	}
	if raw := v.str("date"); raw != "" {
		date, ok := day(raw)
		if !ok {
			v.fail("date", "is not a date")
		}
		f.Date = date
	}
	if raw := v.str("mitigated"); raw != "" {
		if _, ok := day(raw); !ok {
			v.fail("mitigated", "is not a date")
		}
	}
	if cve := v.str("cve"); cve != "" {
		f.VulnerabilityIDs = append(f.VulnerabilityIDs, cve)
	}
	f.VulnerabilityIDs = append(f.VulnerabilityIDs, v.strings("vulnerability_ids")...)
	if cwes := v.strings("cwes"); f.CWE == 0 && len(cwes) > 0 {
		f.CWE = cweNumber(cwes[0])
	}
	return f, v.err
}

// values decodes the fields of one finding, keeping the first error.
type values struct {
	item map[string]json.RawMessage
	err  error
}

func (v *values) fail(key, why string) {
	if v.err == nil {
		v.err = fmt.Errorf("field %q %s", key, why)
	}
}

func (v *values) raw(key string) (json.RawMessage, bool) {
	raw, ok := v.item[key]
	if !ok || string(raw) == "null" {
		return nil, false
	}
	return raw, true
}

func (v *values) str(key string) string {
	raw, ok := v.raw(key)
	if !ok {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		v.fail(key, "is not a string")
	}
	return s
}

// integer reads a number, or a string of one.
func (v *values) integer(key string) int {
	raw, ok := v.raw(key)
	if !ok {
		return 0
	}
	var n int
	if err := json.Unmarshal(raw, &n); err == nil {
		return n
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil || s == "" {
			return n
		}
	}
	v.fail(key, "is not a whole number")
	return 0
}

func (v *values) boolean(key string) *bool {
	raw, ok := v.raw(key)
	if !ok {
		return nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil {
		v.fail(key, "is not true or false")
	}
	return &b
}

func (v *values) flag(key string, otherwise bool) bool {
	if b := v.boolean(key); b != nil {
		return *b
	}
	return otherwise
}

// strings reads a list of strings (numbers taken as their text, as the
// CWEs of cwes may be).
func (v *values) strings(key string) []string {
	raw, ok := v.raw(key)
	if !ok {
		return nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		v.fail(key, "is not a list")
		return nil
	}
	var out []string
	for _, item := range list {
		var s string
		if err := json.Unmarshal(item, &s); err == nil {
			out = append(out, s)
			continue
		}
		var n json.Number
		if err := json.Unmarshal(item, &n); err == nil {
			out = append(out, n.String())
			continue
		}
		v.fail(key, "is not a list of strings")
	}
	return out
}
