package findings_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers"
	"github.com/secbot/secbot/internal/testenv"
	"github.com/secbot/secbot/internal/testenv/fixtures"
)

var ctx = context.Background()

const dojo = "defectdojo/"

func parse(t *testing.T, scanType, file string) []findings.Finding {
	t.Helper()
	p, err := parsers.Lookup(scanType)
	if err != nil {
		t.Fatal(err)
	}
	f, err := fixtures.Open(dojo + file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out, err := findings.Parse(p, f)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func newService(t *testing.T) (*findings.Service, *testenv.DB) {
	st, _ := testenv.Store(t)
	return findings.NewService(st.Pool()), &testenv.DB{Pool: st.Pool()}
}

func opts(product, engagement, scanType string) findings.ImportOptions {
	return findings.ImportOptions{ScanType: scanType, Target: findings.Target{
		ProductTypeName: "gitlab.example.com", ProductName: product, EngagementName: engagement, AutoCreateContext: true}}
}

func TestImportStoresEveryFinding(t *testing.T) {
	t.Parallel()
	svc, db := newService(t)
	res, err := svc.Import(ctx, opts("demo", "CI", "Bandit Scan"), parse(t, "Bandit Scan", "bandit/many_vulns.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got := db.Count(t, "SELECT count(*) FROM findings WHERE test = $1", res.Test); got != 214 {
		t.Fatalf("stored %d findings, want 214", got)
	}
	total := res.After["total"]
	if total.Total != 214 || res.After["medium"].Total != 155 || res.After["low"].Total != 59 {
		t.Fatalf("statistics = %+v", res.After)
	}
	if total.Active+total.Duplicate != 214 {
		t.Fatalf("every finding is active or a duplicate (within the report): %+v", total)
	}
	if res.ProductType == 0 || res.Product == 0 || res.Engagement == 0 {
		t.Fatalf("context not created: %+v", res)
	}
	var engType, status string
	var days int
	if err := db.Pool.QueryRow(ctx, `SELECT engagement_type, status, target_end - target_start FROM engagements WHERE id = $1`,
		res.Engagement).Scan(&engType, &status, &days); err != nil {
		t.Fatal(err)
	}
	if engType != "CI/CD" || status != "In Progress" || days != 365 {
		t.Fatalf("engagement = %s, %s, %d days", engType, status, days)
	}
}

func TestReimportingMarksDuplicates(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ scanType, file string }{
		{"Gitleaks Scan", "gitleaks/gitleaks8_many.json"},
		{"SARIF", "sarif/njsscan.sarif"},
		{"Trivy Scan", "trivy/scheme_2_many_vulns.json"},
		{"Semgrep JSON Report", "semgrep/many_findings.json"},
	} {
		t.Run(tt.scanType, func(t *testing.T) {
			svc, db := newService(t)
			report := parse(t, tt.scanType, tt.file)
			first, err := svc.Import(ctx, opts("demo", "CI", tt.scanType), report)
			if err != nil {
				t.Fatal(err)
			}
			if first.After["total"].Duplicate != 0 {
				t.Fatalf("first import has duplicates: %+v", first.After["total"])
			}
			second, err := svc.Import(ctx, opts("demo", "CI", tt.scanType), report)
			if err != nil {
				t.Fatal(err)
			}
			if s := second.After["total"]; s.Duplicate != len(report) || s.Active != 0 || s.Verified != 0 {
				t.Fatalf("second import: %+v, want all %d duplicates, inactive", s, len(report))
			}
			third, _ := svc.Import(ctx, opts("demo", "CI", tt.scanType), report)
			// Chains are flat: the third import's originals are the first's findings.
			orphans := db.Count(t, `SELECT count(*) FROM findings f JOIN findings o ON o.id = f.duplicate_finding
				WHERE f.test = $1 AND o.test <> $2`, third.Test, first.Test)
			if orphans != 0 {
				t.Fatalf("%d duplicates of the third import do not point at the first import", orphans)
			}
			other, _ := svc.Import(ctx, opts("another product", "CI", tt.scanType), report)
			if other.After["total"].Duplicate != 0 {
				t.Fatal("findings of another product were marked duplicates")
			}
		})
	}
}

func TestDeduplicationOnEngagement(t *testing.T) {
	t.Parallel()
	svc, _ := newService(t)
	report := parse(t, "Gitleaks Scan", "gitleaks/gitleaks8_many.json")
	if _, err := svc.Import(ctx, opts("demo", "MR 1", "Gitleaks Scan"), report); err != nil {
		t.Fatal(err)
	}
	o := opts("demo", "MR 2", "Gitleaks Scan")
	o.DedupOnEngagement = true
	res, err := svc.Import(ctx, o, report)
	if err != nil || res.After["total"].Duplicate != 0 {
		t.Fatalf("engagement-scoped dedup looked outside the engagement: %+v %v", res.After["total"], err)
	}
	res, _ = svc.Import(ctx, opts("demo", "MR 3", "Gitleaks Scan"), report)
	if res.After["total"].Duplicate != 3 {
		t.Fatalf("product-wide dedup (the default) missed duplicates: %+v", res.After["total"])
	}
}

func TestImportContextErrors(t *testing.T) {
	t.Parallel()
	svc, db := newService(t)
	report := parse(t, "Gitleaks Scan", "gitleaks/data_one.json")
	if _, err := svc.Import(ctx, opts("P", "E", "Gitleaks Scan"), report); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		tgt  findings.Target
		want string
	}{
		{"no product", findings.Target{ProductName: "Q", EngagementName: "E"}, `Product "Q" does not exist`},
		{"no engagement", findings.Target{ProductName: "P", EngagementName: "F"}, `Engagement "F" does not exist in Product "P"`},
		{"no engagement id", findings.Target{EngagementID: 999}, `Engagement 999 does not exist`},
	}
	before := db.Count(t, "SELECT count(*) FROM tests")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := findings.ImportOptions{ScanType: "Gitleaks Scan", Target: tt.tgt}
			_, err := svc.Import(ctx, o, report)
			var ce *findings.ContextError
			if !errors.As(err, &ce) || len(ce.Messages) != 1 || ce.Messages[0] != tt.want {
				t.Fatalf("err = %v, want [%s]", err, tt.want)
			}
		})
	}
	if after := db.Count(t, "SELECT count(*) FROM tests"); after != before {
		t.Fatalf("failed imports left %d tests behind", after-before)
	}
}

