package web

import (
	"fmt"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/jobs"
)

var funcs = template.FuncMap{
	"short":    shortSHA,
	"shortID":  shortID,
	"lower":    strings.ToLower,
	"status":   findingStatus,
	"describe": describeChange,
	"changes":  describeObjectChange,
	"when":     when,
	"took":     took,
	"str": func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	},
	"int": func(p *int) int {
		if p == nil {
			return 0
		}
		return *p
	},
	"open": func(o findings.Open, sev string) int { return o[sev] },
	"join": func(list []string) string { return strings.Join(list, ", ") },
	"live": func(f findings.Stored) bool { return f.Validity != nil && *f.Validity == findings.Valid },
}

// parseTemplates pairs the layout with each page.
func parseTemplates() map[string]*template.Template {
	out := map[string]*template.Template{}
	for _, page := range []string{"login", "dashboard", "product", "producttype", "finding", "check", "apikey", "users", "error"} {
		out[page] = template.Must(template.New(page).Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/members.html", "templates/pushprotection.html", "templates/"+page+".html"))
	}
	return out
}

func shortSHA(sha string) string {
	if len(sha) > 10 {
		return sha[:10]
	}
	return sha
}

// shortID keeps a security_check_id readable: prefix and the start of the hash.
func shortID(id string) string {
	prefix, hash, ok := strings.Cut(id, "_")
	if !ok || len(hash) <= 12 {
		return id
	}
	return prefix + "_" + hash[:12] + "…"
}

// findingStatus is a finding's state in a word or two, for badges.
func findingStatus(f findings.Stored) string {
	switch {
	case f.Duplicate:
		return "Duplicate"
	case f.FalseP:
		return "False positive"
	case f.RiskAccepted:
		return "Risk accepted"
	case f.OutOfScope:
		return "Out of scope"
	case f.IsMitigated:
		return "Mitigated"
	case f.Active:
		return "Open"
	}
	return "Inactive"
}

// describeChange says what a history entry did.
func describeChange(c findings.Change) string {
	is := func(b *bool) bool { return b != nil && *b }
	switch {
	case is(c.FalseP):
		return "marked it a false positive"
	case is(c.RiskAccepted):
		return "accepted the risk"
	case is(c.IsMitigated):
		return "marked it mitigated"
	case is(c.OutOfScope):
		return "marked it out of scope"
	case is(c.Active):
		return "reopened it"
	}
	var parts []string
	for name, b := range map[string]*bool{"active": c.Active, "verified": c.Verified} {
		if b != nil {
			parts = append(parts, fmt.Sprintf("set %s to %t", name, *b))
		}
	}
	var edited []string
	for name, set := range map[string]bool{"title": c.Title != nil, "severity": c.Severity != nil, "description": c.Description != nil,
		"mitigation": c.Mitigation != nil, "impact": c.Impact != nil, "references": c.References != nil, "CWE": c.CWE != nil,
		"line": c.Line != nil, "file": c.FilePath != nil, "component": c.ComponentName != nil || c.ComponentVersion != nil, "tags": c.Tags != nil} {
		if set {
			edited = append(edited, name)
		}
	}
	if len(edited) > 0 {
		slices.Sort(edited)
		parts = append(parts, "edited the "+strings.Join(edited, ", "))
	}
	slices.Sort(parts)
	if len(parts) == 0 {
		return "changed it"
	}
	return strings.Join(parts, ", ")
}

// objectNouns name the objects of the history.
var objectNouns = map[string]string{"product_types": "product type", "products": "the product", "engagements": "engagement",
	"tests": "test", "users": "user"}

// describeObjectChange says what a change to a product, an engagement or
// a test was: which, and each field from what to what.
func describeObjectChange(e findings.HistoryEntry) string {
	what := objectNouns[e.Kind]
	if e.Kind != "products" {
		what = fmt.Sprintf("%s %d", what, e.ObjectID)
	}
	if e.Action != "changed" {
		for _, k := range []string{"name", "title", "scan_type"} {
			if v, ok := e.Changes[k].(string); ok && v != "" {
				return fmt.Sprintf("%s %q", what, v)
			}
		}
		return what
	}
	var fields []string
	for name, c := range e.Changes {
		ch, _ := c.(map[string]any)
		fields = append(fields, fmt.Sprintf("%s from %s to %s", name, shownValue(ch["from"]), shownValue(ch["to"])))
	}
	slices.Sort(fields)
	return what + ": " + strings.Join(fields, "; ")
}

// shownValue writes a history value for people: text quoted and short.
func shownValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "nothing"
	case string:
		if r := []rune(x); len(r) > 60 {
			x = string(r[:60]) + "…"
		}
		return strconv.Quote(x)
	}
	return fmt.Sprint(v)
}

// when writes a time (or a time's pointer, "" for nil) for people.
func when(v any) string {
	switch t := v.(type) {
	case time.Time:
		return t.UTC().Format("2006-01-02 15:04 UTC")
	case *time.Time:
		if t != nil {
			return when(*t)
		}
	}
	return ""
}

// took is how long a task ran, or "" while it has not finished.
func took(t jobs.TaskStatus) string {
	if t.StartedAt == nil || t.FinishedAt == nil {
		return ""
	}
	return t.FinishedAt.Sub(*t.StartedAt).Round(time.Millisecond).String()
}
