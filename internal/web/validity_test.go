package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/secbot/secbot/internal/findings"
)

// TestLiveSecretsStandOut: the finding page of a live secret says LIVE
// with its owner and scopes, the product page marks it and filters on
// validity, and a validity that does not exist is a bad request.
func TestLiveSecretsStandOut(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	svc := findings.NewService(s.db.Pool)
	at := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	leak := func(file, validity string) findings.Finding {
		return findings.Finding{Title: "Hard coded GitLab token found in " + file, Severity: findings.High, FilePath: file, Line: 1,
			VulnIDFromTool: "gitlab-pat", StaticFinding: true, Validity: findings.Validity{Validity: validity, CheckedAt: at, Owner: "user 7", Scopes: []string{"api", "read_user"}}}
	}
	res, err := svc.Import(ctx, findings.ImportOptions{ScanType: "Gitleaks Scan", Target: findings.Target{ProductName: "grp/app", EngagementName: "second push", AutoCreateContext: true}},
		[]findings.Finding{leak("live.env", findings.Valid), leak("dead.env", findings.Invalid)})
	if err != nil {
		t.Fatal(err)
	}
	live := s.db.Count(t, `SELECT id FROM findings WHERE file_path = 'live.env' AND test = $1`, res.Test)
	b := s.browser(t)
	b.login()
	page := b.get(fmt.Sprintf("/finding/%d", live))
	for _, want := range []string{`<span class="live">LIVE</span>`, "belongs to user 7", "scopes api, read_user", "checked 2026-12-02 08:00 UTC"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the live secret's page lacks %q", want)
		}
	}
	product := fmt.Sprintf("/product/%d", s.product)
	onlyLive := b.get(product + "?validity=valid")
	if onlyLive.code != http.StatusOK || !strings.Contains(onlyLive.body, "live.env") || strings.Contains(onlyLive.body, "dead.env") ||
		strings.Count(onlyLive.body, `<span class="live">LIVE</span>`) != 1 {
		t.Fatalf("the product's live secrets: %d\n%s", onlyLive.code, onlyLive.body)
	}
	if all := b.get(product); !strings.Contains(all.body, "dead.env") || strings.Count(all.body, `<span class="live">LIVE</span>`) != 1 {
		t.Errorf("the product page marks %d findings LIVE, want 1", strings.Count(all.body, `<span class="live">LIVE</span>`))
	}
	if p := b.get(product + "?validity=alive"); p.code != http.StatusBadRequest {
		t.Errorf("an unknown validity: %d, want 400", p.code)
	}
}