func TestAutoCreateWithoutProductType(t *testing.T) {
	t.Parallel()
	svc, db := newService(t)
	o := findings.ImportOptions{ScanType: "Gitleaks Scan", Target: findings.Target{ProductName: "Q", EngagementName: "E", AutoCreateContext: true}}
	res, err := svc.Import(ctx, o, parse(t, "Gitleaks Scan", "gitleaks/data_one.json"))
	if err != nil {
		t.Fatal(err)
	}
	if n := db.Count(t, `SELECT count(*) FROM products p JOIN product_types pt ON pt.id = p.prod_type
		WHERE p.id = $1 AND pt.name = $2`, res.Product, findings.DefaultProductType); n != 1 {
		t.Fatal("the product was not created under the default product type")
	}
}

func TestMinimumSeverityAndOverrides(t *testing.T) {
	t.Parallel()
	svc, _ := newService(t)
	o := opts("demo", "CI", "Bandit Scan")
	o.MinimumSeverity = "Medium"
	o.Verified = findings.Bool(true)
	res, err := svc.Import(ctx, o, parse(t, "Bandit Scan", "bandit/many_vulns.json"))
	if err != nil {
		t.Fatal(err)
	}
	if res.After["total"].Total != 155 || res.After["low"].Total != 0 {
		t.Fatalf("minimum severity Medium kept %+v", res.After)
	}
	sarif := opts("demo", "CI", "SARIF")
	sarif.Active = findings.Bool(true)
	res, _ = svc.Import(ctx, sarif, parse(t, "SARIF", "sarif/appendix_k.sarif"))
	if s := res.After["total"]; s.FalseP != 1 || s.Active != 0 {
		t.Fatalf("a suppressed SARIF result must stay a false positive, inactive: %+v", s)
	}
}

func TestConcurrentImportsCreateOneContext(t *testing.T) {
	t.Parallel()
	svc, db := newService(t)
	report := parse(t, "Gitleaks Scan", "gitleaks/data_one.json")
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := svc.Import(ctx, opts("demo", "CI", "Gitleaks Scan"), report); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := db.Count(t, "SELECT count(*) FROM products") + db.Count(t, "SELECT count(*) FROM engagements"); n != 2 {
		t.Fatalf("5 concurrent imports made %d products and engagements, want 1 each", n)
	}
	if n := db.Count(t, "SELECT count(*) FROM findings WHERE NOT duplicate"); n != 1 {
		t.Fatalf("%d originals, want 1 (the rest duplicates)", n)
	}
}

// The service hashes passwords at its cost, and a user whose hash has
// another cost still signs in (the cost is part of each hash).
func TestPasswordCost(t *testing.T) {
	t.Parallel()
	_, db := newService(t)
	cheap := findings.NewService(db.Pool, findings.WithPasswordCost(bcrypt.MinCost))
	if err := cheap.EnsureAdmin(ctx, "admin", "pw", ""); err != nil {
		t.Fatal(err)
	}
	var hash string
	if err := db.Pool.QueryRow(ctx, `SELECT password_hash FROM dd_users WHERE username = 'admin'`).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if cost, err := bcrypt.Cost([]byte(hash)); err != nil || cost != bcrypt.MinCost {
		t.Fatalf("hash cost %d (%v), want %d", cost, err, bcrypt.MinCost)
	}
	accounts := findings.NewService(db.Pool).Accounts(findings.AccountOptions{Secret: strings.Repeat("k", 32),
		Throttle: findings.Throttle{UserAttempts: 5, AddressAttempts: 20, Backoff: time.Second, BackoffMax: time.Minute}})
	if u, err := accounts.SignIn(ctx, "admin", "pw", "127.0.0.1"); err != nil || u.Username != "admin" {
		t.Fatalf("signing in at the default cost with a hash of cost 4: %v %v", u, err)
	}
}

