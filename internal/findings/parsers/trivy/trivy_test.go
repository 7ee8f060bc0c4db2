package trivy

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/parsertest"
)

func parseFixture(t *testing.T, name string) []findings.Finding {
	t.Helper()
	return parsertest.ParseSample(t, Parser{}, "trivy/"+name)
}

// TestKubernetesReport pins the fields DefectDojo's tests assert for its
// trivy k8s sample (ClusterName with Vulnerabilities and Misconfigurations).
func TestKubernetesReport(t *testing.T) {
	got := parseFixture(t, "kubernetes.json")
	if len(got) != 20 {
		t.Fatalf("%d findings, want 20", len(got))
	}
	v := got[0]
	wantDescription := "apt: integer overflows and underflows while parsing .deb packages\n" +
		"**Target:** gcr.io/google_samples/gb-redis-follower:v2 (debian 10.4)\n**Type:** debian\n**Fixed version:** 1.8.2.2\n\n" +
		"APT had several integer overflows"
	if v.Title != "CVE-2020-27350 apt 1.8.2.1" || v.Severity != findings.Medium || v.Mitigation != "1.8.2.2" ||
		!reflect.DeepEqual(v.VulnerabilityIDs, []string{"CVE-2020-27350"}) || v.CWE != 190 ||
		v.ComponentName != "apt" || v.ComponentVersion != "1.8.2.1" || v.Service != "default / Deployment / redis-follower" ||
		v.FilePath != "gcr.io/google_samples/gb-redis-follower:v2 (debian 10.4)" ||
		!reflect.DeepEqual(v.Tags, []string{"debian", "os-pkgs"}) || !strings.HasPrefix(v.Description, wantDescription) {
		t.Fatalf("first vulnerability: %+v", v)
	}
	if got[5].Service != "default / Deployment / redis-leader" || !strings.Contains(got[5].Description, "**Target:** docker.io/redis:6.0.5") {
		t.Fatalf("the leader's first vulnerability: %+v", got[5])
	}
	m := got[10]
	if m.Title != "KSV001 - Process can elevate its own privileges" || m.Severity != findings.Medium ||
		m.Mitigation != "Set 'set containers[].securityContext.allowPrivilegeEscalation' to 'false'." ||
		m.VulnerabilityIDs != nil || m.ComponentName != "" || m.Service != "default / Deployment / redis-follower" ||
		!reflect.DeepEqual(m.Tags, []string{"kubernetes", "config"}) {
		t.Fatalf("first misconfiguration: %+v", m)
	}
	// DefectDojo's test compares this description with its white space
	// runs squeezed: the cause's lines follow the message as a table.
	squeezed := strings.Join(strings.Fields(m.Description), " ")
	for _, want := range []string{"**Target:** Deployment/redis-follower **Type:** Kubernetes Security Check A program inside",
		"should set 'securityContext.allowPrivilegeEscalation' to false Number Content 132 - image: gcr.io/google_samples/gb-redis-follower:v2 133",
		"140 cpu: 100m 141"} {
		if !strings.Contains(squeezed, want) {
			t.Fatalf("misconfiguration description lacks %q:\n%s", want, m.Description)
		}
	}
}

func TestClusterScopedResources(t *testing.T) {
	got := parseFixture(t, "kubernetes_cluster_scoped_resources.json")
	services := []string{got[0].Service, got[1].Service, got[2].Service}
	want := []string{"ClusterRole / system:controller:bootstrap-signer", "default / Deployment / redis-follower",
		"ClusterRoleBinding / cluster-admin"}
	if !reflect.DeepEqual(services, want) || got[2].Severity != findings.Low {
		t.Fatalf("services %q, want %q; %+v", services, want, got[2])
	}
}

func TestLicenses(t *testing.T) {
	got := parseFixture(t, "license_scheme.json")
	l := got[0]
	if l.Title != "License detected in OS Packages - GPL-2.0" || l.Severity != findings.High || l.FilePath != "" ||
		l.Description != "GPL-2.0\n**Category:** restricted\n**Package:** alpine-baselayout\n" {
		t.Fatalf("first license: %+v", l)
	}
	if last := got[18]; last.FilePath != "/etc/ssl/misc/tsget.pl" || !reflect.DeepEqual(last.Tags, []string{"license-file"}) {
		t.Fatalf("last license: %+v", last)
	}
}

// TestSeverityFromCVSS: the severity source's score wins over trivy's word
// (ghsa's 9.8 makes a HIGH vulnerability Critical), and a vulnerability
// without a severity is skipped.
func TestSeverityFromCVSS(t *testing.T) {
	if got := parseFixture(t, "issue_9092.json"); got[0].Severity != findings.Critical || got[0].FilePath != "requirements.txt" {
		t.Fatalf("%+v", got[0])
	}
	if got := parseFixture(t, "legacy_trivy_mix.json"); got[0].ComponentName != "lodash" || got[0].FilePath != "" {
		t.Fatalf("the vulnerability without a severity was not skipped, or a legacy result got a path: %+v", got[0])
	}
}

func TestStatuses(t *testing.T) {
	report := func(status string) string {
		return `{"SchemaVersion": 2, "Results": [{"Target": "img", "Class": "os-pkgs", "Type": "debian", "Vulnerabilities": [
			{"VulnerabilityID": "CVE-1", "PkgName": "p", "InstalledVersion": "1", "Severity": "HIGH", "Status": "` + status + `"}]}]}`
	}
	for status, want := range map[string][3]any{
		"not_affected":        {false, true, true},
		"affected":            {true, true, false},
		"under_investigation": {true, false, false},
	} {
		got, err := findings.Parse(Parser{}, strings.NewReader(report(status)))
		if err != nil || len(got) != 1 {
			t.Fatalf("%s: %v %v", status, got, err)
		}
		f := got[0]
		if *f.Active != want[0] || *f.Verified != want[1] || f.IsMitigated != want[2] || f.Impact != status {
			t.Fatalf("%s: active %v verified %v mitigated %v impact %q", status, *f.Active, *f.Verified, f.IsMitigated, f.Impact)
		}
	}
}

func TestUnknownShape(t *testing.T) {
	for _, doc := range []string{`{"SchemaVersion": 3}`, `{"Vulnerabilities": 1, "ClusterName": "c"}`, `"text"`} {
		if _, err := findings.Parse(Parser{}, strings.NewReader(doc)); !errors.Is(err, findings.ErrFormat) {
			t.Fatalf("%s: err = %v, want ErrFormat", doc, err)
		}
	}
	for _, doc := range []string{`null`, `[]`, `{"ClusterName": "c"}`, `{"SchemaVersion": 2}`} {
		if got, err := findings.Parse(Parser{}, strings.NewReader(doc)); err != nil || len(got) != 0 {
			t.Fatalf("%s: %v, %v; want no findings and no error", doc, got, err)
		}
	}
}
