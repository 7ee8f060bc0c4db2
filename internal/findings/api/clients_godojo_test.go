package api_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// goDojoUpload is the JSON shape go-defectdojo (truemilk/go-defectdojo)
// decodes an import-scan or reimport-scan answer into (its ImportScan
// and ReImportScan types): an answer with another JSON type in one of
// these fields, a string where it wants a number, fails its decoding.
type goDojoUpload struct {
	ScanDate                     *string   `json:"scan_date"`
	MinimumSeverity              *string   `json:"minimum_severity"`
	Active                       *bool     `json:"active"`
	Verified                     *bool     `json:"verified"`
	ScanType                     *string   `json:"scan_type"`
	EndpointToAdd                *int      `json:"endpoint_to_add"`
	File                         *string   `json:"file"`
	ProductTypeName              *string   `json:"product_type_name"`
	ProductName                  *string   `json:"product_name"`
	EngagementName               *string   `json:"engagement_name"`
	Engagement                   *int      `json:"engagement"`
	TestTitle                    *string   `json:"test_title"`
	AutoCreateContext            *bool     `json:"auto_create_context"`
	CloseOldFindingsProductScope *bool     `json:"close_old_findings_product_scope"`
	DoNotReactivate              *bool     `json:"do_not_reactivate"`
	DeduplicationOnEngagement    *bool     `json:"deduplication_on_engagement"`
	Lead                         *int      `json:"lead"`
	Tags                         *[]string `json:"tags"`
	CloseOldFindings             *bool     `json:"close_old_findings"`
	PushToJira                   *bool     `json:"push_to_jira"`
	Environment                  *string   `json:"environment"`
	Version                      *string   `json:"version"`
	BuildID                      *string   `json:"build_id"`
	BranchTag                    *string   `json:"branch_tag"`
	CommitHash                   *string   `json:"commit_hash"`
	APIScanConfiguration         *int      `json:"api_scan_configuration"`
	Service                      *string   `json:"service"`
	GroupBy                      *string   `json:"group_by"`
	Test                         *int      `json:"test"`
	TestID                       *int      `json:"test_id"`
	EngagementID                 *int      `json:"engagement_id"`
	ProductID                    *int      `json:"product_id"`
	ProductTypeID                *int      `json:"product_type_id"`
}

// goDojoFindings is the JSON shape of go-defectdojo's Findings list (the
// fields of its Finding whose types an answer could get wrong).
type goDojoFindings struct {
	Count    *int    `json:"count"`
	Next     *string `json:"next"`
	Previous *string `json:"previous"`
	Results  []struct {
		ID                *int       `json:"id"`
		Tags              []*string  `json:"tags"`
		Title             *string    `json:"title"`
		Date              *string    `json:"date"`
		Cwe               *int       `json:"cwe"`
		Cvssv3Score       *float32   `json:"cvssv3_score"`
		Severity          *string    `json:"severity"`
		Active            *bool      `json:"active"`
		Verified          *bool      `json:"verified"`
		Duplicate         *bool      `json:"duplicate"`
		IsMitigated       *bool      `json:"is_mitigated"`
		Mitigated         *time.Time `json:"mitigated"`
		NumericalSeverity *string    `json:"numerical_severity"`
		HashCode          *string    `json:"hash_code"`
		Line              *int       `json:"line"`
		FilePath          *string    `json:"file_path"`
		Created           *time.Time `json:"created"`
		NbOccurences      *int       `json:"nb_occurences"`
		Test              *int       `json:"test"`
		DuplicateFinding  *int       `json:"duplicate_finding"`
		Notes             []*struct {
			ID     *int       `json:"id"`
			Entry  *string    `json:"entry"`
			Date   *time.Time `json:"date"`
			Author *struct {
				ID       *int    `json:"id"`
				Username *string `json:"username"`
			} `json:"author"`
			Private  *bool `json:"private"`
			NoteType *int  `json:"note_type"`
		} `json:"notes"`
		FoundBy []*int `json:"found_by"`
	} `json:"results"`
}

