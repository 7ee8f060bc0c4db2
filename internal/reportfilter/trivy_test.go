package reportfilter_test

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/reportfilter"
)

// The shapes of trivy reports the fixtures lack.
func TestTrivyShapes(t *testing.T) {
	const (
		cve1   = `{"VulnerabilityID": "CVE-1", "PkgName": "p", "InstalledVersion": "1", "Severity": "HIGH"}`
		cve2   = `{"VulnerabilityID": "CVE-2", "PkgName": "q", "InstalledVersion": "2", "Severity": "LOW"}`
		secret = `{"RuleID": "aws", "Title": "AWS", "Severity": "CRITICAL", "StartLine": 3, "Match": "key=****"}`
		ksv    = `{"ID": "KSV001", "Title": "root", "Severity": "MEDIUM"}`
	)
	for _, c := range []struct {
		name, report, want string
		accept             []string
		kept, dropped      int
	}{
		{
			name:   "the older top-level list",
			report: `[{"Target": "a.txt", "Vulnerabilities": [` + cve1 + `]}, {"Target": "./b.txt", "Vulnerabilities": [` + cve2 + `, ` + cve1 + `]}]`,
			want:   `[{"Target": "a.txt", "Vulnerabilities": [` + cve1 + `]}]`,
			accept: []string{"a.txt"}, kept: 1, dropped: 2,
		},
		{
			name: "Target after a list, and none",
			report: `{"SchemaVersion": 2, "Results": [{"Class": "secret", "Secrets": [` + secret + `], "Target": "b.txt"},` +
				`{"Class": "lang-pkgs", "Vulnerabilities": [` + cve2 + `]}]}`,
			want:   `{"SchemaVersion": 2, "Results": [{"Class": "lang-pkgs", "Vulnerabilities": [` + cve2 + `]}]}`,
			accept: nil, kept: 1, dropped: 1,
		},
		{
			name:   "Target after a list, accepted",
			report: `{"Results": [{"Class": "secret", "Secrets": [` + secret + `], "Target": "b.txt", "Licenses": null, "Vulnerabilities": [` + cve1 + `]}]}`,
			want:   `{"Results": [{"Class": "secret", "Secrets": [` + secret + `], "Target": "b.txt", "Licenses": null, "Vulnerabilities": [` + cve1 + `]}]}`,
			accept: []string{"b.txt"}, kept: 2,
		},
		{
			name:   "Results null, Resources kept",
			report: `{"Results": null, "Resources": [{"Namespace": "ns", "Kind": "Deployment", "Name": "app", "Results": [{"Target": "Deployment/app", "Misconfigurations": [` + ksv + `]}]}]}`,
			want:   `{"Results": null, "Resources": [{"Namespace": "ns", "Kind": "Deployment", "Name": "app", "Results": [{"Target": "Deployment/app", "Misconfigurations": [` + ksv + `]}]}]}`,
			kept:   1,
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			var seen []string
			kept, dropped, err := reportfilter.Filter("Trivy Scan", strings.NewReader(c.report), &out, func(path string) bool {
				seen = append(seen, path)
				return slices.Contains(c.accept, path)
			})
			if err != nil {
				t.Fatal(err)
			}
			if kept != c.kept || dropped != c.dropped {
				t.Errorf("kept %d and dropped %d, want %d and %d", kept, dropped, c.kept, c.dropped)
			}
			if strings.Contains(c.report, "Resources") && len(seen) > 0 {
				t.Errorf("keep() was asked about %q, a Kubernetes resource", seen)
			}
			if got, want := decode(t, out.Bytes()), decode(t, []byte(c.want)); !reflect.DeepEqual(got, want) {
				t.Errorf("got  %s\nwant %s", out.Bytes(), c.want)
			}
			if got, want := parse(t, "Trivy Scan", out.Bytes()), parse(t, "Trivy Scan", []byte(c.want)); !reflect.DeepEqual(got, want) {
				t.Errorf("SecBot's parser reads %+v, want %+v", got, want)
			}
			if strings.Contains(c.name, "accepted") && !bytes.Contains(out.Bytes(), []byte(`"Class":"secret","Secrets":[`)) {
				t.Errorf("the result's members are not in their order: %s", out.Bytes())
			}
		})
	}
}
