package checkov

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/parsertest"
)

func parse(t *testing.T, report string) []findings.Finding {
	t.Helper()
	return parsertest.Parse(t, Parser{}, report)
}

const terraform = `{"check_type": "terraform", "results": {"passed_checks": [{"check_id": "CKV_AWS_1", "check_name": "passed"}],
	"failed_checks": [{"check_id": "CKV_AWS_161", "check_name": "Ensure RDS database has IAM authentication enabled",
	"file_path": "/aws/db-app.tf", "file_line_range": [1, 43], "resource": "aws_db_instance.default",
	"guideline": "https://docs.bridgecrew.io/docs/ensure-rds-iam"}]}, "summary": {"failed": 1}}`

const dockerfile = `{"check_type": "dockerfile", "results": {"failed_checks": [{"check_id": "CKV_DOCKER_3",
	"check_name": "Ensure that a user for the container has been created", "file_path": "/aws/resources/Dockerfile",
	"file_line_range": [0, 0], "resource": "/aws/resources/Dockerfile.", "severity": "HIGH"}]}}`

// TestFailedCheck pins the fields DefectDojo's parser maps from a failed
// check (its test of checkov-report-multiple-check_type.json asserts the
// same of its first finding).
func TestFailedCheck(t *testing.T) {
	got := parse(t, terraform)
	if len(got) != 1 {
		t.Fatalf("%d findings, want the failed check only", len(got))
	}
	f := got[0]
	want := findings.Finding{
		Title:       "Ensure RDS database has IAM authentication enabled",
		Description: "Check Type: terraform\nCheck Id: CKV_AWS_161\nEnsure RDS database has IAM authentication enabled\n",
		Severity:    findings.Medium, FilePath: "/aws/db-app.tf", Line: 1, ComponentName: "aws_db_instance.default",
		References: "https://docs.bridgecrew.io/docs/ensure-rds-iam", StaticFinding: true, NbOccurences: 1,
	}
	if !reflect.DeepEqual(f, want) {
		t.Fatalf("got  %+v\nwant %+v", f, want)
	}
}

// TestListOfCheckTypes reads checkov's report of several frameworks, a
// list of check-type objects: each finding names its own check type.
func TestListOfCheckTypes(t *testing.T) {
	got := parse(t, "[\n"+terraform+",\n"+dockerfile+"\n]")
	if len(got) != 2 {
		t.Fatalf("%d findings, want 2", len(got))
	}
	if !strings.HasPrefix(got[0].Description, "Check Type: terraform\n") || !strings.HasPrefix(got[1].Description, "Check Type: dockerfile\n") {
		t.Fatalf("check types: %q, %q", got[0].Description, got[1].Description)
	}
	if d := got[1]; d.Severity != findings.High || d.Line != 0 || d.ComponentName != "/aws/resources/Dockerfile." || d.References != "" {
		t.Fatalf("dockerfile finding: %+v", d)
	}
	if empty := parse(t, "[]"); len(empty) != 0 {
		t.Fatalf("an empty list: %+v", empty)
	}
}

// TestCheckTypeAfterResults reads a report whose results come before its
// check_type: the findings are the same.
func TestCheckTypeAfterResults(t *testing.T) {
	reordered := `{"results": {"failed_checks": [{"check_id": "CKV_AWS_161", "check_name": "Ensure RDS database has IAM authentication enabled",
		"file_path": "/aws/db-app.tf", "file_line_range": [1, 43], "resource": "aws_db_instance.default",
		"guideline": "https://docs.bridgecrew.io/docs/ensure-rds-iam"}]}, "check_type": "terraform"}`
	if got, want := parse(t, reordered), parse(t, terraform); !reflect.DeepEqual(got, want) {
		t.Fatalf("results before check_type:\n%+v\nwant\n%+v", got, want)
	}
}

func TestMissingNameAndNullSeverity(t *testing.T) {
	got := parse(t, `{"check_type": "kubernetes", "results": {"failed_checks": [{"check_id": "CKV_K8S_1", "severity": null}]}}`)
	if len(got) != 1 || got[0].Title != "check_name not found" || got[0].Severity != findings.Medium ||
		got[0].Description != "Check Type: kubernetes\nCheck Id: CKV_K8S_1\n" {
		t.Fatalf("%+v", got)
	}
}

func TestNotACheckovReport(t *testing.T) {
	for name, body := range map[string]string{
		"empty":        "",
		"other object": `{"Issues": []}`,
		"other list":   `[{"check_type": "terraform", "results": {}}, {"line": 3}]`,
		"a number":     `42`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := findings.Parse(Parser{}, strings.NewReader(body))
			if !errors.Is(err, findings.ErrFormat) || !strings.Contains(err.Error(), "checkov -o json") {
				t.Fatalf("err = %v, want an ErrFormat naming checkov's JSON output", err)
			}
		})
	}
}
