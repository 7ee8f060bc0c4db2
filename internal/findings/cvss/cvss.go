// Package cvss reads CVSS v3.0 and v3.1 vectors and computes their base
// score and severity, as FIRST's specification defines them: some report
// formats give only a vector, and DefectDojo takes the severity from it.
package cvss

import (
	"fmt"
	"math"
	"strings"
)

// V3 is a parsed CVSS v3 vector.
type V3 struct {
	// Minor is 0 or 1 (CVSS:3.0 or CVSS:3.1); the rounding differs.
	Minor   int
	metrics map[string]string
}

// The base metrics, which a vector must all have, and the values each
// metric may take (the temporal and environmental ones are checked, not
// scored).
var (
	baseMetrics = []string{"AV", "AC", "PR", "UI", "S", "C", "I", "A"}
	values      = map[string]string{
		"AV": "NALP", "AC": "LH", "PR": "NLH", "UI": "NR", "S": "UC", "C": "HLN", "I": "HLN", "A": "HLN",
		"E": "XUPFH", "RL": "XOTWU", "RC": "XURC",
		"CR": "XLMH", "IR": "XLMH", "AR": "XLMH",
		"MAV": "XNALP", "MAC": "XLH", "MPR": "XNLH", "MUI": "XNR", "MS": "XUC", "MC": "XNLH", "MI": "XNLH", "MA": "XNLH",
	}
)

// ParseV3 reads a vector such as "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".
func ParseV3(vector string) (V3, error) {
	rest, ok := strings.CutPrefix(vector, "CVSS:3.")
	if !ok || len(rest) < 2 || (rest[0] != '0' && rest[0] != '1') || rest[1] != '/' {
		return V3{}, fmt.Errorf("cvss: %q does not start with CVSS:3.0/ or CVSS:3.1/", vector)
	}
	v := V3{Minor: int(rest[0] - '0'), metrics: map[string]string{}}
	for _, field := range strings.Split(rest[2:], "/") {
		key, value, ok := strings.Cut(field, ":")
		allowed, known := values[key]
		switch {
		case !ok || !known:
			return V3{}, fmt.Errorf("cvss: %q in %q is no CVSS v3 metric", field, vector)
		case len(value) != 1 || !strings.Contains(allowed, value):
			return V3{}, fmt.Errorf("cvss: %q in %q has a value %s does not take", field, vector, key)
		case v.metrics[key] != "":
			return V3{}, fmt.Errorf("cvss: %s appears twice in %q", key, vector)
		}
		v.metrics[key] = value
	}
	for _, key := range baseMetrics {
		if v.metrics[key] == "" {
			return V3{}, fmt.Errorf("cvss: %q lacks the base metric %s", vector, key)
		}
	}
	return v, nil
}

var weights = map[string]map[string]float64{
	"AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
	"AC": {"L": 0.77, "H": 0.44},
	"UI": {"N": 0.85, "R": 0.62},
	"C":  {"H": 0.56, "L": 0.22, "N": 0},
	"I":  {"H": 0.56, "L": 0.22, "N": 0},
	"A":  {"H": 0.56, "L": 0.22, "N": 0},
}

// BaseScore is the vector's base score, 0.0 to 10.0.
func (v V3) BaseScore() float64 {
	changed := v.metrics["S"] == "C"
	pr := map[string]float64{"N": 0.85, "L": 0.62, "H": 0.27}[v.metrics["PR"]]
	if changed && v.metrics["PR"] != "N" {
		pr = map[string]float64{"L": 0.68, "H": 0.5}[v.metrics["PR"]]
	}
	w := func(key string) float64 { return weights[key][v.metrics[key]] }
	iss := 1 - (1-w("C"))*(1-w("I"))*(1-w("A"))
	impact := 6.42 * iss
	if changed {
		impact = 7.52*(iss-0.029) - 3.25*math.Pow(iss-0.02, 15)
	}
	if impact <= 0 {
		return 0
	}
	exploitability := 8.22 * w("AV") * w("AC") * pr * w("UI")
	score := impact + exploitability
	if changed {
		score *= 1.08
	}
	return v.roundUp(math.Min(score, 10))
}

// roundUp is the specification's Roundup: the smallest number of one
// decimal not below x (v3.1 first rounds x to five decimals, so that
// floating point noise does not add a tenth).
func (v V3) roundUp(x float64) float64 {
	if v.Minor == 0 {
		return math.Ceil(x*10) / 10
	}
	i := int64(math.Round(x * 100000))
	if i%10000 == 0 {
		return float64(i) / 100000
	}
	return float64(i/10000+1) / 10
}

// Severity names a score as the specification does: "None" (0.0), "Low",
// "Medium", "High" or "Critical".
func Severity(score float64) string {
	switch {
	case score >= 9:
		return "Critical"
	case score >= 7:
		return "High"
	case score >= 4:
		return "Medium"
	case score > 0:
		return "Low"
	}
	return "None"
}

// BaseSeverity is the severity of the base score.
func (v V3) BaseSeverity() string { return Severity(v.BaseScore()) }
