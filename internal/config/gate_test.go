package config

import (
	"reflect"
	"strings"
	"testing"
)

const gateDoc = `components:
  bandit: {handler_name: command}
  dojo: {handler_name: defectdojo}
jobs:
  - name: sast
    rules: {gitlab: null}
    scans: [bandit]
    outputs: [dojo]
    gate:
      min_severity: High
      new_only: true
      validity: [valid, unknown]
`

func TestGateParses(t *testing.T) {
	t.Parallel()
	f, err := Parse([]byte(gateDoc), Env{})
	if err != nil {
		t.Fatal(err)
	}
	if g := f.Jobs[0].Gate; !reflect.DeepEqual(g, Gate{MinSeverity: "High", NewOnly: true, Validity: []string{"valid", "unknown"}}) {
		t.Fatalf("gate = %+v", g)
	}
	f, err = Parse([]byte(strings.Replace(gateDoc, "    gate:\n      min_severity: High\n      new_only: true\n      validity: [valid, unknown]\n", "", 1)), Env{})
	if err != nil || !f.Jobs[0].Gate.IsZero() {
		t.Fatalf("a job without gate: %+v, %v", f.Jobs[0].Gate, err)
	}
}

func TestGateProblems(t *testing.T) {
	t.Parallel()
	doc := strings.NewReplacer("min_severity: High", "min_severity: high", "new_only: true", "new_only: sometimes",
		"validity: [valid, unknown]", "validity: [valid, alive]").Replace(gateDoc) +
		"  - name: no-output\n    rules: {gitlab: null}\n    scans: [bandit]\n    gate: {min_severity: Low}\n"
	_, err := Parse([]byte(doc), Env{})
	got := strings.Join(lines(err), "\n")
	for _, want := range []string{
		`line 10: jobs[0] ("sast").gate.min_severity: "high" is not one of Info, Low, Medium, High, Critical`,
		`line 11: jobs[0] ("sast").gate.new_only: want true or false, not "sometimes"`,
		`line 12: jobs[0] ("sast").gate.validity: "alive" is not one of valid, invalid, unknown, not_checked`,
		`line 16: jobs[1] ("no-output").gate: the gate reads what outputs stored`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
}

func TestGateBlocks(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		gate     Gate
		severity string
		isNew    bool
		validity string
		want     bool
	}{
		{Gate{}, "Info", false, "", true},
		{Gate{MinSeverity: "High"}, "Medium", true, "", false},
		{Gate{MinSeverity: "High"}, "High", false, "", true},
		{Gate{MinSeverity: "High"}, "Critical", true, "", true},
		{Gate{NewOnly: true}, "Critical", false, "", false},
		{Gate{NewOnly: true, MinSeverity: "Low"}, "Low", true, "", true},
		{Gate{Validity: []string{"valid", "unknown"}}, "High", true, "valid", true},
		{Gate{Validity: []string{"valid", "unknown"}}, "High", true, "unknown", true},
		{Gate{Validity: []string{"valid", "unknown"}}, "High", true, "invalid", false},
		{Gate{Validity: []string{"valid"}}, "High", true, "", false}, // no validity: not_checked
		{Gate{Validity: []string{"not_checked"}}, "High", true, "", true},
		{Gate{}, "High", true, "invalid", true}, // the original's: every active finding
	} {
		if got := tt.gate.Blocks(tt.severity, tt.isNew, tt.validity); got != tt.want {
			t.Errorf("%+v.Blocks(%s, new=%v, %q) = %v, want %v", tt.gate, tt.severity, tt.isNew, tt.validity, got, tt.want)
		}
	}
}
