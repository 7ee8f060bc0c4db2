package findings

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// TestHashCodeOfComponents: component_name, component_version and
// unique_id_from_tool join the hash_code as DefectDojo's str() of them
// does, None when empty.
func TestHashCodeOfComponents(t *testing.T) {
	t.Parallel()
	sum := func(s string) string {
		h := sha256.Sum256([]byte(s))
		return hex.EncodeToString(h[:])
	}
	fields := []string{"vuln_id_from_tool", "component_name", "component_version", "unique_id_from_tool"}
	for _, tt := range []struct {
		f    Finding
		want string
	}{
		{Finding{VulnIDFromTool: "SNYK-1", ComponentName: "Lodash", ComponentVersion: "4.17.11", UniqueIDFromTool: "U"}, "snyk-1lodash4.17.11u"},
		{Finding{VulnIDFromTool: "PYSEC-1"}, "pysec-1nonenonenone"},
	} {
		if got := HashCode(tt.f, fields); got != sum(tt.want) {
			t.Errorf("%+v: hash of %q wanted", tt.f, tt.want)
		}
	}
	grype := DedupFor("Anchore Grype")
	a := Finding{Title: "CVE-1 in libc6:2.28-10", Severity: High, ComponentName: "libc6", ComponentVersion: "2.28-10", FilePath: "/lib/a"}
	b := a
	b.FilePath, b.Description = "/usr/lib/a", "other"
	if grype.Algorithm != ByHashCode || HashCode(a, grype.Fields) != HashCode(b, grype.Fields) {
		t.Error("Anchore Grype findings differing only by path and description hash apart")
	}
	b.ComponentVersion = "2.28-11"
	if HashCode(a, grype.Fields) == HashCode(b, grype.Fields) {
		t.Error("the component version does not enter Anchore Grype's hash_code")
	}
}
