package findings

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"testing"
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestHashCodeOfCycloneDXComponents: component_name and component_version enter
// the hash as DefectDojo's str() writes them, None when missing.
func TestHashCodeOfCycloneDXComponents(t *testing.T) {
	t.Parallel()
	fields := DedupFor("CycloneDX Scan").Fields
	f := Finding{VulnIDFromTool: "CVE-2021-44228", ComponentName: "log4j-core", ComponentVersion: "2.13.2"}
	if got, want := HashCode(f, fields), sha("cve-2021-44228log4j-core2.13.2"); got != want {
		t.Fatalf("hash %s, want %s", got, want)
	}
	f.ComponentVersion = ""
	if got, want := HashCode(f, fields), sha("cve-2021-44228log4j-corenone"); got != want {
		t.Fatalf("without a version: hash %s, want %s", got, want)
	}
}

// TestZAPFindingsWithoutCWE are hashed on the legacy fields, as DefectDojo
// does for scan types that do not allow a null CWE in their hash.
func TestZAPFindingsWithoutCWE(t *testing.T) {
	t.Parallel()
	zap := newPreparer(ImportOptions{ScanType: "ZAP Scan"})
	noCWE := Finding{Title: "Cookie Without Secure Flag", Severity: Low, Description: "d"}
	if got := zap.hashFields(noCWE); !slices.Equal(got, legacyFields) {
		t.Fatalf("ZAP without a CWE: fields %v", got)
	}
	withCWE := noCWE
	withCWE.CWE = 614
	if got := zap.hashFields(withCWE); !slices.Equal(got, []string{"title", "cwe", "severity"}) {
		t.Fatalf("ZAP with a CWE: fields %v", got)
	}
	dc := newPreparer(ImportOptions{ScanType: "Dependency Check Scan"})
	if got := dc.hashFields(noCWE); !slices.Equal(got, []string{"title", "cwe", "file_path"}) {
		t.Fatalf("Dependency Check without a CWE: fields %v", got)
	}
}
