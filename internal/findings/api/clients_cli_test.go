package api_test

import (
	"fmt"
	"slices"
	"strconv"
	"testing"
)

// The Python clients send, through requests or urllib3, every form value
// as str() of it: booleans "True" and "False", ids as digits.
const pyTrue, pyFalse = "True", "False"

// defectdojoCLI replays defectdojo-cli (Digitalist-Open-Cloud's
// DefectDojo-CLI, defectdojo_cli2, forked from adiffpirate's): its
// Util.request_apiv2 sends the token alone with a file, and Accept and
// Content-Type application/json without one, GETs included.
type defectdojoCLI struct{ w *wire }

func (c defectdojoCLI) upload(t *testing.T, path, fileName string, report []byte, fields ...formPart) importAnswer {
	t.Helper()
	c.w.header["Accept"] = "*/*"
	// open(result_file): requests names the part after the file, with no
	// Content-Type of its own.
	contentType, body := multipartBody(t, append(fields, filePart("file", fileName, report, nil))...)
	var answer importAnswer
	c.w.expect(201, "POST", path, contentType, body, &answer)
	return answer
}

func (c defectdojoCLI) getJSON(t *testing.T, path string, out any) {
	t.Helper()
	c.w.header["Accept"] = "application/json"
	c.w.expect(200, "GET", path, "application/json", nil, out)
}

// findingsImport is `defectdojo findings import FILE --scanner S
// --engagement_id E --lead_id L [--note N]`. Its --auto_close and
// --skip_duplicates are store_true flags it tests against None, so it
// always sends close_old_findings and skip_duplicates (which DefectDojo
// no longer has) as True. With --note it lists the test's findings and
// notes each.
func (c defectdojoCLI) findingsImport(t *testing.T, scanner string, engagement, lead int, fileName string, report []byte, note string) importAnswer {
	t.Helper()
	answer := c.upload(t, "/api/v2/import-scan/", fileName, report,
		field("scan_date", today()), field("scan_type", scanner), field("verified", pyFalse),
		field("engagement", strconv.Itoa(engagement)), field("lead", strconv.Itoa(lead)), field("active", pyTrue),
		field("minimum_severity", "Info"), field("close_old_findings", pyTrue), field("skip_duplicates", pyTrue))
	if note != "" {
		for _, f := range c.findingsList(t, pyQuery("test", strconv.Itoa(answer.Test)), "") {
			c.w.header["Accept"] = "application/json"
			c.w.expect(201, "POST", fmt.Sprintf("/api/v2/findings/%d/notes/", f.ID), "application/json", pyJSON("entry", str(note)))
		}
	}
	return answer
}

// findingsList is its Findings.list: with no --limit, it first asks for
// one finding to learn the count, passing its filters by their query
// names to itself, where they are not read, so it counts all findings;
// then it asks for that many (0 when there are none), with
// test__test_type by the id of the --test_type name.
func (c defectdojoCLI) findingsList(t *testing.T, query, testType string) []named {
	t.Helper()
	var probe page
	c.getJSON(t, "/api/v2/findings/?limit=1", &probe)
	query += "&limit=" + strconv.Itoa(probe.Count)
	if testType != "" {
		var types page
		c.getJSON(t, "/api/v2/test_types/?"+pyQuery("name", testType), &types)
		query += "&test__test_type=" + strconv.Itoa(types.objects(t)[0].ID)
	}
	var list page
	c.getJSON(t, "/api/v2/findings/?"+query, &list)
	return list.objects(t)
}

func findingIDs(list []named) []int {
	var out []int
	for _, f := range list {
		out = append(out, f.ID)
	}
	slices.Sort(out)
	return out
}

