package findings_test

import (
	"fmt"
	"testing"

	"github.com/secbot/secbot/internal/findings"
)

func reopts(closeOld bool) findings.ReimportOptions {
	return findings.ReimportOptions{ImportOptions: opts("demo", "CI", "Gitleaks Scan"), CloseOldFindings: closeOld}
}

func delta(r findings.ReimportResult) [4]int {
	return [4]int{r.Delta.Created["total"].Total, r.Delta.Closed["total"].Total, r.Delta.Reactivated["total"].Total, r.Delta.Untouched["total"].Total}
}

func TestReimport(t *testing.T) {
	t.Parallel()
	svc, db := newService(t)
	full := parse(t, "Gitleaks Scan", "gitleaks/gitleaks8_many.json") // 3 findings
	first, err := svc.Reimport(ctx, reopts(true), full)
	if err != nil {
		t.Fatal(err)
	}
	if d := delta(first); d != [4]int{3, 0, 0, 0} || first.Test == 0 {
		t.Fatalf("reimport without a test must import: delta %v", d)
	}
	steps := []struct {
		name   string
		report []findings.Finding
		opt    findings.ReimportOptions
		want   [4]int // created, closed, reactivated, untouched
		active int
	}{
		{"same report", full, reopts(true), [4]int{0, 0, 0, 3}, 3},
		{"one finding gone, close_old_findings", full[:2], reopts(true), [4]int{0, 1, 0, 2}, 2},
		{"it comes back, do_not_reactivate", full, findings.ReimportOptions{ImportOptions: reopts(true).ImportOptions, CloseOldFindings: true, DoNotReactivate: true}, [4]int{0, 0, 0, 3}, 2},
		{"it comes back", full, reopts(true), [4]int{0, 0, 1, 2}, 3},
		{"gone without close_old_findings", full[:1], reopts(false), [4]int{0, 0, 0, 1}, 3},
	}
	for _, st := range steps {
		res, err := svc.Reimport(ctx, st.opt, st.report)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if res.Test != first.Test {
			t.Fatalf("%s: reimported into test %d, want %d", st.name, res.Test, first.Test)
		}
		if d := delta(res); d != st.want || res.After["total"].Active != st.active {
			t.Fatalf("%s: delta %v active %d, want %v and %d", st.name, d, res.After["total"].Active, st.want, st.active)
		}
	}

	// A false positive stays one across reimports, present or not.
	var fp int
	if err := db.Pool.QueryRow(ctx, `SELECT min(id) FROM findings WHERE test = $1`, first.Test).Scan(&fp); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Update(ctx, fp, 0, findings.Change{FalseP: findings.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	for _, report := range [][]findings.Finding{full[1:], full} {
		if _, err := svc.Reimport(ctx, reopts(true), report); err != nil {
			t.Fatal(err)
		}
		var falseP, active bool
		if err := db.Pool.QueryRow(ctx, `SELECT false_p, active FROM findings WHERE id = $1`, fp).Scan(&falseP, &active); err != nil {
			t.Fatal(err)
		}
		if !falseP || active {
			t.Fatalf("the false positive changed on reimport: false_p %v active %v", falseP, active)
		}
	}

	// A new finding is created in the test and deduplicated product-wide.
	other, _ := svc.Import(ctx, opts("demo", "other", "Gitleaks Scan"), parse(t, "Gitleaks Scan", "gitleaks/data_one.json"))
	withNew := append(append([]findings.Finding{}, full...), parse(t, "Gitleaks Scan", "gitleaks/data_one.json")...)
	res, err := svc.Reimport(ctx, reopts(true), withNew)
	if err != nil {
		t.Fatal(err)
	}
	if res.Delta.Created["total"].Total != 1 || res.Delta.Created["total"].Duplicate != 1 {
		t.Fatalf("new finding: created %+v", res.Delta.Created["total"])
	}
	if n := db.Count(t, `SELECT count(*) FROM findings f JOIN findings o ON o.id = f.duplicate_finding
		WHERE f.test = $1 AND o.test = $2`, first.Test, other.Test); n != 1 {
		t.Fatal("the new finding is not a duplicate of the other engagement's finding")
	}
}

// A reimport updates its test as DefectDojo's does: the version, build,
// commit and branch sent, the tags sent; what is not sent is kept.
func TestReimportUpdatesTheTest(t *testing.T) {
	t.Parallel()
	svc, db := newService(t)
	full := parse(t, "Gitleaks Scan", "gitleaks/gitleaks8_many.json")
	first := reopts(true)
	first.Version, first.CommitHash, first.BranchTag, first.Tags = "1.0", "aaa", "main", []string{"ci"}
	res, err := svc.Reimport(ctx, first, full)
	if err != nil {
		t.Fatal(err)
	}
	meta := func() string {
		var version, build, commit, branch string
		var tags []string
		if err := db.Pool.QueryRow(ctx, `SELECT version, build_id, commit_hash, branch_tag, tags FROM tests WHERE id = $1`, res.Test).
			Scan(&version, &build, &commit, &branch, &tags); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("version %s build %s commit %s branch %s tags %v", version, build, commit, branch, tags)
	}
	for _, st := range []struct {
		name                   string
		version, build, commit string
		tags                   []string
		want                   string
	}{
		{"new version and build, no tags", "1.1", "42", "", nil, "version 1.1 build 42 commit aaa branch main tags [ci]"},
		{"new commit and tags", "", "", "bbb", []string{"nightly", "ci"}, "version 1.1 build 42 commit bbb branch main tags [nightly ci]"},
	} {
		opt := reopts(true)
		opt.Version, opt.BuildID, opt.CommitHash, opt.Tags = st.version, st.build, st.commit, st.tags
		again, err := svc.Reimport(ctx, opt, full)
		if err != nil || again.Test != res.Test {
			t.Fatalf("%s: test %d (want %d), %v", st.name, again.Test, res.Test, err)
		}
		if got := meta(); got != st.want {
			t.Fatalf("%s: %s, want %s", st.name, got, st.want)
		}
	}
}
