package findings_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers"
	"github.com/secbot/secbot/internal/testenv/fixtures"
)

// repeatedLeak is a gitleaks report with one leak n times and another once.
func repeatedLeak(n int) string {
	leak := `{"Description": "Generic API Key", "StartLine": 3, "File": "app.py", "RuleID": "generic-api-key",
		"Secret": "s3cr3t-Zk29xQ", "Match": "key = s3cr3t-Zk29xQ", "Commit": "%040d"}`
	var leaks []string
	for i := range n {
		leaks = append(leaks, fmt.Sprintf(leak, i))
	}
	leaks = append(leaks, `{"Description": "Other", "StartLine": 9, "File": "b.py", "RuleID": "r", "Secret": "x2", "Match": "x2"}`)
	return "[" + strings.Join(leaks, ",") + "]"
}

// TestRepeatsMerge imports a gitleaks report repeating one leak: streamed,
// the import merges the repeats in the database a batch at a time, into
// what findings.Parse makes of the report in memory; the merged
// description is the first one and each repeat's after a rule, bounded.
func TestRepeatsMerge(t *testing.T) {
	t.Parallel()
	svc, db := newService(t)
	p, _ := parsers.Lookup("Gitleaks Scan")
	for _, n := range []int{3, 2500} {
		report := repeatedLeak(n)
		listed, err := findings.Parse(p, strings.NewReader(report))
		if err != nil || len(listed) != 2 || listed[0].NbOccurences != n {
			t.Fatalf("Parse: %d findings, %v", len(listed), err)
		}
		fromList, err := svc.Import(ctx, opts(fmt.Sprint("list ", n), "CI", "Gitleaks Scan"), listed)
		if err != nil {
			t.Fatal(err)
		}
		streamed, err := svc.ImportFrom(ctx, opts(fmt.Sprint("stream ", n), "CI", "Gitleaks Scan"),
			findings.FromReport(p, strings.NewReader(report)))
		if err != nil {
			t.Fatal(err)
		}
		type stored struct {
			Description, Hash string
			Occurences        int
		}
		read := func(test int) []stored {
			var out []stored
			rows, err := db.Pool.Query(ctx, `SELECT description, hash_code, nb_occurences FROM findings WHERE test = $1 ORDER BY id`, test)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var s stored
				if err := rows.Scan(&s.Description, &s.Hash, &s.Occurences); err != nil {
					t.Fatal(err)
				}
				out = append(out, s)
			}
			return out
		}
		a, b := read(fromList.Test), read(streamed.Test)
		if len(a) != 2 || fmt.Sprint(a) != fmt.Sprint(b) || a[0].Occurences != n || a[1].Occurences != 1 {
			t.Fatalf("%d repeats: streamed %d findings %v…, want what the list makes: %d findings %v…",
				n, len(b), b[0].Occurences, len(a), a[0].Occurences)
		}
		first := strings.Split(a[0].Description, "\n\n***\n\n")[0]
		switch {
		case n == 3 && a[0].Description != strings.Join([]string{first, strings.Replace(first, fmt.Sprintf("%040d", 0), fmt.Sprintf("%040d", 1), 1),
			strings.Replace(first, fmt.Sprintf("%040d", 0), fmt.Sprintf("%040d", 2), 1)}, "\n\n***\n\n"):
			t.Fatalf("3 repeats: description\n%s", a[0].Description)
		case n == 2500 && (len(a[0].Description) > findings.MaxDescription || !findings.IsTruncated(a[0].Description)):
			t.Fatalf("2500 repeats: a description of %d bytes, want at most %d, marked", len(a[0].Description), findings.MaxDescription)
		}
	}
}

// TestRepeatsMergeKeepsComponentHash imports a GitLab dependency scanning
// report that lists one vulnerability twice: the merged finding, hashed
// again in the database, keeps the hash_code its component and version
// make, as when the report is merged in memory.
func TestRepeatsMergeKeepsComponentHash(t *testing.T) {
	t.Parallel()
	svc, db := newService(t)
	const scanType = "GitLab Dependency Scanning Report"
	p, _ := parsers.Lookup(scanType)
	vuln := `{"id": "v1", "name": "Nil Pointer Dereference", "severity": "High", "location": {"file": "go.sum",
		"dependency": {"package": {"name": "golang.org/x/crypto"}, "version": "v0.1.0"}},
		"identifiers": [{"type": "cve", "name": "CVE-2020-29652", "value": "CVE-2020-29652"}]}`
	report := `{"vulnerabilities": [` + vuln + `, ` + vuln + `]}`
	listed, err := findings.Parse(p, strings.NewReader(report))
	if err != nil || len(listed) != 1 || listed[0].NbOccurences != 2 {
		t.Fatalf("Parse: %+v, %v", listed, err)
	}
	want := findings.HashCode(listed[0], findings.DedupFor(scanType).Fields)
	streamed, err := svc.ImportFrom(ctx, opts("deps", "CI", scanType), findings.FromReport(p, strings.NewReader(report)))
	if err != nil {
		t.Fatal(err)
	}
	var hash string
	var n int
	if err := db.Pool.QueryRow(ctx, `SELECT hash_code, nb_occurences FROM findings WHERE test = $1`, streamed.Test).Scan(&hash, &n); err != nil {
		t.Fatal(err)
	}
	if hash != want || n != 2 {
		t.Fatalf("stored hash_code %s with %d occurrences, want %s with 2", hash, n, want)
	}
}

// TestRepeatsKeepTheirHashFields imports a grype report with one
// vulnerability of one package at two paths: merged in the database, the
// finding keeps the hash_code of Anchore Grype's fields (title, severity,
// component name and version), as findings.Parse's merged finding has it.
func TestRepeatsKeepTheirHashFields(t *testing.T) {
	t.Parallel()
	svc, db := newService(t)
	listed := parse(t, "Anchore Grype", "anchore_grype/same_cve_different_paths.json")
	if len(listed) != 1 || listed[0].NbOccurences != 2 {
		t.Fatalf("Parse: %+v", listed)
	}
	want := findings.HashCode(listed[0], findings.DedupFor("Anchore Grype").Fields)
	p, _ := parsers.Lookup("Anchore Grype")
	report, err := fixtures.ReadFile(dojo + "anchore_grype/same_cve_different_paths.json")
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.ImportFrom(ctx, opts("grype", "CI", "Anchore Grype"), findings.FromReport(p, strings.NewReader(string(report))))
	if err != nil {
		t.Fatal(err)
	}
	var hash, component string
	var n int
	if err := db.Pool.QueryRow(ctx, `SELECT hash_code, component_name, nb_occurences FROM findings WHERE test = $1`, res.Test).
		Scan(&hash, &component, &n); err != nil {
		t.Fatal(err)
	}
	if hash != want || component != "libc6" || n != 2 {
		t.Fatalf("stored hash %s (component %q, %d occurrences), want %s", hash, component, n, want)
	}
}
