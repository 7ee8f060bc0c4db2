package bandit

import (
	"strings"
	"testing"
	"time"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/testenv/fixtures"
)

// TestOneVuln pins what DefectDojo's test asserts of its one-finding
// sample, and its description's form.
func TestOneVuln(t *testing.T) {
	f, err := fixtures.Open("defectdojo/bandit/one_vuln.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := findings.Parse(Parser{}, f)
	if err != nil || len(got) != 1 {
		t.Fatalf("%d findings, %v", len(got), err)
	}
	b := got[0]
	if b.Title != "Use of assert detected. The enclosed code will be removed when compiling to optimised byte code." ||
		b.Severity != findings.Low || b.FilePath != "one/one.py" || b.VulnIDFromTool != "assert_used:B101" ||
		!b.Date.Equal(time.Date(2020, 12, 30, 10, 3, 39, 0, time.UTC)) ||
		!strings.Contains(b.References, "https://bandit.readthedocs.io/en/latest/plugins/b101_assert_used.html") {
		t.Fatalf("%+v", b)
	}
	if !strings.HasPrefix(b.Description, "**Test Name:** `assert_used`\n**Test ID:** `B101`\n**Filename:** `one/one.py`\n**Line number:** `") ||
		!strings.Contains(b.Description, "\n**Code:**\n```\n") || !strings.HasSuffix(b.Description, "\n```") {
		t.Fatalf("description:\n%s", b.Description)
	}
	none, err := findings.Parse(Parser{}, strings.NewReader(`{"results": [{"issue_text": "t", "issue_severity": "MEDIUM",
		"filename": "a.py", "line_number": 2, "test_id": "B1", "test_name": "n", "code": null}]}`))
	if err != nil || !strings.HasSuffix(none[0].Description, "**Code:**\n```\nNone\n```") {
		t.Fatalf("a result without code: %+v, %v", none, err)
	}
}
