package defectdojo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/gitlab"
	"github.com/secbot/secbot/internal/handler"
	"github.com/secbot/secbot/internal/testenv"
	"github.com/secbot/secbot/internal/testenv/fixtures"
)

const sha = "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"

// gitleaksReport is a redacted report as the gitleaks scan stores it.
func gitleaksReport(n int) json.RawMessage {
	var items []string
	for i := range n {
		items = append(items, fmt.Sprintf(`{"Description":"GitLab Personal Access Token","StartLine":%d,"Secret":"REDACTED","Match":"token = REDACTED","File":"app/f%d.env","Commit":%q,"RuleID":"gitlab-pat"}`, i+1, i, sha))
	}
	return json.RawMessage("[" + strings.Join(items, ",") + "]")
}

func request(t *testing.T, ev gitlab.Event, report json.RawMessage) *handler.Request {
	t.Helper()
	return &handler.Request{Event: ev, Instance: config.Instance{Host: "https://gitlab.example.com"},
		Inputs: []handler.Input{{Result: handler.Result{Findings: 1, ScanType: "Gitleaks Scan", Data: report}}}}
}

func push() gitlab.Event {
	return gitlab.Event{Type: gitlab.Push, CommitSHA: sha,
		Project: gitlab.Project{PathWithNamespace: "group/app", WebURL: "https://gitlab.example.com/group/app"}}
}