func TestDefectDojoCLIReplayedTwice(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	pt := s.must(t, 201, "POST", "/api/v2/product_types/", `{"name": "Apps"}`)
	product := s.must(t, 201, "POST", "/api/v2/products/", fmt.Sprintf(`{"name": "portal", "description": "d", "prod_type": %d}`, id(pt)))
	eng := id(s.must(t, 201, "POST", "/api/v2/engagements/", fmt.Sprintf(`{"name": "CI", "product": %d,
		"target_start": "2024-01-01", "target_end": "2999-12-31"}`, id(product))))
	admin := id(s.must(t, 200, "GET", "/api/v2/users/?username=admin", "")["results"].([]any)[0].(map[string]any))
	gitleaks, sarif := fixture(t, "gitleaks/gitleaks8_many.json"), fixture(t, "sarif/njsscan.sarif")
	cli := defectdojoCLI{s.wire(t, map[string]string{"Authorization": "Token " + token, "User-Agent": "python-requests/2.32.3"})}

	for run := 1; run <= 2; run++ {
		code := cli.findingsImport(t, "SARIF", eng, admin, "njsscan.sarif", sarif, "")
		secrets := cli.findingsImport(t, "Gitleaks Scan", eng, admin, "gitleaks.json", gitleaks, "seen by CI")
		// `defectdojo findings list --engagement_id E --test_type
		// "Gitleaks Scan" --active --json`: django-filter reads its
		// active=2 as true.
		active := cli.findingsList(t, pyQuery("test__engagement", strconv.Itoa(eng), "active", "2"), "Gitleaks Scan")
		testType := s.must(t, 200, "GET", "/api/v2/test_types/?name=Gitleaks+Scan", "")["results"].([]any)[0].(map[string]any)
		// Each run adds 3 SARIF findings, then 3 Gitleaks findings.
		all, g := 6*run, 6*(run-1)+4
		cli.w.checkCalls(run, "POST /api/v2/import-scan/", "POST /api/v2/import-scan/",
			"GET /api/v2/findings/?limit=1", fmt.Sprintf("GET /api/v2/findings/?test=%d&limit=%d", secrets.Test, all),
			fmt.Sprintf("POST /api/v2/findings/%d/notes/", g), fmt.Sprintf("POST /api/v2/findings/%d/notes/", g+1),
			fmt.Sprintf("POST /api/v2/findings/%d/notes/", g+2),
			"GET /api/v2/findings/?limit=1", "GET /api/v2/test_types/?name=Gitleaks+Scan",
			fmt.Sprintf("GET /api/v2/findings/?test__engagement=%d&active=2&limit=%d&test__test_type=%d", eng, all, id(testType)))
		// Not the SARIF findings 1-3; and the second run's are duplicates
		// of the first's: the active Gitleaks findings stay the first's.
		if got := fmt.Sprint(findingIDs(active)); got != "[4 5 6]" {
			t.Fatalf("run %d: active Gitleaks findings of the engagement %s, want the first run's [4 5 6]", run, got)
		}
		if st := secrets.Statistics.After["total"]; (run == 1 && st["active"] != 3) || (run == 2 && st["duplicate"] != 3) || code.Test == secrets.Test {
			t.Fatalf("run %d: Gitleaks import %v (SARIF test %d, Gitleaks test %d)", run, st, code.Test, secrets.Test)
		}
	}
	if got := s.counts(t); got != "product_types 1, products 1, engagements 1, tests 4, findings 12, finding_notes 6" {
		t.Fatalf("after two runs: %s", got)
	}
	if n := s.db.Count(t, `SELECT count(*) FROM findings WHERE NOT duplicate`); n != 6 {
		t.Fatalf("%d original findings after two runs, want the first run's 6", n)
	}
}

// A clean repository's first upload with --note: no findings anywhere,
// so the CLI asks for limit=0, which DefectDojo (Django REST framework)
// answers with its default page.
func TestDefectDojoCLIFirstEmptyUpload(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	pt := s.must(t, 201, "POST", "/api/v2/product_types/", `{"name": "Apps"}`)
	product := s.must(t, 201, "POST", "/api/v2/products/", fmt.Sprintf(`{"name": "portal", "description": "d", "prod_type": %d}`, id(pt)))
	eng := id(s.must(t, 201, "POST", "/api/v2/engagements/", fmt.Sprintf(`{"name": "CI", "product": %d,
		"target_start": "2024-01-01", "target_end": "2999-12-31"}`, id(product))))
	cli := defectdojoCLI{s.wire(t, map[string]string{"Authorization": "Token " + token, "User-Agent": "python-requests/2.32.3"})}
	answer := cli.findingsImport(t, "Gitleaks Scan", eng, 1, "gitleaks.json", fixture(t, "gitleaks/no_findings.json"), "seen by CI")
	cli.w.checkCalls(1, "POST /api/v2/import-scan/", "GET /api/v2/findings/?limit=1",
		fmt.Sprintf("GET /api/v2/findings/?test=%d&limit=0", answer.Test))
}

// reimportScanUpload is `defectdojo reimport_scan upload --product_name P
// --engagement_name E --scan_type S --test_title T --file F
// [--commit_hash C]`: by names, auto_create_context always True.
func (c defectdojoCLI) reimportScanUpload(t *testing.T, product, engagement, scanType, title, commit, fileName string, report []byte) importAnswer {
	t.Helper()
	return c.upload(t, "/api/v2/reimport-scan/", fileName, report,
		field("product_name", product), field("engagement_name", engagement), field("scan_type", scanType),
		field("active", pyTrue), field("verified", pyFalse), field("test_title", title), field("auto_create_context", pyTrue),
		field("push_to_jira", pyFalse), field("commit_hash", commit))
}

