package api_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
)

// dtScanType is the scan type Dependency-Track uploads its findings as.
const dtScanType = "Dependency Track Finding Packaging Format (FPF) Export"

// dependencyTrack replays DefectDojoUploader.upload with reimport on
// (DependencyTrack/dependency-track, integrations/defectdojo): the
// engagement's tests read 100 at a time, following each absolute next
// URL as given; the test of its scan type and title, if any, reimported,
// else a new import into the engagement. Its multipart writes the report
// first, then the fields, booleans as Java's "true"/"false"; it expects
// 201. It returns the test the upload went to and the answer.
func dependencyTrack(t *testing.T, w *wire, engagement int, title string, report []byte) (int, importAnswer) {
	t.Helper()
	eid := strconv.Itoa(engagement)
	var tests []json.RawMessage
	next := "/api/v2/tests/?limit=100&engagement=" + eid
	for next != "" {
		var p page
		w.expect(200, "GET", next, "", nil, &p)
		tests = append(tests, p.Results...)
		next = ""
		if p.Next != nil {
			next = *p.Next
		}
	}
	testID := ""
	for _, raw := range tests {
		// It compares the fields as text: the engagement's id and the
		// test's own.
		var o struct {
			ID         json.Number `json:"id"`
			Engagement json.Number `json:"engagement"`
			ScanType   string      `json:"scan_type"`
			Title      string      `json:"title"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			t.Fatal(err)
		}
		if o.Engagement.String() == eid && o.ScanType == dtScanType && o.Title == title {
			testID = o.ID.String()
			break
		}
	}
	parts := []formPart{filePart("file", "findings.json", report, map[string]string{"Content-Type": "application/octet-stream"}),
		field("engagement", eid), field("scan_type", dtScanType), field("verified", "true"), field("active", "true"),
		field("minimum_severity", "Info"), field("close_old_findings", "true"), field("push_to_jira", "false")}
	path := "/api/v2/import-scan/"
	if testID != "" {
		path = "/api/v2/reimport-scan/"
		parts = append(parts, field("do_not_reactivate", "false"), field("test", testID))
	}
	parts = append(parts, field("scan_date", today()), field("test_title", title))
	contentType, body := multipartBody(t, parts...)
	var answer importAnswer
	w.expect(201, "POST", path, contentType, body, &answer)
	return answer.Test, answer
}

func TestDependencyTrackReplayedTwice(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	// Made in DefectDojo by hand before Dependency-Track is set up: the
	// engagement its project names, holding 101 tests of other scans, so
	// that Dependency-Track's test is on the second page of 100.
	pt := s.must(t, 201, "POST", "/api/v2/product_types/", `{"name": "Components"}`)
	product := s.must(t, 201, "POST", "/api/v2/products/", fmt.Sprintf(`{"name": "webshop", "description": "d", "prod_type": %d}`, id(pt)))
	eng := id(s.must(t, 201, "POST", "/api/v2/engagements/", fmt.Sprintf(`{"name": "Dependency-Track", "product": %d,
		"target_start": "2024-01-01", "target_end": "2999-12-31", "engagement_type": "CI/CD"}`, id(product))))
	sarif := s.must(t, 200, "GET", "/api/v2/test_types/?name=SARIF", "")["results"].([]any)[0].(map[string]any)
	for i := range 101 {
		s.must(t, 201, "POST", "/api/v2/tests/", fmt.Sprintf(`{"engagement": %d, "test_type": %d, "title": "nightly %d",
			"target_start": "2024-01-01T00:00:00Z", "target_end": "2024-01-01T00:00:00Z"}`, eng, id(sarif), i))
	}
	report := fixture(t, "dependency_track/many_findings.json") // 4 findings
	w := s.wire(t, map[string]string{"Authorization": "Token " + token, "Accept": "application/json", "User-Agent": "Java-http-client/21.0.5"})

	first, imported := dependencyTrack(t, w, eng, "Dependency-Track", report)
	w.checkCalls(1, fmt.Sprintf("GET /api/v2/tests/?limit=100&engagement=%d", eng),
		fmt.Sprintf("GET /api/v2/tests/?engagement=%d&limit=100&offset=100", eng), "POST /api/v2/import-scan/")
	if first == 0 || imported.Engagement != eng || imported.Statistics.After["total"]["total"] != 4 {
		t.Fatalf("first upload: test %d, engagement %d (want %d), statistics %v", first, imported.Engagement, eng, imported.Statistics.After["total"])
	}
	after := s.counts(t)
	if after != "product_types 1, products 1, engagements 1, tests 102, findings 4, finding_notes 0" {
		t.Fatalf("after the first upload: %s", after)
	}

	again, reimported := dependencyTrack(t, w, eng, "Dependency-Track", report)
	w.checkCalls(2, fmt.Sprintf("GET /api/v2/tests/?limit=100&engagement=%d", eng),
		fmt.Sprintf("GET /api/v2/tests/?engagement=%d&limit=100&offset=100", eng), "POST /api/v2/reimport-scan/")
	if again != first || reimported.delta() != "created 0 closed 0 reactivated 0 untouched 4" {
		t.Fatalf("second upload: test %d (first %d), %s", again, first, reimported.delta())
	}
	if now := s.counts(t); now != after {
		t.Fatalf("the second upload changed the counts: %s, after the first %s", now, after)
	}
}
