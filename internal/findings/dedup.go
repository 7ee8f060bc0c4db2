package findings

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/text/cases"
)

// Algorithm is how findings of a scan type are matched with earlier ones.
type Algorithm string

// DefectDojo's deduplication algorithms. SecBot treats legacy as hash_code.
const (
	ByHashCode       Algorithm = "hash_code"
	ByUniqueIDOrHash Algorithm = "unique_id_from_tool_or_hash_code"
)

// legacyFields are DefectDojo's default hash_code fields.
var legacyFields = []string{"title", "cwe", "line", "file_path", "description"}

// Dedup is a scan type's deduplication setting.
type Dedup struct {
	Algorithm Algorithm
	Fields    []string
}

var dedupByScanType = map[string]Dedup{
	"Gitleaks Scan":       {ByHashCode, legacyFields},
	"SARIF":               {ByUniqueIDOrHash, legacyFields},
	"Trivy Scan":          {ByHashCode, []string{"title", "severity", "vulnerability_ids", "cwe", "description"}},
	"Semgrep JSON Report": {ByUniqueIDOrHash, legacyFields},
	"Bandit Scan":         {ByHashCode, []string{"file_path", "line", "vuln_id_from_tool"}},
}

// DedupFor returns the deduplication setting of a scan type.
func DedupFor(scanType string) Dedup {
	if d, ok := dedupByScanType[scanType]; ok {
		return d
	}
	return Dedup{ByHashCode, legacyFields}
}

// HashCode computes DefectDojo's hash_code of a finding: the fields'
// Python str() values concatenated (None for empty nullable fields,
// vulnerability ids sorted), service appended when set, case-folded,
// trimmed, SHA-256 in hex.
func HashCode(f Finding, fields []string) string {
	var b strings.Builder
	for _, field := range fields {
		switch field {
		case "title":
			b.WriteString(f.Title)
		case "cwe":
			b.WriteString(strconv.Itoa(f.CWE))
		case "line":
			b.WriteString(orNone(f.Line != 0, strconv.Itoa(f.Line)))
		case "file_path":
			b.WriteString(orNone(f.FilePath != "", f.FilePath))
		case "description":
			b.WriteString(f.Description)
		case "severity":
			b.WriteString(f.Severity)
		case "vuln_id_from_tool":
			b.WriteString(orNone(f.VulnIDFromTool != "", f.VulnIDFromTool))
		case "vulnerability_ids":
			ids := slices.Clone(f.VulnerabilityIDs)
			slices.Sort(ids)
			b.WriteString(strings.Join(ids, ""))
		}
	}
	if f.Service != "" {
		b.WriteString(f.Service)
	}
	folded := strings.TrimSpace(cases.Fold().String(b.String()))
	sum := sha256.Sum256([]byte(folded))
	return hex.EncodeToString(sum[:])
}

func orNone(ok bool, s string) string {
	if ok {
		return s
	}
	return "None"
}
