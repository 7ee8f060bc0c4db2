// Package parsertest holds what the tests of report parsers share:
// parsing a report in a test, reading a sample report, and failing a
// test whose findings show a secret of the report in any text field.
package parsertest

import (
	"reflect"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/testenv/fixtures"
)

// Parse reads a whole report with p, failing t if it cannot.
func Parse(t testing.TB, p findings.Parser, report string) []findings.Finding {
	t.Helper()
	got, err := findings.Parse(p, strings.NewReader(report))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// Sample is a sample report of the fixtures, by its path under
// defectdojo/ ("trufflehog/v3_git.json").
func Sample(t testing.TB, name string) string {
	t.Helper()
	data, err := fixtures.ReadFile("defectdojo/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// Texts lists every text a finding holds: its string fields and the
// strings of its lists, whatever fields Finding has.
func Texts(f findings.Finding) []string {
	var out []string
	v := reflect.ValueOf(f)
	for i := range v.NumField() {
		field := v.Field(i)
		switch {
		case field.Kind() == reflect.String:
			out = append(out, field.String())
		case field.Kind() == reflect.Slice && field.Type().Elem().Kind() == reflect.String:
			for j := range field.Len() {
				out = append(out, field.Index(j).String())
			}
		}
	}
	return out
}

// NoSecret fails t for each secret that any of the findings shows.
func NoSecret(t testing.TB, list []findings.Finding, secrets []string) {
	t.Helper()
	if len(secrets) == 0 {
		t.Fatal("no secrets to look for: the test reads none from its report")
	}
	for _, f := range list {
		for _, text := range Texts(f) {
			for _, s := range secrets {
				if s != "" && strings.Contains(text, s) {
					t.Errorf("the secret %.6q… shows in the finding %q:\n%.400s", s, f.Title, text)
				}
			}
		}
	}
}

// ParseSample reads a sample report of the fixtures (its path under
// defectdojo/) whole with p, failing t if it cannot.
func ParseSample(t testing.TB, p findings.Parser, name string) []findings.Finding {
	t.Helper()
	return Parse(t, p, Sample(t, name))
}