func TestConcurrentEnsureAdmin(t *testing.T) {
	t.Parallel()
	svc, db := newService(t)
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Replicas starting together, each with the shared env token.
			if err := svc.EnsureAdmin(ctx, "admin", "pw", "token-"+string(rune('a'+i%2))); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := db.Count(t, "SELECT count(*) FROM dd_users"); n != 1 {
		t.Fatalf("%d admins", n)
	}
	for _, key := range []string{"token-a", "token-b"} {
		if u, err := svc.Authenticate(ctx, key); err != nil || u.Username != "admin" {
			t.Fatalf("%s: %v %v", key, u, err)
		}
	}
}

// TestReportBrokenLateStoresNothing streams a report whose first findings
// are fine and which then breaks: they are already being copied when it
// does, and still nothing is stored, for an import or a reimport.
func TestReportBrokenLateStoresNothing(t *testing.T) {
	t.Parallel()
	svc, db := newService(t)
	good := parse(t, "Bandit Scan", "bandit/many_vulns.json")
	broken := errors.New("unexpected end of JSON input")
	src := func(emit func(findings.Finding) error) error {
		for _, f := range good[:150] {
			if err := emit(f); err != nil {
				return err
			}
		}
		return broken
	}
	_, err := svc.ImportFrom(ctx, opts("late", "CI", "Bandit Scan"), src)
	var re *findings.ReportError
	if !errors.As(err, &re) || !errors.Is(err, broken) {
		t.Fatalf("import: err = %v, want a ReportError wrapping the report's error", err)
	}
	if _, err := svc.ReimportFrom(ctx, findings.ReimportOptions{ImportOptions: opts("late", "CI", "Bandit Scan")}, src); !errors.As(err, &re) {
		t.Fatalf("reimport: err = %v, want a ReportError", err)
	}
	for _, table := range []string{"findings", "tests", "engagements", "products"} {
		if n := db.Count(t, "SELECT count(*) FROM "+table); n != 0 {
			t.Fatalf("%d rows in %s after a broken report", n, table)
		}
	}
}

// TestNULIsStoredAsReplacement imports a finding with NUL characters, which
// PostgreSQL's text cannot hold: they are stored as U+FFFD.
func TestNULIsStoredAsReplacement(t *testing.T) {
	t.Parallel()
	svc, db := newService(t)
	p, _ := parsers.Lookup("Gitleaks Scan")
	report := `[{"Description":"token\u0000x","File":"bin/blob\u0000.dat","StartLine":1,"RuleID":"r","Match":"a\u0000b"}]`
	if _, err := svc.ImportFrom(ctx, opts("nul", "CI", "Gitleaks Scan"), findings.FromReport(p, strings.NewReader(report))); err != nil {
		t.Fatal(err)
	}
	if n := db.Count(t, `SELECT count(*) FROM findings WHERE file_path = 'bin/blob`+"\uFFFD"+`.dat' AND strpos(description, 'a`+"\uFFFD"+`b') > 0`); n != 1 {
		t.Fatalf("%d findings stored with U+FFFD in place of NUL, want 1", n)
	}
}

// TestUnstorableTextAnywhereIsReplaced imports findings whose service and
// repeat key hold NUL and whose title is not UTF-8 (a CSV in Latin-1): all
// are stored, the repeats still merged, never a failed import.
func TestUnstorableTextAnywhereIsReplaced(t *testing.T) {
	t.Parallel()
	svc, db := newService(t)
	f := findings.Finding{Title: "caf\xe9 \x00", Severity: findings.Low, Service: "api\x00", RepeatKey: "a\x00b", NbOccurences: 1}
	res, err := svc.ImportFrom(ctx, opts("text", "CI", "Generic Findings Import"), findings.FromList([]findings.Finding{f, f}))
	if err != nil {
		t.Fatal(err)
	}
	if n := db.Count(t, `SELECT count(*) FROM findings WHERE test = $1 AND title = $2 AND service = $3 AND nb_occurences = 2`,
		res.Test, "caf\uFFFD \uFFFD", "api\uFFFD"); n != 1 {
		t.Fatalf("%d findings stored with U+FFFD and their repeat merged, want 1", n)
	}
}
