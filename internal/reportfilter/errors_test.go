package reportfilter_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/reportfilter"
	"github.com/secbot/secbot/internal/testenv/fixtures"
)

func TestFilterMalformed(t *testing.T) {
	t.Parallel()
	flawfinder, err := fixtures.ReadFile("defectdojo/sarif/flawfinder.sarif")
	if err != nil {
		t.Fatal(err)
	}
	huge := `{"runs": [{"results": [{"message": {"text": "` + strings.Repeat("x", reportfilter.MaxElement) + `"}}]}]}`
	for _, c := range []struct {
		name, scanType, report string
		want                   []string // in the error's text
	}{
		{"cut short", "SARIF", string(flawfinder[:len(flawfinder)/2]), []string{"ends before its JSON value", "runs[0].results[", "a SARIF 2.1.0 JSON log"}},
		{"empty", "Bandit Scan", "", []string{"ends before", "at the top of the document", "bandit -f json"}},
		{"not JSON", "Semgrep JSON Report", "<html>", []string{"invalid character '<'", "byte 0"}},
		{"syntax error in a finding", "Bandit Scan", `{"results": [{"filename": "a.py"}, {"filename" "b.py"}]}`, []string{"invalid character", "results[1]"}},
		{"findings not a list", "Bandit Scan", `{"results": "none"}`, []string{"want a JSON array, found a string", "at results"}},
		{"findings null", "Semgrep JSON Report", `{"results": null}`, []string{"want a JSON array, found null"}},
		{"no findings list", "Semgrep JSON Report", `{"errors": []}`, []string{`no "results" list`}},
		{"file not a string", "Bandit Scan", `{"results": [{"filename": 3}]}`, []string{"field filename: want a JSON string, found a number", "results[0]"}},
		{"finding not an object", "Gitleaks Scan", `[{"File": "a"}, 7]`, []string{"want a JSON object, found a number", "at [1]"}},
		{"gitleaks not a list", "Gitleaks Scan", `{"File": "a"}`, []string{"want a JSON array, found an object"}},
		{"more after the document", "Gitleaks Scan", `[] []`, []string{"more JSON follows"}},
		{"garbage after the document", "Gitleaks Scan", `[] x`, []string{"invalid character 'x'"}},
		{"no runs", "SARIF", `{"version": "2.1.0"}`, []string{"no runs list"}},
		{"run not an object", "SARIF", `{"runs": [[]]}`, []string{"want a JSON object, found an array", "runs[0]"}},
		{"locations not a list", "SARIF", `{"runs": [{"results": [{"locations": {}}]}]}`, []string{"field locations: want a JSON array, found an object", "runs[0].results[0]"}},
		{"two results lists waiting", "SARIF", `{"runs": [{"results": [{"locations": [{"physicalLocation": {"artifactLocation": {"uri": "a", "uriBaseId": "B"}}}]}], "results": []}]}`,
			[]string{"second results list"}},
		{"trivy neither", "Trivy Scan", `{"SchemaVersion": 2}`, []string{"neither Results nor Resources"}},
		{"trivy target not a string", "Trivy Scan", `{"Results": [{"Target": 5}]}`, []string{"want a JSON string, found a number", "Results[0].Target"}},
		{"trivy list not a list", "Trivy Scan", `{"Results": [{"Target": "a", "Vulnerabilities": 1}]}`, []string{"want a JSON array, found a number", "Results[0].Vulnerabilities"}},
		{"trivy scalar", "Trivy Scan", `"report"`, []string{"want a JSON object, found a string"}},
		{"finding too large", "SARIF", huge, []string{"larger than 16 MiB", "report: all", "runs[0].results[0]"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := reportfilter.Filter(c.scanType, strings.NewReader(c.report), io.Discard, func(string) bool { return true })
			if !errors.Is(err, reportfilter.ErrMalformed) {
				t.Fatalf("err = %v, want one wrapping ErrMalformed", err)
			}
			var bad *reportfilter.MalformedError
			if !errors.As(err, &bad) || bad.ScanType != c.scanType {
				t.Fatalf("err = %#v, want a *MalformedError of %s", err, c.scanType)
			}
			for _, want := range c.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}

func TestFilterErrorsQuoteNoValue(t *testing.T) {
	const secret = "glpat-46e2AbCdEfGhIjKlMnOp"
	for _, report := range []string{
		`[{"Secret": "` + secret + `", "File": 7}]`,
		`[{"Secret": "` + secret + `", "File": "a"`,
		`[{"Secret": "` + secret + `", "File": "a"}, "` + secret + `"]`,
	} {
		_, _, err := reportfilter.Filter("Gitleaks Scan", strings.NewReader(report), io.Discard, func(string) bool { return true })
		if err == nil || strings.Contains(err.Error(), "glpat") {
			t.Errorf("err = %v, want an error that does not quote the report", err)
		}
	}
}

func TestFilterRefuses(t *testing.T) {
	keepAll := func(string) bool { return true }
	if _, _, err := reportfilter.Filter("ZAP Scan", strings.NewReader("{}"), io.Discard, keepAll); err == nil ||
		errors.Is(err, reportfilter.ErrMalformed) || !strings.Contains(err.Error(), `"ZAP Scan" cannot be filtered`) || !strings.Contains(err.Error(), "report: all") {
		t.Errorf("an unknown scan type: err = %v", err)
	}
	if _, _, err := reportfilter.Filter("SARIF", strings.NewReader("{}"), io.Discard, nil); err == nil {
		t.Error("a nil keep() is accepted")
	}
	broken := errors.New("connection reset")
	_, _, err := reportfilter.Filter("Gitleaks Scan", io.MultiReader(strings.NewReader(`[{"File": "a"},`), &failingReader{broken}), io.Discard, keepAll)
	if !errors.Is(err, broken) || errors.Is(err, reportfilter.ErrMalformed) || !strings.Contains(err.Error(), "reading the report") {
		t.Errorf("a failing reader: err = %v, want its error, not a malformed report", err)
	}
	_, _, err = reportfilter.Filter("Gitleaks Scan", strings.NewReader(`[{"File": "a"}]`), &failingWriter{broken}, keepAll)
	if !errors.Is(err, broken) || !strings.Contains(err.Error(), "writing the filtered report") {
		t.Errorf("a failing writer: err = %v, want its error", err)
	}
}

type failingReader struct{ err error }

func (r *failingReader) Read([]byte) (int, error) { return 0, r.err }

type failingWriter struct{ err error }

func (w *failingWriter) Write([]byte) (int, error) { return 0, w.err }

// A failing writer stops the filter at the next finding, not at the end
// of a large report.
func TestFilterStopsAtWriteError(t *testing.T) {
	t.Parallel()
	var report bytes.Buffer
	report.WriteString("[")
	for i := range 20_000 {
		if i > 0 {
			report.WriteString(",")
		}
		report.WriteString(`{"File": "a.txt", "Description": "` + strings.Repeat("d", 100) + `"}`)
	}
	report.WriteString("]")
	kept, _, err := reportfilter.Filter("Gitleaks Scan", &report, &failingWriter{errors.New("disk full")}, func(string) bool { return true })
	if err == nil || kept >= 20_000 {
		t.Errorf("kept %d findings before failing (%v): the filter read on after its writer failed", kept, err)
	}
}
