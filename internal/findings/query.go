package findings

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNotFound means no such finding (or product, engagement, test).
var ErrNotFound = errors.New("findings: not found")

// Stored is a finding as the API shows it.
type Stored struct {
	ID                int        `json:"id"`
	Title             string     `json:"title"`
	Date              string     `json:"date"`
	CWE               int        `json:"cwe"`
	Severity          string     `json:"severity"`
	NumericalSeverity string     `json:"numerical_severity"`
	Description       string     `json:"description"`
	Mitigation        string     `json:"mitigation"`
	Impact            string     `json:"impact"`
	References        string     `json:"references"`
	Test              int        `json:"test"`
	Engagement        int        `json:"-"`
	Product           int        `json:"-"`
	FoundBy           []int      `json:"found_by"`
	Active            bool       `json:"active"`
	Verified          bool       `json:"verified"`
	FalseP            bool       `json:"false_p"`
	Duplicate         bool       `json:"duplicate"`
	DuplicateFinding  *int       `json:"duplicate_finding"`
	OutOfScope        bool       `json:"out_of_scope"`
	RiskAccepted      bool       `json:"risk_accepted"`
	IsMitigated       bool       `json:"is_mitigated"`
	Mitigated         *time.Time `json:"mitigated"`
	HashCode          string     `json:"hash_code"`
	Line              *int       `json:"line"`
	FilePath          *string    `json:"file_path"`
	ComponentName     *string    `json:"component_name"`
	ComponentVersion  *string    `json:"component_version"`
	StaticFinding     bool       `json:"static_finding"`
	DynamicFinding    bool       `json:"dynamic_finding"`
	UniqueIDFromTool  *string    `json:"unique_id_from_tool"`
	VulnIDFromTool    *string    `json:"vuln_id_from_tool"`
	VulnerabilityIDs  []VulnID   `json:"vulnerability_ids"`
	NbOccurences      int        `json:"nb_occurences"`
	Service           *string    `json:"service"`
	Tags              []string   `json:"tags"`
	Created           time.Time  `json:"created"`
	DisplayStatus     string     `json:"display_status"`
	// Notes are the finding's notes as DefectDojo shows them.
	Notes json.RawMessage `json:"notes"`
	// Validity is whether a leaked secret works (valid, invalid,
	// unknown, not_checked; null where the report said nothing), checked
	// at ValidityCheckedAt; its owner and scopes where the provider says.
	Validity          *string    `json:"validity"`
	ValidityCheckedAt *time.Time `json:"validity_checked_at"`
	ValidityOwner     *string    `json:"validity_owner"`
	ValidityScopes    []string   `json:"validity_scopes"`
	// Revocation is what happened when SecBot revoked the secret.
	Revocation *Revocation `json:"secret_revocation"`
}

// VulnID is DefectDojo's shape for a vulnerability id.
type VulnID struct {
	VulnerabilityID string `json:"vulnerability_id"`
}

// displayStatus is DefectDojo's summary of a finding's flags.
func (f *Stored) displayStatus() string {
	var parts []string
	add := func(on bool, word string) {
		if on {
			parts = append(parts, word)
		}
	}
	add(f.Active, "Active")
	add(!f.Active, "Inactive")
	add(f.Verified, "Verified")
	add(f.IsMitigated, "Mitigated")
	add(f.FalseP, "False Positive")
	add(f.OutOfScope, "Out Of Scope")
	add(f.Duplicate, "Duplicate")
	add(f.RiskAccepted, "Risk Accepted")
	return strings.Join(parts, ", ")
}

const findingColumns = `f.id, f.title, to_char(f.date, 'YYYY-MM-DD'), f.cwe, f.severity, f.description, f.mitigation,
	f.impact, f."references", f.test, f.engagement, f.product, f.active, f.verified, f.false_p, f.duplicate,
	f.duplicate_finding, f.out_of_scope, f.risk_accepted, f.is_mitigated, f.mitigated, f.hash_code, f.line,
	f.file_path, f.component_name, f.component_version, f.static_finding, f.dynamic_finding,
	f.unique_id_from_tool, f.vuln_id_from_tool, f.vulnerability_ids, f.nb_occurences, f.service, f.tags, f.created,
	(SELECT t.test_type FROM tests t WHERE t.id = f.test), ` + notesOf + `,
	f.validity, f.validity_checked_at, f.validity_owner, coalesce(f.validity_scopes, '{}'), f.revocation`

