package api_test

import (
	"fmt"
	"strconv"
	"testing"
)

// gitlabSecretsReport is the report a shared GitLab CI template's job
// uploads: GitLab's secret detection report (three findings).
func gitlabSecretsReport(t *testing.T) (scanType string, report []byte) {
	t.Helper()
	return "GitLab Secret Detection Report", fixture(t, "gitlab_secret_detection_report/gitlab_secret_detection_report_3_vuln_v15.json")
}

// gitlabCITemplate replays a shared GitLab CI template's upload job, its
// curl commands as curl sends them: the engagement of the branch looked
// up by name (jq '.results[0].id'), created when missing with every
// value a shell-quoted string ("product": "3", "active": "true"), then
// import-scan with -F fields, among them one DefectDojo no longer has
// (skip_duplicates). curl -f fails the job on any 4xx or 5xx.
func gitlabCITemplate(t *testing.T, w *wire, product int, ref, sha, pipeline, scanType string, report []byte) importAnswer {
	t.Helper()
	var found page
	w.expect(200, "GET", fmt.Sprintf("/api/v2/engagements/?product=%d&name=%s", product, ref), "", nil, &found)
	var eng int
	if list := found.objects(t); len(list) > 0 {
		eng = list[0].ID
	} else {
		var created named
		w.expect(201, "POST", "/api/v2/engagements/", "application/json", []byte(fmt.Sprintf(`{"name": "%s", "product": "%d", `+
			`"target_start": "%s", "target_end": "2999-12-31", "engagement_type": "CI/CD", "status": "In Progress", `+
			`"active": "true", "deduplication_on_engagement": "true", "build_id": "%s", "commit_hash": "%s", "branch_tag": "%s", `+
			`"source_code_management_uri": "https://gitlab.example.com/shop/api"}`, ref, product, today(), pipeline, sha, ref)), &created)
		eng = created.ID
	}
	contentType, body := multipartBody(t, field("scan_type", scanType),
		filePart("file", "gl-secret-detection-report.json", report, map[string]string{"Content-Type": "application/octet-stream"}),
		field("engagement", strconv.Itoa(eng)), field("active", "true"), field("verified", "false"),
		field("close_old_findings", "true"), field("minimum_severity", "Info"), field("skip_duplicates", "true"),
		field("tags", "gitlab-ci"), field("commit_hash", sha))
	var answer importAnswer
	w.expect(201, "POST", "/api/v2/import-scan/", contentType, body, &answer)
	return answer
}

func TestGitLabCITemplateReplayedTwice(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	pt := s.must(t, 201, "POST", "/api/v2/product_types/", `{"name": "GitLab"}`)
	product := id(s.must(t, 201, "POST", "/api/v2/products/", fmt.Sprintf(`{"name": "shop/api", "description": "d", "prod_type": %d}`, id(pt))))
	w := s.wire(t, map[string]string{"Authorization": "Token " + token, "User-Agent": "curl/7.88.1", "Accept": "*/*"})
	scanType, report := gitlabSecretsReport(t)

	first := gitlabCITemplate(t, w, product, "main", "8f14e45", "1201", scanType, report)
	w.checkCalls(1, fmt.Sprintf("GET /api/v2/engagements/?product=%d&name=main", product), "POST /api/v2/engagements/", "POST /api/v2/import-scan/")
	n := first.Statistics.After["total"]["total"]
	if n == 0 || first.Statistics.After["total"]["active"] != n {
		t.Fatalf("first pipeline: %v", first.Statistics.After["total"])
	}
	eng := s.must(t, 200, "GET", fmt.Sprintf("/api/v2/engagements/%d/", first.Engagement), "")
	if eng["product"] != float64(product) || eng["active"] != true || eng["deduplication_on_engagement"] != true || eng["build_id"] != "1201" {
		t.Fatalf("the engagement the template made: %v", eng)
	}

	// The next pipeline of main: the same engagement, a new test (an
	// import always makes one) whose findings are all duplicates, and the
	// first test's findings stay active.
	second := gitlabCITemplate(t, w, product, "main", "8f14e45", "1202", scanType, report)
	w.checkCalls(2, fmt.Sprintf("GET /api/v2/engagements/?product=%d&name=main", product), "POST /api/v2/import-scan/")
	total := second.Statistics.After["total"]
	if second.Engagement != first.Engagement || second.Test == first.Test || total["duplicate"] != n || total["active"] != 0 {
		t.Fatalf("second pipeline: engagement %d (first %d), test %d (first %d), %v", second.Engagement, first.Engagement, second.Test, first.Test, total)
	}
	if got, want := s.counts(t), fmt.Sprintf("product_types 1, products 1, engagements 1, tests 2, findings %d, finding_notes 0", 2*n); got != want {
		t.Fatalf("after two pipelines: %s, want %s", got, want)
	}
	if active := s.db.Count(t, `SELECT count(*) FROM findings WHERE active AND test = $1`, first.Test); active != n {
		t.Fatalf("%d of the first test's %d findings active after the second pipeline", active, n)
	}
}