func TestDefectDojoCLIReimportReplayedTwice(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	report := fixture(t, "gitleaks/gitleaks8_many.json")
	cli := defectdojoCLI{s.wire(t, map[string]string{"Authorization": "Token " + token, "User-Agent": "python-requests/2.32.3"})}
	first := cli.reimportScanUpload(t, "portal", "main", "Gitleaks Scan", "gitleaks", "0f3c9e1", "gitleaks.json", report)
	after := s.counts(t)
	second := cli.reimportScanUpload(t, "portal", "main", "Gitleaks Scan", "gitleaks", "0f3c9e1", "gitleaks.json", report)
	cli.w.checkCalls(1, "POST /api/v2/reimport-scan/", "POST /api/v2/reimport-scan/")
	if first.delta() != "created 3 closed 0 reactivated 0 untouched 0" || after != "product_types 1, products 1, engagements 1, tests 1, findings 3, finding_notes 0" {
		t.Fatalf("first upload: %s; %s", first.delta(), after)
	}
	if second.Test != first.Test || second.delta() != "created 0 closed 0 reactivated 0 untouched 3" {
		t.Fatalf("second upload: test %d (first %d), %s", second.Test, first.Test, second.delta())
	}
	if now := s.counts(t); now != after {
		t.Fatalf("the second upload changed the counts: %s, after the first %s", now, after)
	}
}

// TestOpenAPIGeneratedClientReplayedTwice replays a script on the Python
// client generated from DefectDojo's OpenAPI document: reimport_scan_create
// by names (its form fields in the schema's order, the file last, each
// value str()'d by urllib3), findings_list(test=…), then
// findings_notes_create for each finding with a JSON note.
func TestOpenAPIGeneratedClientReplayedTwice(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	report := fixture(t, "gitleaks/gitleaks8_many.json")
	w := s.wire(t, map[string]string{"Authorization": "Token " + token, "Accept": "application/json", "User-Agent": "OpenAPI-Generator/1.0.0/python"})
	var test int
	var after string
	for run := 1; run <= 2; run++ {
		contentType, body := multipartBody(t, field("scan_date", today()), field("active", pyTrue), field("verified", pyTrue),
			field("scan_type", "Gitleaks Scan"), field("product_type_name", "Platform"), field("product_name", "billing"),
			field("engagement_name", "release-1.2"), field("test_title", "secrets"), field("auto_create_context", pyTrue),
			field("close_old_findings", pyTrue), filePart("file", "gitleaks.json", report, map[string]string{"Content-Type": "application/json"}))
		var answer goDojoUpload
		var stats importAnswer
		w.expect(201, "POST", "/api/v2/reimport-scan/", contentType, body, &answer, &stats)
		var list page
		w.expect(200, "GET", fmt.Sprintf("/api/v2/findings/?test=%d", stats.Test), "application/json", nil, &list)
		for _, f := range list.objects(t) {
			w.expect(201, "POST", fmt.Sprintf("/api/v2/findings/%d/notes/", f.ID), "application/json",
				pyJSON("entry", str(fmt.Sprintf("pipeline %d", run)), "private", "false"))
		}
		want := map[int]string{1: "created 3 closed 0 reactivated 0 untouched 0", 2: "created 0 closed 0 reactivated 0 untouched 3"}[run]
		if stats.delta() != want || list.Count != 3 || answer.ProductTypeName == nil || *answer.ProductTypeName != "Platform" {
			t.Fatalf("run %d: %s (want %s), %d findings in the test, answer %+v", run, stats.delta(), want, list.Count, answer)
		}
		w.checkCalls(run, "POST /api/v2/reimport-scan/", fmt.Sprintf("GET /api/v2/findings/?test=%d", stats.Test),
			"POST /api/v2/findings/1/notes/", "POST /api/v2/findings/2/notes/", "POST /api/v2/findings/3/notes/")
		switch run {
		case 1:
			test, after = stats.Test, s.counts(t)
		case 2:
			// The findings and their objects stay; the script adds its
			// note again, as it would in DefectDojo.
			if now := s.counts(t); stats.Test != test || now != "product_types 1, products 1, engagements 1, tests 1, findings 3, finding_notes 6" {
				t.Fatalf("second run: test %d (first %d), %s (after the first %s)", stats.Test, test, now, after)
			}
		}
	}
	notes := s.must(t, 200, "GET", "/api/v2/findings/1/notes/", "")["notes"].([]any)
	if len(notes) != 2 || notes[1].(map[string]any)["entry"] != "pipeline 2" || notes[1].(map[string]any)["private"] != false {
		t.Fatalf("the first finding's notes: %v", notes)
	}
}
