package findings_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/secbot/secbot/internal/findings"
)

func TestTruncate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		s     string
		limit int
		want  string
	}{
		{"short", 100, "short"},
		{strings.Repeat("a", 100), 100, strings.Repeat("a", 100)},
		// The marker's room is sized for the whole length (101: 30 bytes).
		{strings.Repeat("a", 101), 40, strings.Repeat("a", 10) + findings.TruncationMarker(91)},
		// 'é' is two bytes: the cut backs off to a character's start.
		{strings.Repeat("é", 60), 40, strings.Repeat("é", 5) + findings.TruncationMarker(110)},
		{strings.Repeat("é", 60), 41, strings.Repeat("é", 5) + findings.TruncationMarker(110)},
	} {
		got := findings.Truncate(tt.s, tt.limit)
		if got != tt.want || len(got) > tt.limit || !utf8.ValidString(got) {
			t.Errorf("Truncate(%d bytes, %d) = %q (%d bytes), want %q", len(tt.s), tt.limit, got, len(got), tt.want)
		}
	}
}

// TestStoredFieldsAreBounded imports one finding whose every text is far
// too long, in two-byte characters: each is stored within its bound, cut
// on a character boundary (PostgreSQL refuses broken UTF-8), with the
// marker; the lists keep their first items.
func TestStoredFieldsAreBounded(t *testing.T) {
	t.Parallel()
	svc, db := newService(t)
	long := strings.Repeat("é", 100<<10)
	many := make([]string, 300)
	for i := range many {
		many[i] = fmt.Sprintf("%03d%s", i, long[:600])
	}
	f := findings.Finding{Title: long, Description: long, Mitigation: long, Impact: long, References: long,
		FilePath: long, ComponentName: long, ComponentVersion: long, UniqueIDFromTool: long, VulnIDFromTool: long,
		VulnerabilityIDs: many, Tags: many, Severity: findings.High, NbOccurences: 1}
	o := opts("bounded", "CI", "SARIF")
	o.Service = long
	res, err := svc.Import(ctx, o, []findings.Finding{f})
	if err != nil {
		t.Fatal(err)
	}
	for column, limit := range map[string]int{"title": findings.MaxTitle, "description": findings.MaxDescription,
		"mitigation": findings.MaxMitigation, "impact": findings.MaxImpact, `"references"`: findings.MaxReferences,
		"file_path": findings.MaxFilePath, "component_name": findings.MaxComponentName,
		"component_version": findings.MaxComponentVersion, "unique_id_from_tool": findings.MaxUniqueIDFromTool,
		"vuln_id_from_tool": findings.MaxVulnIDFromTool, "service": findings.MaxService} {
		var value string
		if err := db.Pool.QueryRow(ctx, `SELECT `+column+` FROM findings WHERE test = $1`, res.Test).Scan(&value); err != nil {
			t.Fatal(err)
		}
		if len(value) > limit || len(value) < limit-40 || !findings.IsTruncated(value) || !strings.HasPrefix(value, "éé") {
			t.Errorf("%s: stored %d bytes ending %q, want at most %d, with the marker", column, len(value), value[max(0, len(value)-40):], limit)
		}
	}
	var ids, tags []string
	if err := db.Pool.QueryRow(ctx, `SELECT vulnerability_ids, tags FROM findings WHERE test = $1`, res.Test).Scan(&ids, &tags); err != nil {
		t.Fatal(err)
	}
	for name, list := range map[string][]string{"vulnerability_ids": ids, "tags": tags} {
		limit := map[string]int{"vulnerability_ids": findings.MaxVulnerabilityID, "tags": findings.MaxTag}[name]
		n := map[string]int{"vulnerability_ids": findings.MaxVulnerabilityIDs, "tags": findings.MaxTags}[name]
		if len(list) != n || !strings.HasPrefix(list[n-1], fmt.Sprintf("%03d", n-1)) || len(list[0]) > limit {
			t.Errorf("%s: %d items, the first %d bytes; want the first %d, each at most %d bytes", name, len(list), len(list[0]), n, limit)
		}
	}
}

// TestImportTextBudget imports a small SARIF report whose one result has
// a long message and a thousand locations: every finding is stored, but
// their texts together stay within the import's budget (today's code
// stored the message a thousand times over).
func TestImportTextBudget(t *testing.T) {
	t.Parallel()
	svc, db := newService(t)
	var locations []string
	for i := range 1000 {
		locations = append(locations, fmt.Sprintf(`{"physicalLocation": {"artifactLocation": {"uri": "f%d.c"}, "region": {"startLine": 1}}}`, i))
	}
	report := sarifLog(fmt.Sprintf(`{"ruleId": "R", "message": {"text": %q}, "locations": [%s]}`,
		strings.Repeat("a long message ", 20<<10/15), strings.Join(locations, ",")))
	o := opts("budget", "CI", "SARIF")
	o.ReportBytes = int64(len(report))
	res, err := svc.ImportFrom(ctx, o, sarifSource(report))
	if err != nil {
		t.Fatal(err)
	}
	stored := db.Count(t, `SELECT sum(octet_length(description) + octet_length(mitigation) + octet_length(impact)
		+ octet_length("references"))::integer FROM findings WHERE test = $1`, res.Test)
	// Past the budget, each finding's description is the marker alone.
	budget := 16*len(report) + 4<<20 + 1000*len(findings.TruncationMarker(20<<10))
	if res.After["total"].Total != 1000 || stored > budget {
		t.Fatalf("a %d KiB report stored %d findings with %d KiB of text; want 1000 findings, at most %d KiB",
			len(report)>>10, res.After["total"].Total, stored>>10, budget>>10)
	}
	if n := db.Count(t, `SELECT count(*) FROM findings WHERE test = $1 AND description LIKE '%…[truncated: %'`, res.Test); n != 1000 {
		t.Fatalf("%d findings say their description was cut, want all", n)
	}
}