func scanFinding(row pgx.CollectableRow) (Stored, error) {
	var f Stored
	var ids []string
	var testType *int
	err := row.Scan(&f.ID, &f.Title, &f.Date, &f.CWE, &f.Severity, &f.Description, &f.Mitigation, &f.Impact,
		&f.References, &f.Test, &f.Engagement, &f.Product, &f.Active, &f.Verified, &f.FalseP, &f.Duplicate,
		&f.DuplicateFinding, &f.OutOfScope, &f.RiskAccepted, &f.IsMitigated, &f.Mitigated, &f.HashCode, &f.Line,
		&f.FilePath, &f.ComponentName, &f.ComponentVersion, &f.StaticFinding, &f.DynamicFinding,
		&f.UniqueIDFromTool, &f.VulnIDFromTool, &ids, &f.NbOccurences, &f.Service, &f.Tags, &f.Created,
		&testType, &f.Notes, &f.Validity, &f.ValidityCheckedAt, &f.ValidityOwner, &f.ValidityScopes, &f.Revocation)
	f.NumericalSeverity = "S" + strconv.Itoa(SeverityRank(f.Severity))
	f.FoundBy = []int{}
	if testType != nil {
		f.FoundBy = []int{*testType}
	}
	f.VulnerabilityIDs = []VulnID{}
	for _, id := range ids {
		f.VulnerabilityIDs = append(f.VulnerabilityIDs, VulnID{id})
	}
	f.DisplayStatus = f.displayStatus()
	return f, err
}

// Filter selects findings, as DefectDojo's /findings/ query parameters do.
type Filter struct {
	// Bools holds active, verified, duplicate, false_p, is_mitigated,
	// out_of_scope, risk_accepted, static_finding, dynamic_finding.
	Bools map[string]bool
	// IDs holds id, test, duplicate_finding, test__engagement,
	// test__engagement__product, test__test_type: each a list of ids.
	IDs        map[string][]int
	Severities []string
	// Validities keeps the findings whose secret's validity is one of
	// these (findings.Validities).
	Validities     []string
	VulnIDFromTool string
	ProductName    string
	// Title, FilePath and HashCode match as case-insensitive substrings.
	Title, FilePath, HashCode string
	TestTag                   string
	// Text matches title, file path or rule id as a case-insensitive
	// substring; ScanType keeps the findings of tests of that scan type
	// (both for the findings pages).
	Text, ScanType string
	// Viewer, when set, keeps the findings of the products the user may
	// see.
	Viewer *User
	// Order is id or -id (default id).
	Order         string
	Limit, Offset int
}

var boolColumns = map[string]string{
	"active": "f.active", "verified": "f.verified", "duplicate": "f.duplicate", "false_p": "f.false_p",
	"is_mitigated": "f.is_mitigated", "out_of_scope": "f.out_of_scope", "risk_accepted": "f.risk_accepted",
	"static_finding": "f.static_finding", "dynamic_finding": "f.dynamic_finding",
}

var idColumns = map[string]string{
	"id": "f.id", "test": "f.test", "duplicate_finding": "f.duplicate_finding",
	"test__engagement": "f.engagement", "test__engagement__product": "f.product",
	"test__test_type": "(SELECT t.test_type FROM tests t WHERE t.id = f.test)",
}

