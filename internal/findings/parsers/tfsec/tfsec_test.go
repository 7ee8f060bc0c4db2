package tfsec

import (
	"errors"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/parsertest"
)

func parse(t *testing.T, report string) []findings.Finding {
	t.Helper()
	return parsertest.Parse(t, Parser{}, report)
}

const current = `{"rule_id": "aws-vpc-no-excessive-port-access", "legacy_rule_id": "AWS050",
	"rule_description": "An ingress Network ACL rule allows ALL ports.", "rule_provider": "aws",
	"impact": "All ports exposed for egressing data", "resolution": "Set specific allowed ports",
	"links": ["https://tfsec.dev/docs/aws/vpc/no-excessive-port-access", "https://registry.terraform.io/x"],
	"description": "Resource 'aws_network_acl_rule.public_inbound[0]' defines a fully open ingress Network ACL rule.",
	"severity": "CRITICAL", "status": "failed",
	"location": {"filename": "/tmp/vpc/resources.tf", "start_line": 155, "end_line": 155}}`

// TestCurrentFormat pins the fields DefectDojo's parser maps (its test of
// many_findings_current.json asserts the same of its first finding).
func TestCurrentFormat(t *testing.T) {
	got := parse(t, `{"results": [`+current+`]}`)
	if len(got) != 1 {
		t.Fatalf("%d findings", len(got))
	}
	f := got[0]
	if f.Title != "An ingress Network ACL rule allows ALL ports." || f.Severity != findings.Critical ||
		f.FilePath != "/tmp/vpc/resources.tf" || f.Line != 155 || f.VulnIDFromTool != "aws-vpc-no-excessive-port-access" ||
		f.Mitigation != "Set specific allowed ports" || f.Impact != "All ports exposed for egressing data" || f.NbOccurences != 1 {
		t.Fatalf("%+v", f)
	}
	if want := "Rule ID: aws-vpc-no-excessive-port-access\nResource 'aws_network_acl_rule.public_inbound[0]' defines a fully open ingress Network ACL rule."; f.Description != want {
		t.Fatalf("description %q, want %q", f.Description, want)
	}
	if f.References != "https://tfsec.dev/docs/aws/vpc/no-excessive-port-access\nhttps://registry.terraform.io/x" {
		t.Fatalf("references %q", f.References)
	}
	// As DefectDojo's parser leaves them: its model's defaults.
	if f.StaticFinding || !f.DynamicFinding {
		t.Fatalf("static %v, dynamic %v", f.StaticFinding, f.DynamicFinding)
	}
}

// TestLegacyFormat reads tfsec's older output: one link, ERROR and
// WARNING severities, passed results (no findings).
func TestLegacyFormat(t *testing.T) {
	got := parse(t, `{"results": [
		{"rule_id": "GCP008", "rule_description": "Legacy auth", "rule_provider": "google", "severity": "ERROR", "passed": true,
		 "location": {"filename": "c.tf", "start_line": 52, "end_line": 92}},
		{"rule_id": "GEN003", "rule_description": "Sensitive data in block.", "rule_provider": "general",
		 "link": "See https://tfsec.dev/docs/general/GEN003/ for more information.", "severity": "WARNING", "passed": false,
		 "location": {"filename": "identity.tf", "start_line": 226, "end_line": 226}, "description": "d"},
		{"rule_id": "X1", "rule_description": "odd", "rule_provider": null, "severity": "SEVERE",
		 "location": {"filename": "x.tf", "start_line": 1, "end_line": 2}, "description": "d"}]}`)
	if len(got) != 2 {
		t.Fatalf("%d findings, want the two that did not pass", len(got))
	}
	if f := got[0]; f.Severity != findings.Medium || f.References != "See https://tfsec.dev/docs/general/GEN003/ for more information." || f.Line != 226 {
		t.Fatalf("%+v", f)
	}
	if got[1].Severity != findings.Low {
		t.Fatalf("an unknown severity is Low: %+v", got[1])
	}
}

// TestRepeatsAreOneFinding reads one rule reported twice at one place (as
// tfsec reports a rule of a module used twice): one finding, counted
// twice; a different end line is another finding.
func TestRepeatsAreOneFinding(t *testing.T) {
	other := strings.Replace(current, `"end_line": 155`, `"end_line": 160`, 1)
	got := parse(t, `{"results": [`+current+`,`+current+`,`+other+`]}`)
	if len(got) != 2 || got[0].NbOccurences != 2 || got[1].NbOccurences != 1 {
		t.Fatalf("%d findings: %+v", len(got), got)
	}
}

func TestResultsMayBeNull(t *testing.T) {
	if got := parse(t, `{"results": null}`); len(got) != 0 {
		t.Fatalf("%+v", got)
	}
	_, err := findings.Parse(Parser{}, strings.NewReader(`{"Issues": []}`))
	if !errors.Is(err, findings.ErrFormat) || !strings.Contains(err.Error(), "tfsec --format json") {
		t.Fatalf("a report without results: %v", err)
	}
}