// goDojoUploadBody writes an upload as go-defectdojo's
// newFileUploadRequest does: each set field of its ImportScan or
// ReImportScan as fmt's %v of the value (booleans "true", the tags list
// "[ci secrets]" with its brackets trimmed, so one space-separated
// field), in the order of a Go map's iteration, and the "file" value
// opened as a path and sent under its base name.
func goDojoUploadBody(t *testing.T, fields map[string]string) (string, []byte) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for key, val := range fields {
		switch key {
		case "file":
			data, err := os.ReadFile(val)
			if err != nil {
				t.Fatal(err)
			}
			part, err := w.CreateFormFile(key, filepath.Base(val))
			if err != nil {
				t.Fatal(err)
			}
			part.Write(data)
		case "tags":
			w.WriteField(key, strings.Trim(strings.Trim(val, "["), "]"))
		default:
			w.WriteField(key, val)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.FormDataContentType(), body.Bytes()
}

// goDojoFindingsList pages through GET findings/ as a go-defectdojo user
// does with FindingsOptions: limit, then offset when above 0, then the
// filters in the order its ToString writes them, until next is null.
func goDojoFindingsList(t *testing.T, w *wire, limit int, severity, active string) []int {
	t.Helper()
	var found []int
	for offset := 0; ; offset += limit {
		opts := []string{fmt.Sprintf("limit=%d", limit)}
		if offset > 0 {
			opts = append(opts, fmt.Sprintf("offset=%d", offset))
		}
		opts = append(opts, "severity="+severity, "active="+active)
		var list goDojoFindings
		w.expect(200, "GET", "/api/v2/findings/?"+strings.Join(opts, "&"), "application/json", nil, &list)
		for _, f := range list.Results {
			found = append(found, *f.ID)
		}
		if list.Next == nil {
			return found
		}
	}
}

func TestGoDefectDojoReplayedTwice(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	path := report(t, "gitleaks/gitleaks8_many.json", "gitleaks-report.json")
	// go-defectdojo's sendRequest sets these on every request, and
	// Content-Type application/json when the request has none.
	w := s.wire(t, map[string]string{"Authorization": "Token " + token, "Accept": "application/json", "User-Agent": "go-defectdojo"})
	reimport := map[string]string{
		"scan_date": today(), "minimum_severity": "Info", "active": "true", "verified": "false", "scan_type": "Gitleaks Scan",
		"file": path, "product_type_name": "Go services", "product_name": "payments", "engagement_name": "main",
		"close_old_findings_product_scope": "false", "do_not_reactivate": "false", "test_title": "secrets",
		"auto_create_context": "true", "deduplication_on_engagement": "true", "tags": fmt.Sprintf("%v", []string{"ci", "secrets"}),
		"close_old_findings": "true", "push_to_jira": "false", "environment": "Development", "version": "2.3.0",
		"build_id": "981", "branch_tag": "main", "commit_hash": "5d41402",
	}
	var firstFindings []int
	var test int
	var after string
	for run := 1; run <= 2; run++ {
		contentType, body := goDojoUploadBody(t, reimport)
		var answer goDojoUpload
		var stats importAnswer
		w.expect(201, "POST", "/api/v2/reimport-scan/", contentType, body, &answer, &stats)
		if answer.Tags == nil || strings.Join(*answer.Tags, ",") != "ci,secrets" || answer.Test == nil || *answer.Test != stats.Test ||
			answer.AutoCreateContext == nil || !*answer.AutoCreateContext || answer.DoNotReactivate == nil || *answer.DoNotReactivate {
			t.Fatalf("run %d: the answer as go-defectdojo reads it: %+v", run, answer)
		}
		// The first reimport finds no test and imports; the second matches.
		if want := map[int]string{1: "created 3 closed 0 reactivated 0 untouched 0", 2: "created 0 closed 0 reactivated 0 untouched 3"}[run]; stats.delta() != want {
			t.Fatalf("run %d: %s, want %s", run, stats.delta(), want)
		}
		found := goDojoFindingsList(t, w, 2, "High", "true")
		switch run {
		case 1:
			test, firstFindings, after = stats.Test, found, s.counts(t)
			if len(found) != 3 || after != "product_types 1, products 1, engagements 1, tests 1, findings 3, finding_notes 0" {
				t.Fatalf("after the first run: findings %v, %s", found, after)
			}
		case 2:
			if stats.Test != test || fmt.Sprint(found) != fmt.Sprint(firstFindings) {
				t.Fatalf("second run: test %d (first %d), findings %v (first %v)", stats.Test, test, found, firstFindings)
			}
			if now := s.counts(t); now != after {
				t.Fatalf("the second run changed the counts: %s, after the first %s", now, after)
			}
		}
		w.checkCalls(run, "POST /api/v2/reimport-scan/",
			"GET /api/v2/findings/?limit=2&severity=High&active=true", "GET /api/v2/findings/?limit=2&offset=2&severity=High&active=true")
	}
	tags := s.must(t, 200, "GET", fmt.Sprintf("/api/v2/tests/%d/", test), "")["tags"]
	if fmt.Sprint(tags) != "[ci secrets]" {
		t.Fatalf("the test's tags from one space-separated field: %v", tags)
	}

	// ImportScan.Create of the same report under another title: a new
	// test whose findings are all duplicates of the first test's.
	contentType, body := goDojoUploadBody(t, map[string]string{
		"scan_date": today(), "minimum_severity": "Info", "active": "true", "verified": "true", "scan_type": "Gitleaks Scan",
		"file": path, "product_type_name": "Go services", "product_name": "payments", "engagement_name": "main",
		"test_title": "secrets (nightly)", "auto_create_context": "true", "tags": fmt.Sprintf("%v", []string{"nightly"}),
		"close_old_findings": "false", "push_to_jira": "false", "version": "2.3.0", "build_id": "982", "commit_hash": "5d41402",
	})
	var answer goDojoUpload
	var stats importAnswer
	w.expect(201, "POST", "/api/v2/import-scan/", contentType, body, &answer, &stats)
	total := stats.Statistics.After["total"]
	if answer.Test == nil || *answer.Test == test || answer.Engagement == nil || *answer.Engagement != stats.Engagement ||
		total["total"] != 3 || total["duplicate"] != 3 || total["active"] != 0 {
		t.Fatalf("import of the same report: %+v, statistics %v", answer, total)
	}
	if n := s.db.Count(t, `SELECT count(*) FROM findings WHERE NOT duplicate`); n != 3 {
		t.Fatalf("%d original findings after the import, want the first test's 3", n)
	}
}