// where builds the filter's SQL condition and arguments.
func (flt Filter) where() (string, []any) {
	var conds []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	for key, v := range flt.Bools {
		if col, ok := boolColumns[key]; ok {
			conds = append(conds, col+" = "+arg(v))
		}
	}
	for key, ids := range flt.IDs {
		if col, ok := idColumns[key]; ok {
			conds = append(conds, col+" = ANY("+arg(ids)+")")
		}
	}
	if len(flt.Severities) > 0 {
		conds = append(conds, "f.severity = ANY("+arg(flt.Severities)+")")
	}
	if len(flt.Validities) > 0 {
		conds = append(conds, "f.validity = ANY("+arg(flt.Validities)+")")
	}
	if flt.VulnIDFromTool != "" {
		conds = append(conds, "f.vuln_id_from_tool = "+arg(flt.VulnIDFromTool))
	}
	if flt.ProductName != "" {
		conds = append(conds, "f.product = (SELECT id FROM products WHERE name = "+arg(flt.ProductName)+")")
	}
	for col, v := range map[string]string{"f.title": flt.Title, "f.file_path": flt.FilePath, "f.hash_code": flt.HashCode} {
		if v != "" {
			conds = append(conds, col+" ILIKE '%' || "+arg(escapeLike(v))+" || '%'")
		}
	}
	if flt.Text != "" {
		p := arg(escapeLike(flt.Text))
		conds = append(conds, "(f.title ILIKE '%' || "+p+" || '%' OR f.file_path ILIKE '%' || "+p+" || '%' OR f.vuln_id_from_tool ILIKE '%' || "+p+" || '%')")
	}
	if flt.ScanType != "" {
		conds = append(conds, "f.test IN (SELECT id FROM tests WHERE scan_type = "+arg(flt.ScanType)+")")
	}
	if flt.TestTag != "" {
		conds = append(conds, "EXISTS (SELECT 1 FROM tests t WHERE t.id = f.test AND "+arg(flt.TestTag)+" = ANY(t.tags))")
	}
	if flt.Viewer != nil {
		conds = append(conds, readable(*flt.Viewer, "f.product", &args))
	}
	if len(conds) == 0 {
		return "true", args
	}
	return strings.Join(conds, " AND "), args
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Findings lists findings matching flt and counts all matches.
func (s *Service) Findings(ctx context.Context, flt Filter) ([]Stored, int, error) {
	where, args := flt.where()
	var count int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM findings f WHERE "+where, args...).Scan(&count); err != nil {
		return nil, 0, fmt.Errorf("findings: counting: %w", err)
	}
	order := "f.id"
	if flt.Order == "-id" {
		order = "f.id DESC"
	}
	rows, err := s.pool.Query(ctx, fmt.Sprintf("SELECT %s FROM findings f WHERE %s ORDER BY %s LIMIT %d OFFSET %d",
		findingColumns, where, order, flt.Limit, flt.Offset), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("findings: listing: %w", err)
	}
	list, err := pgx.CollectRows(rows, scanFinding)
	if err != nil {
		return nil, 0, fmt.Errorf("findings: listing: %w", err)
	}
	return list, count, nil
}

// Finding loads one finding.
func (s *Service) Finding(ctx context.Context, id int) (Stored, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+findingColumns+" FROM findings f WHERE f.id = $1", id)
	if err != nil {
		return Stored{}, err
	}
	f, err := pgx.CollectExactlyOneRow(rows, scanFinding)
	if errors.Is(err, pgx.ErrNoRows) {
		return f, ErrNotFound
	}
	return f, err
}

// Blocking counts the findings among ids that block a pipeline now: active
// ones, and duplicates whose original is active. Triage changes it at once.
func (s *Service) Blocking(ctx context.Context, ids []int) (int, error) {
	blocking, err := s.BlockingIDs(ctx, ids)
	return len(blocking), err
}

// BlockingIDs returns which findings among ids block a pipeline now (see
// Blocking).
func (s *Service) BlockingIDs(ctx context.Context, ids []int) (map[int]bool, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT f.id FROM findings f LEFT JOIN findings o ON o.id = f.duplicate_finding
		WHERE f.id = ANY($1) AND (f.active OR (f.duplicate AND coalesce(o.active, false)))`, ids)
	if err != nil {
		return nil, fmt.Errorf("findings: reading blocking findings: %w", err)
	}
	out := map[int]bool{}
	var id int
	_, err = pgx.ForEachRow(rows, []any{&id}, func() error { out[id] = true; return nil })
	if err != nil {
		return nil, fmt.Errorf("findings: reading blocking findings: %w", err)
	}
	return out, nil
}
