package findings

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"golang.org/x/text/cases"
)

// Algorithm is how findings of a scan type are matched with earlier ones.
type Algorithm string

// DefectDojo's deduplication algorithms. SecBot treats legacy as hash_code.
const (
	ByHashCode       Algorithm = "hash_code"
	ByUniqueID       Algorithm = "unique_id_from_tool"
	ByUniqueIDOrHash Algorithm = "unique_id_from_tool_or_hash_code"
)

// usesUniqueID is true when findings with the same unique_id_from_tool match.
func (a Algorithm) usesUniqueID() bool { return a == ByUniqueID || a == ByUniqueIDOrHash }

// usesHash is true when findings with the same hash_code match.
func (a Algorithm) usesHash() bool { return a != ByUniqueID }

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
	// The GitLab scan types; DefectDojo has no algorithm for GitLab DAST
	// Report (legacy) and hash fields for dependency scanning only.
	"GitLab SAST Report":             {ByHashCode, legacyFields},
	"GitLab Secret Detection Report": {ByHashCode, legacyFields},
	"GitLab Dependency Scanning Report": {ByHashCode, []string{"title", "vulnerability_ids", "file_path",
		"component_name", "component_version"}},
	"GitLab Container Scan": {ByHashCode, legacyFields},
	"GitLab DAST Report":    {ByHashCode, legacyFields},
	// Infrastructure as code, Dockerfiles, Go, running services.
	"Checkov Scan":              {ByHashCode, legacyFields},
	"TFSec Scan":                {ByHashCode, []string{"severity", "vuln_id_from_tool", "file_path", "line"}},
	"Hadolint Dockerfile check": {ByHashCode, legacyFields},
	"Gosec Scanner":             {ByHashCode, legacyFields}, // DefectDojo: legacy
	"Nuclei Scan":               {ByHashCode, []string{"title", "cwe", "severity", "component_name"}},
	// Secrets scanners.
	"Trufflehog Scan":     {ByHashCode, []string{"title", "description", "line"}},
	"Ggshield Scan":       {ByHashCode, legacyFields},
	"Detect-secrets Scan": {ByHashCode, legacyFields},
	"Nosey Parker Scan":   {ByUniqueIDOrHash, legacyFields},
	// Dependency (SCA) scanners.
	"Anchore Grype": {ByHashCode, []string{"title", "severity", "component_name", "component_version"}},
	"Dependency Track Finding Packaging Format (FPF) Export": {ByHashCode, []string{"component_name", "component_version", "vulnerability_ids"}},
	"OSV Scan":            {ByHashCode, []string{"title", "description", "severity"}},
	"NPM Audit v7+ Scan":  {ByHashCode, []string{"title", "severity", "cwe", "vuln_id_from_tool"}},
	"pip-audit Scan":      {ByHashCode, []string{"vuln_id_from_tool", "component_name", "component_version"}},
	"Govulncheck Scanner": {ByUniqueID, []string{"unique_id_from_tool"}},
	"Snyk Scan":           {ByHashCode, []string{"vuln_id_from_tool", "file_path", "component_name", "component_version"}},
	// XML reports and DefectDojo's generic formats.
	"Dependency Check Scan":   {ByHashCode, []string{"title", "cwe", "file_path"}},
	"CycloneDX Scan":          {ByHashCode, []string{"vuln_id_from_tool", "component_name", "component_version"}},
	"ZAP Scan":                {ByHashCode, []string{"title", "cwe", "severity"}},
	"Generic Findings Import": {ByHashCode, legacyFields},
}

// legacyWhenNoCWE lists the scan types whose findings without a CWE are
// hashed on legacyFields instead of their own (DefectDojo's
// HASHCODE_ALLOWS_NULL_CWE set to False).
var legacyWhenNoCWE = map[string]bool{"ZAP Scan": true}

// hashFields returns the fields of f's hash_code in this import.
func (p *preparer) hashFields(f Finding) []string {
	if f.CWE == 0 && legacyWhenNoCWE[p.opt.ScanType] {
		return legacyFields
	}
	return p.fields
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
		case "component_name":
			b.WriteString(orNone(f.ComponentName != "", f.ComponentName))
		case "component_version":
			b.WriteString(orNone(f.ComponentVersion != "", f.ComponentVersion))
		case "unique_id_from_tool":
			b.WriteString(orNone(f.UniqueIDFromTool != "", f.UniqueIDFromTool))
		case "vulnerability_ids":
			ids := slices.Clone(f.VulnerabilityIDs)
			slices.Sort(ids)
			b.WriteString(strings.Join(ids, ""))
		}
	}
	if f.Service != "" {
		b.WriteString(f.Service)
	}
	folded := strings.TrimSpace(fold(b.String()))
	sum := sha256.Sum256([]byte(folded))
	return hex.EncodeToString(sum[:])
}

// fold is Unicode case folding (Python's casefold), at ASCII's speed for
// ASCII text, where folding is lowering A to Z: a long description costs
// a tenth of the time.
func fold(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return cases.Fold().String(s)
		}
	}
	return strings.ToLower(s)
}

func orNone(ok bool, s string) string {
	if ok {
		return s
	}
	return "None"
}

// Which staged rows insertStaged inserts: all of an import's, or those of
// a reimport the test does not have.
const (
	allStaged       = "true"
	unmatchedStaged = "matched IS NULL"
)

// keyLocks is how many locks share out a product's dedup keys (see
// lockKeys): enough that imports of unrelated findings seldom wait for
// each other, few enough that an import taking them all stays far from
// PostgreSQL's lock table's size (max_locks_per_transaction × connections).
const keyLocks = 256

