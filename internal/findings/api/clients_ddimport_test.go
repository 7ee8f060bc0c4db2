package api_test

import (
	"fmt"
	"strconv"
	"testing"
)

// ddImportEnv is dd-import's environment in one GitLab CI job: its DD_*
// variables (DD_BRANCH_TAG unset, as in a job that sets only the build
// and the commit).
type ddImportEnv struct {
	productType, product, engagement, test, testType string
	fileName                                         string
	minimumSeverity, groupBy, version, service       string
	buildID, commitHash                              string
}

// ddImport replays dd-reimport-findings (MaibornWolff/dd-import,
// dd_import/dd_api.py) with Python requests: JSON bodies written by
// json.dumps with "Content-type: application/json", query parameters in
// the payload's order, the report as multipart with every value str()'d
// (booleans "True"/"False"), and raise_for_status on every answer. It
// looks each object up by name, comparing names exactly among the
// results, and creates what is missing. It returns the test and the
// reimport's answer.
func ddImport(t *testing.T, w *wire, env ddImportEnv, report []byte) (int, importAnswer) {
	t.Helper()
	const jsonType = "application/json"
	find := func(path, query string, keep func(named) bool) int {
		var p page
		w.expect(200, "GET", path+"?"+query, jsonType, nil, &p)
		for _, o := range p.objects(t) {
			if keep(o) {
				return o.ID
			}
		}
		return 0
	}
	create := func(path string, body []byte) int {
		var o named
		w.expect(201, "POST", path, jsonType, body, &o)
		return o.ID
	}

	// dd-import as read for this replay raises "Product type … not found"
	// when there is none, so someone makes it first: here with POST
	// product_types/ {"name": …}, which the second run must not repeat.
	pt := find("/api/v2/product_types/", pyQuery("name", env.productType), func(o named) bool { return o.Name == env.productType })
	if pt == 0 {
		pt = create("/api/v2/product_types/", pyJSON("name", str(env.productType)))
	}
	product := find("/api/v2/products/", pyQuery("name", env.product, "prod_type", strconv.Itoa(pt)), func(o named) bool { return o.Name == env.product })
	if product == 0 {
		product = create("/api/v2/products/", pyJSON("name", str(env.product), "description", str(env.product), "prod_type", strconv.Itoa(pt)))
	}
	eng := find("/api/v2/engagements/", pyQuery("name", env.engagement, "product", strconv.Itoa(product)), func(o named) bool { return o.Name == env.engagement })
	if eng == 0 {
		eng = create("/api/v2/engagements/", pyJSON("name", str(env.engagement), "product", strconv.Itoa(product),
			"target_start", str(today()), "target_end", str("2999-12-31"), "engagement_type", str("CI/CD"), "status", str("In Progress")))
	}
	test := find("/api/v2/tests/", pyQuery("title", env.test, "engagement", strconv.Itoa(eng)), func(o named) bool { return o.Title == env.test })
	if test == 0 {
		testType := find("/api/v2/test_types/", pyQuery("name", env.testType), func(o named) bool { return o.Name == env.testType })
		if testType == 0 {
			t.Fatalf("Test type %s not found", env.testType)
		}
		test = create("/api/v2/tests/", pyJSON("title", str(env.test), "engagement", strconv.Itoa(eng),
			"target_start", str(today()+"T00:00:00"), "target_end", str("2999-12-31T00:00:00"), "test_type", strconv.Itoa(testType)))
	}

	parts := []formPart{field("scan_date", today()), field("scan_type", env.testType), field("test", strconv.Itoa(test)),
		field("active", pyTrue), field("verified", pyTrue), field("push_to_jira", pyFalse), field("close_old_findings", pyTrue),
		field("close_old_findings_product_scope", pyFalse), field("do_not_reactivate", pyFalse),
		field("minimum_severity", env.minimumSeverity), field("group_by", env.groupBy), field("version", env.version),
		field("service", env.service),
		filePart("file", env.fileName, report, map[string]string{"Content-Type": "application/json", "Expires": "0"})}
	contentType, body := multipartBody(t, parts...)
	var answer importAnswer
	w.expect(201, "POST", "/api/v2/reimport-scan/", contentType, body, &answer)

	// update_engagement sends all three, None as null.
	w.expect(200, "PATCH", fmt.Sprintf("/api/v2/engagements/%d/", eng), jsonType,
		pyJSON("build_id", str(env.buildID), "commit_hash", str(env.commitHash), "branch_tag", "null"))
	return test, answer
}

