package defectdojo

import (
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
	"github.com/secbot/secbot/internal/jobs"
	"github.com/secbot/secbot/internal/store"
	"github.com/secbot/secbot/internal/testenv"
	"github.com/secbot/secbot/internal/worker"
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

func request(t *testing.T, ev gitlab.Event, report json.RawMessage) *worker.Request {
	t.Helper()
	scan, err := json.Marshal(jobs.Result{Findings: 1, Data: report})
	if err != nil {
		t.Fatal(err)
	}
	return &worker.Request{Event: ev, Instance: config.Instance{Host: "https://gitlab.example.com"},
		Inputs: []store.Input{{Result: scan}}}
}

func push() gitlab.Event {
	return gitlab.Event{Type: gitlab.Push, CommitSHA: sha,
		Project: gitlab.Project{PathWithNamespace: "group/app", WebURL: "https://gitlab.example.com/group/app"}}
}

func export(t *testing.T, o *Output, req *worker.Request) (jobs.Result, jobs.OutputData) {
	t.Helper()
	res, err := o.Export(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	var d jobs.OutputData
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
	if _, err := bad.Export(context.Background(), request(t, push(), gitleaksReport(1))); !errors.Is(err, worker.ErrPermanent) || !strings.Contains(err.Error(), "token was refused") {
		t.Fatalf("bad token: %v", err)
	}
	down, _ := NewOutput(Settings{URL: "http://127.0.0.1:1", SecretKey: "x"})
	if _, err := down.Export(context.Background(), request(t, push(), gitleaksReport(1))); err == nil || errors.Is(err, worker.ErrPermanent) {
		t.Fatalf("unreachable DefectDojo must be retried, not failed: %v", err)
	}
	if _, err := NewOutput(Settings{URL: "ftp://x", SecretKey: "k"}); err == nil {
		t.Fatal("accepted a non-http URL")
	}
}