// lockKeys takes, until the transaction ends, the locks of the product's
// dedup keys that the staged rows which selects have: the hash_code and,
// for the algorithms that use it, unique_id_from_tool of each, shared out
// over keyLocks advisory locks per product, taken in ascending order so
// that imports never deadlock. Two imports that could make one another's
// findings duplicates share a lock, so the second one inserts, and picks
// its originals, after the first has committed; imports of other findings
// of the product do not wait. Every import takes these locks before it
// reads the product's findings to match or deduplicate against them.
func lockKeys(ctx context.Context, tx pgx.Tx, product int, opt ImportOptions, which string) error {
	_, err := tx.Exec(ctx, `
		SELECT count(pg_advisory_xact_lock($1::integer, k)) FROM (
			SELECT DISTINCT k FROM (
				SELECT hashtext(hash_code) & ($3 - 1) AS k FROM staged WHERE `+which+`
				UNION ALL
				SELECT hashtext(unique_id_from_tool) & ($3 - 1) FROM staged
				WHERE $2 AND unique_id_from_tool IS NOT NULL AND `+which+`
			) keys ORDER BY k
		) ordered`, product, DedupFor(opt.ScanType).Algorithm.usesUniqueID(), keyLocks)
	if err != nil {
		return fmt.Errorf("locking the findings' keys: %w", err)
	}
	return nil
}

// insertStaged inserts the staged rows that which selects into test, in
// report order, each already marked as DefectDojo's deduplication would
// mark it: a duplicate (inactive, unverified) of the oldest finding of
// the product (or engagement) that is no duplicate itself, has a smaller
// id and the same hash_code or unique_id_from_tool (as the scan type's
// algorithm says) — an older finding, or an earlier one of this
// report — so chains stay flat. The oldest match is the smallest id of
// each key, found once per key by a hash join, not once per finding. The
// caller holds the rows' key locks (lockKeys), so the ids are given out,
// and the originals chosen, in the order in which imports of the same
// findings commit.
func insertStaged(ctx context.Context, tx pgx.Tx, r resolved, test int, opt ImportOptions, which string) error {
	algo := DedupFor(opt.ScanType).Algorithm
	var cols, vals strings.Builder
	for _, c := range stagedColumns {
		id := pgx.Identifier{c}.Sanitize()
		cols.WriteString(", " + id)
		switch c {
		case "active", "verified":
			vals.WriteString(", s." + id + " AND original IS NULL")
		default:
			vals.WriteString(", s." + id)
		}
	}
	// The foreign keys are checked by one query per row; planned again
	// for each row, as the pool's plan_cache_mode has every statement
	// planned, they would cost most of the insert. The hash joins of a
	// large report fit in memory with more than the default work_mem.
	if _, err := tx.Exec(ctx, `SET LOCAL plan_cache_mode = force_generic_plan; SET LOCAL work_mem = '32MB'`); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO findings (id, test, engagement, product, duplicate, duplicate_finding`+cols.String()+`)
		WITH new AS MATERIALIZED (
			SELECT ord, nextval('findings_id_seq') AS id, hash_code, unique_id_from_tool
			FROM (SELECT ord, hash_code, unique_id_from_tool FROM staged WHERE `+which+` ORDER BY ord) s
		), old_hash AS (
			SELECT o.hash_code AS key, min(o.id) AS id FROM findings o
			WHERE $6 AND o.product = $3 AND (NOT $4 OR o.engagement = $2) AND NOT o.duplicate
			  AND o.hash_code IN (SELECT hash_code FROM new)
			GROUP BY o.hash_code
		), old_uid AS (
			SELECT o.unique_id_from_tool AS key, min(o.id) AS id FROM findings o
			WHERE $5 AND o.product = $3 AND (NOT $4 OR o.engagement = $2) AND NOT o.duplicate
			  AND o.unique_id_from_tool IN (SELECT unique_id_from_tool FROM new)
			GROUP BY o.unique_id_from_tool
		), new_hash AS (
			SELECT hash_code AS key, min(id) AS id FROM new WHERE $6 GROUP BY hash_code
		), new_uid AS (
			SELECT unique_id_from_tool AS key, min(id) AS id FROM new
			WHERE $5 AND unique_id_from_tool IS NOT NULL GROUP BY unique_id_from_tool
		), judged AS (
			SELECT n.ord, n.id, least(CASE WHEN oh.id < n.id THEN oh.id END, CASE WHEN nh.id < n.id THEN nh.id END,
				CASE WHEN ou.id < n.id THEN ou.id END, CASE WHEN nu.id < n.id THEN nu.id END) AS original
			FROM new n
			LEFT JOIN old_hash oh ON oh.key = n.hash_code LEFT JOIN new_hash nh ON nh.key = n.hash_code
			LEFT JOIN old_uid ou ON ou.key = n.unique_id_from_tool LEFT JOIN new_uid nu ON nu.key = n.unique_id_from_tool
		)
		SELECT j.id, $1, $2, $3, original IS NOT NULL, original`+vals.String()+`
		FROM judged j JOIN staged s ON s.ord = j.ord`,
		test, r.engagement, r.product, opt.DedupOnEngagement, algo.usesUniqueID(), algo.usesHash())
	if err != nil {
		return fmt.Errorf("inserting findings: %w", err)
	}
	if _, err = tx.Exec(ctx, `RESET plan_cache_mode; RESET work_mem`); err != nil {
		return err
	}
	return refreshValidity(ctx, tx, test, 0)
}