func TestDDImportReplayedTwice(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	env := ddImportEnv{productType: "Showcase", product: "DefectDojo Importer", engagement: "GitLab", test: "Gitleaks",
		testType: "Gitleaks Scan", fileName: "reports/gitleaks.json", minimumSeverity: "Low", groupBy: "component_name",
		version: "1.4.0", service: "importer", buildID: "4711", commitHash: "9c1e2a7"}
	report := fixture(t, "gitleaks/gitleaks8_many.json")
	w := s.wire(t, map[string]string{"Authorization": "Token " + token, "User-Agent": "python-requests/2.32.3", "Accept": "*/*"})

	test, first := ddImport(t, w, env, report)
	w.checkCalls(1,
		"GET /api/v2/product_types/?name=Showcase", "POST /api/v2/product_types/",
		"GET /api/v2/products/?name=DefectDojo+Importer&prod_type=1", "POST /api/v2/products/",
		"GET /api/v2/engagements/?name=GitLab&product=1", "POST /api/v2/engagements/",
		"GET /api/v2/tests/?title=Gitleaks&engagement=1", "GET /api/v2/test_types/?name=Gitleaks+Scan", "POST /api/v2/tests/",
		"POST /api/v2/reimport-scan/", "PATCH /api/v2/engagements/1/")
	if first.Test != test || first.delta() != "created 3 closed 0 reactivated 0 untouched 0" {
		t.Fatalf("first reimport into the new test %d: test %d, %s", test, first.Test, first.delta())
	}
	after := s.counts(t)
	if after != "product_types 1, products 1, engagements 1, tests 1, findings 3, finding_notes 0" {
		t.Fatalf("after the first run: %s", after)
	}

	// Between the pipelines someone tags the test in DefectDojo; the next
	// job's reimport sends no tags and a new version.
	s.must(t, 200, "PATCH", fmt.Sprintf("/api/v2/tests/%d/", test), `{"tags": ["pci"]}`)
	env.version, env.commitHash = "1.5.0", "77aa0b3"
	again, second := ddImport(t, w, env, report)
	w.checkCalls(2,
		"GET /api/v2/product_types/?name=Showcase", "GET /api/v2/products/?name=DefectDojo+Importer&prod_type=1",
		"GET /api/v2/engagements/?name=GitLab&product=1", "GET /api/v2/tests/?title=Gitleaks&engagement=1",
		"POST /api/v2/reimport-scan/", "PATCH /api/v2/engagements/1/")
	if again != test || second.delta() != "created 0 closed 0 reactivated 0 untouched 3" {
		t.Fatalf("second run: test %d (first %d), %s", again, test, second.delta())
	}
	if now := s.counts(t); now != after {
		t.Fatalf("the second run changed the counts: %s, after the first %s", now, after)
	}
	eng := s.must(t, 200, "GET", "/api/v2/engagements/1/", "")
	if eng["build_id"] != "4711" || eng["commit_hash"] != "77aa0b3" || eng["branch_tag"] != "" {
		t.Fatalf("engagement after dd-import's PATCH with branch_tag null: %v", eng)
	}
	// As DefectDojo's reimport: the test takes the version it was sent
	// and keeps its tags when none are sent.
	if got := s.must(t, 200, "GET", fmt.Sprintf("/api/v2/tests/%d/", test), ""); got["version"] != "1.5.0" || fmt.Sprint(got["tags"]) != "[pci]" {
		t.Fatalf("the test after the second reimport: version %v, tags %v", got["version"], got["tags"])
	}
}
