package findings

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Bounds on what one finding stores, in bytes (so also in characters, as
// DefectDojo counts them). Where DefectDojo's Finding model has a
// max_length it is that; the long text fields, which DefectDojo leaves
// unbounded, are SecBot's own bounds (docs/findings.md).
const (
	MaxTitle            = 511
	MaxFilePath         = 4000
	MaxComponentName    = 500
	MaxComponentVersion = 100
	MaxUniqueIDFromTool = 500
	MaxVulnIDFromTool   = 500
	MaxService          = 200
	MaxDescription      = 16 << 10
	MaxMitigation       = 8 << 10
	MaxImpact           = 8 << 10
	MaxReferences       = 8 << 10
	// MaxVulnerabilityID is DefectDojo's bound on a vulnerability id
	// (CVE-…); a finding keeps at most MaxVulnerabilityIDs of them.
	MaxVulnerabilityID  = 50
	MaxVulnerabilityIDs = 100
	// MaxTag is a tag's bound (DefectDojo's tag model); a finding keeps at
	// most MaxTags.
	MaxTag  = 255
	MaxTags = 100
)

// Bounds on the long text fields (description, mitigation, impact,
// references) of one import in all: a report cannot store more than
// importTextFactor times its size plus importTextFloor, however many
// findings repeat its longest texts (one SARIF result with thousands of
// locations). Past the budget, those fields keep only the marker.
const (
	importTextFactor = 16
	importTextFloor  = 4 << 20
)

// TruncationMarker ends a shortened text, saying how many bytes were cut.
func TruncationMarker(n int) string { return fmt.Sprintf(truncatedPrefix+"%d more bytes]", n) }

const truncatedPrefix = "…[truncated: "

// IsTruncated reports whether s was shortened (it holds the marker).
func IsTruncated(s string) bool { return strings.Contains(s, truncatedPrefix) }

// BeforeTruncation is what s kept before its marker (all of s if none).
func BeforeTruncation(s string) string {
	kept, _, _ := strings.Cut(s, truncatedPrefix)
	return kept
}

// Truncate bounds s to limit bytes: a longer s keeps what fits before the
// marker (cut on a UTF-8 boundary) and ends with the marker.
func Truncate(s string, limit int) string {
	var t boundedText
	t.limit = limit
	t.add(s)
	return t.String()
}

// boundedText builds a text from pieces, keeping at most limit bytes: its
// String is Truncate of the whole concatenation, but the pieces past the
// limit are only counted, so joining many pieces costs what is kept.
type boundedText struct {
	b     strings.Builder
	limit int
	total int
}

func (t *boundedText) add(s string) {
	t.total += len(s)
	if room := t.limit - t.b.Len(); room > 0 {
		t.b.WriteString(s[:min(len(s), room)])
	}
}

func (t *boundedText) String() string {
	s := t.b.String()
	if t.total <= t.limit {
		return s
	}
	// The marker's room is sized for the whole length, so the cut depends
	// only on the total and the limit.
	cut := max(0, t.limit-len(TruncationMarker(t.total)))
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + TruncationMarker(t.total-cut)
}

// bound applies the bounds above to a finding's fields. The lists are
// copied before a change: they may be the caller's.
func bound(f *Finding) {
	for _, field := range []struct {
		s     *string
		limit int
	}{
		{&f.Title, MaxTitle}, {&f.FilePath, MaxFilePath}, {&f.ComponentName, MaxComponentName},
		{&f.ComponentVersion, MaxComponentVersion}, {&f.UniqueIDFromTool, MaxUniqueIDFromTool},
		{&f.VulnIDFromTool, MaxVulnIDFromTool}, {&f.Service, MaxService}, {&f.Description, MaxDescription},
		{&f.Mitigation, MaxMitigation}, {&f.Impact, MaxImpact}, {&f.References, MaxReferences},
	} {
		if len(*field.s) > field.limit {
			*field.s = Truncate(*field.s, field.limit)
		}
	}
	f.VulnerabilityIDs = boundList(f.VulnerabilityIDs, MaxVulnerabilityIDs, MaxVulnerabilityID)
	f.Tags = boundList(f.Tags, MaxTags, MaxTag)
	v := &f.Validity
	v.Owner = Truncate(v.Owner, maxValidityText)
	v.Scopes = boundList(v.Scopes, maxValidityScopes, maxValidityText)
	if r := f.Revocation; r != nil {
		r.By, r.Answer, r.After = Truncate(r.By, maxValidityText), Truncate(r.Answer, maxValidityText), Truncate(r.After, maxValidityText)
	}
}

// Bounds of what a check of a secret says of it (Finding.Validity).
const (
	maxValidityText   = 500
	maxValidityScopes = 30
)

// boundList keeps the first n items of list, each at most limit bytes.
func boundList(list []string, n, limit int) []string {
	if len(list) <= n && !anyLonger(list, limit) {
		return list
	}
	out := make([]string, 0, min(len(list), n))
	for _, s := range list[:min(len(list), n)] {
		if len(s) > limit {
			s = Truncate(s, limit)
		}
		out = append(out, s)
	}
	return out
}

func anyLonger(list []string, limit int) bool {
	for _, s := range list {
		if len(s) > limit {
			return true
		}
	}
	return false
}

// textBudget is what an import may still store of long text fields; a
// negative budget is no budget (a report already in memory).
type textBudget struct{ left int64 }

func newTextBudget(reportBytes int64) *textBudget {
	if reportBytes <= 0 {
		return &textBudget{left: -1}
	}
	return &textBudget{left: importTextFactor*reportBytes + importTextFloor}
}

// spend takes a finding's long text fields from the budget: each field
// that no longer fits is cut to what is left, the marker at least.
func (b *textBudget) spend(f *Finding) {
	if b.left < 0 {
		return
	}
	for _, s := range []*string{&f.Description, &f.Mitigation, &f.Impact, &f.References} {
		if int64(len(*s)) > b.left {
			*s = Truncate(*s, int(b.left))
		}
		b.left = max(0, b.left-int64(len(*s)))
	}
}