func export(t *testing.T, o *Output, req *handler.Request) (handler.Result, handler.OutputData) {
	t.Helper()
	res, err := o.Export(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	var d handler.OutputData
	if err := json.Unmarshal(res.Data, &d); err != nil {
		t.Fatal(err)
	}
	return res, d
}

func TestExportNamesRetriesAndDuplicates(t *testing.T) {
	base, db := testenv.FindingsServer(t)
	o, err := NewOutput(Settings{URL: base, SecretKey: testenv.FindingsToken, LeadID: "1"})
	if err != nil {
		t.Fatal(err)
	}
	res, d := export(t, o, request(t, push(), gitleaksReport(2)))
	if res.Findings != 2 || res.ActiveFindings != 2 || len(d.Findings) != 2 || !d.Findings[0].New || !d.Findings[0].Blocking {
		t.Fatalf("push: %+v %+v", res, d)
	}
	if !strings.HasPrefix(d.Findings[0].URL, base+"/finding/") {
		t.Fatalf("finding URL %q", d.Findings[0].URL)
	}
	var productType, engagement, tags string
	if err := db.Pool.QueryRow(context.Background(), `
		SELECT pt.name, e.name, array_to_string(t.tags, ',') FROM tests t JOIN engagements e ON e.id = t.engagement
		JOIN products p ON p.id = e.product JOIN product_types pt ON pt.id = p.prod_type WHERE t.id = $1`, d.TestID,
	).Scan(&productType, &engagement, &tags); err != nil {
		t.Fatal(err)
	}
	if productType != "gitlab.example.com" || d.ProductName != "group/app" || engagement != "/group/app/-/commit/"+sha || tags != sha {
		t.Fatalf("naming: type %q product %q engagement %q tags %q", productType, d.ProductName, engagement, tags)
	}

	// A retried task reuses its test.
	_, again := export(t, o, request(t, push(), gitleaksReport(2)))
	if again.TestID != d.TestID || len(again.Findings) != 2 {
		t.Fatalf("retry made test %d with %d findings, want test %d with 2", again.TestID, len(again.Findings), d.TestID)
	}

	// A merge request on the same commit goes to its own engagement; its
	// findings are duplicates of the push's, still blocking.
	mr := push()
	mr.Type = gitlab.MergeRequest
	mr.MergeRequest = &gitlab.MergeRequestInfo{IID: 3, URL: "https://gitlab.example.com/group/app/-/merge_requests/3"}
	res, m := export(t, o, request(t, mr, gitleaksReport(2)))
	if m.TestID == d.TestID || m.Findings[0].New || !m.Findings[0].Blocking || res.ActiveFindings != 2 {
		t.Fatalf("merge request: %+v %+v", res, m)
	}
	if n := db.Count(t, `SELECT count(*) FROM engagements WHERE name = '/group/app/-/merge_requests/3'`); n != 1 {
		t.Fatal("no engagement named by the merge request's path")
	}

	// Once the originals are false positives, their duplicates stop blocking.
	for _, f := range d.Findings {
		req, _ := http.NewRequest(http.MethodPatch, fmt.Sprintf("%s/api/v2/findings/%d/", base, f.ID), strings.NewReader(`{"false_p": true}`))
		req.Header.Set("Authorization", "Token "+testenv.FindingsToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("triage: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	if res, _ := export(t, o, request(t, mr, gitleaksReport(2))); res.ActiveFindings != 0 {
		t.Fatalf("duplicates of false positives still block: %+v", res)
	}
}

func TestExportReadsEveryPage(t *testing.T) {
	base, _ := testenv.FindingsServer(t)
	o, _ := NewOutput(Settings{URL: base, SecretKey: testenv.FindingsToken})
	res, d := export(t, o, request(t, push(), gitleaksReport(1203)))
	if res.Findings != 1203 || len(d.Findings) != 1203 {
		t.Fatalf("read %d findings, want 1203 (three pages)", len(d.Findings))
	}
}

func TestExportWaitsForBackgroundDedup(t *testing.T) {
	base, _ := testenv.FindingsServer(t)
	target, _ := url.Parse(base)
	// A server that does not say its duplicates are final, as DefectDojo.
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(r *http.Response) error { r.Header.Del("X-Secbot-Dedup"); return nil }
	dojo := httptest.NewServer(proxy)
	defer dojo.Close()
	o, _ := NewOutput(Settings{URL: dojo.URL, SecretKey: testenv.FindingsToken, MaxDedupWait: 30 * time.Second})
	start := time.Now()
	res, _ := export(t, o, request(t, push(), gitleaksReport(3)))
	if res.Findings != 3 {
		t.Fatalf("findings = %d", res.Findings)
	}
	if waited := time.Since(start); waited < time.Second {
		t.Fatalf("answered in %s without reading twice", waited)
	}
}

func TestExportErrors(t *testing.T) {
	base, _ := testenv.FindingsServer(t)
	bad, _ := NewOutput(Settings{URL: base, SecretKey: "0000000000000000000000000000000000000000"})
	if _, err := bad.Export(context.Background(), request(t, push(), gitleaksReport(1))); !errors.Is(err, handler.ErrPermanent) || !strings.Contains(err.Error(), "token was refused") {
		t.Fatalf("bad token: %v", err)
	}
	down, _ := NewOutput(Settings{URL: "http://127.0.0.1:1", SecretKey: "x"})
	if _, err := down.Export(context.Background(), request(t, push(), gitleaksReport(1))); err == nil || errors.Is(err, handler.ErrPermanent) {
		t.Fatalf("unreachable DefectDojo must be retried, not failed: %v", err)
	}
	if _, err := NewOutput(Settings{URL: "ftp://x", SecretKey: "k"}); err == nil {
		t.Fatal("accepted a non-http URL")
	}
	if _, err := NewOutput(Settings{URL: base, SecretKey: "k", MinimumSeverity: "high"}); err == nil || !strings.Contains(err.Error(), "minimum_severity") {
		t.Fatalf("minimum_severity high: %v", err)
	}
}

// Each report is imported as the scan type its scan named, whether it
// came in the scan's result or was stored by the scan.
func TestExportImportsEachReportAsItsScanType(t *testing.T) {
	base, db := testenv.FindingsServer(t)
	o, err := NewOutput(Settings{URL: base, SecretKey: testenv.FindingsToken, MinimumSeverity: "Low"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		scanType, fixture string
		stored            bool
	}{
		{"Bandit Scan", "defectdojo/bandit/many_vulns.json", false},
		{"SARIF", "defectdojo/sarif/flawfinder.sarif", true},
	} {
		report, err := fixtures.ReadFile(tt.fixture)
		if err != nil {
			t.Fatal(err)
		}
		in := handler.Input{TaskID: "c:scan:" + tt.scanType, Result: handler.Result{ScanType: tt.scanType, Data: report}}
		reports := &handler.MemoryReports{}
		if tt.stored {
			in.Result.Data, in.Result.Stored = nil, true
			if _, err := reports.Put(context.Background(), in.TaskID, bytes.NewReader(report)); err != nil {
				t.Fatal(err)
			}
		}
		req := &handler.Request{Event: push(), Instance: config.Instance{Host: "https://gitlab.example.com"},
			Inputs: []handler.Input{in}, Reports: reports}
		_, d := export(t, o, req)
		var scanType, title string
		if err := db.Pool.QueryRow(context.Background(), `SELECT scan_type, title FROM tests WHERE id = $1`, d.TestID).Scan(&scanType, &title); err != nil {
			t.Fatal(err)
		}
		if scanType != tt.scanType || title != tt.scanType+" "+sha {
			t.Errorf("%s: imported as %q titled %q", tt.fixture, scanType, title)
		}
		if n := db.Count(t, `SELECT count(*) FROM findings WHERE test = $1`, d.TestID); n == 0 || n != len(d.Findings) {
			t.Errorf("%s: %d findings stored, %d reported", tt.fixture, n, len(d.Findings))
		}
	}
	// A scan that names no type is a configuration mistake, not a retry.
	req := request(t, push(), gitleaksReport(1))
	req.Inputs[0].Result.ScanType = ""
	if _, err := o.Export(context.Background(), req); !errors.Is(err, handler.ErrPermanent) || !strings.Contains(err.Error(), "names no scan type") {
		t.Fatalf("no scan type: %v", err)
	}
}

// The job's gate decides which findings block: min_severity leaves out
// the less severe, new_only the duplicates of what the product had.
func TestExportAppliesTheGate(t *testing.T) {
	base, _ := testenv.FindingsServer(t)
	o, err := NewOutput(Settings{URL: base, SecretKey: testenv.FindingsToken, MinimumSeverity: "Low"})
	if err != nil {
		t.Fatal(err)
	}
	report, err := fixtures.ReadFile("defectdojo/bandit/many_vulns.json")
	if err != nil {
		t.Fatal(err)
	}
	req := func(ev gitlab.Event, gate config.Gate) *handler.Request {
		return &handler.Request{Event: ev, Instance: config.Instance{Host: "https://gitlab.example.com"}, Gate: gate,
			Inputs: []handler.Input{{Result: handler.Result{ScanType: "Bandit Scan", Data: report}}}}
	}
	res, d := export(t, o, req(push(), config.Gate{MinSeverity: "Medium"}))
	medium := 0
	for _, f := range d.Findings {
		if f.Severity == "Medium" {
			medium++
		}
		if f.Exempt == (f.Severity == "Medium") || f.Blocking == f.Exempt {
			t.Fatalf("finding %+v under min_severity Medium", f)
		}
	}
	if medium == 0 || medium == len(d.Findings) || res.ActiveFindings != medium {
		t.Fatalf("%d of %d findings Medium, %d blocking; want only the Medium ones to block", medium, len(d.Findings), res.ActiveFindings)
	}
	// The same findings in a merge request: duplicates, which block by
	// default and not under new_only.
	mr := push()
	mr.Type = gitlab.MergeRequest
	mr.MergeRequest = &gitlab.MergeRequestInfo{IID: 5, URL: "https://gitlab.example.com/group/app/-/merge_requests/5"}
	if res, _ := export(t, o, req(mr, config.Gate{})); res.ActiveFindings != len(d.Findings) {
		t.Fatalf("duplicates under the default gate: %d blocking, want all %d", res.ActiveFindings, len(d.Findings))
	}
	res, m := export(t, o, req(mr, config.Gate{NewOnly: true}))
	if res.ActiveFindings != 0 || len(m.Findings) != len(d.Findings) || m.Findings[0].New {
		t.Fatalf("duplicates under new_only: %d blocking of %d", res.ActiveFindings, len(m.Findings))
	}
}
