package api

import (
	"bufio"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/input"
	"github.com/secbot/secbot/internal/findings/parsers"
)

// reportExtensions are the file extensions DefectDojo accepts for reports.
var reportExtensions = []string{".json", ".jsonl", ".sarif", ".xml", ".csv", ".txt", ".html", ".nessus", ".log", ".zip", ".yaml", ".yml", ".js"}

// form reads multipart fields the way DefectDojo's serializer does.
type form struct {
	values map[string][]string
	errs   input.Errors
}

// checkText refuses every field PostgreSQL could not store as text, each
// under its own name (tags included, however many there are).
func (f *form) checkText() {
	for key, values := range f.values {
		for _, v := range values {
			if msg := input.TextProblem(v); msg != "" {
				f.errs.Add(key, msg)
				break
			}
		}
	}
}

func (f *form) str(key string) string {
	if v := f.values[key]; len(v) > 0 {
		return strings.TrimSpace(v[0])
	}
	return ""
}

// boolean reads true/True/1/yes/on and their opposites; absent is nil.
func (f *form) boolean(key string) *bool {
	raw := f.str(key)
	if raw == "" {
		return nil
	}
	b, ok := findings.ParseBool(raw)
	if !ok {
		f.errs.Add(key, "Must be a valid boolean.")
		return nil
	}
	return &b
}

func (f *form) flag(key string, def bool) bool {
	if b := f.boolean(key); b != nil {
		return *b
	}
	return def
}

func (f *form) integer(key string) int {
	raw := f.str(key)
	if raw == "" {
		return 0
	}
	n, ok := input.ParseID(raw)
	if !ok {
		f.errs.Add(key, fmt.Sprintf("Invalid pk %q - object does not exist.", raw))
	}
	return n
}

// tags reads repeated tags fields, each a list as findings.SplitTags reads it.
func (f *form) tags() []string {
	out := []string{}
	for _, v := range f.values["tags"] {
		for _, t := range findings.SplitTags(v) {
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

func (a *API) importScan(c *fiber.Ctx) error {
	return a.upload(c, func(f *form, opt findings.ImportOptions, src findings.Source) (fiber.Map, error) {
		opt.CloseOldFindings = f.flag("close_old_findings", false)
		res, err := a.Service.ImportFrom(c.UserContext(), opt, src)
		if err != nil {
			return nil, err
		}
		out := importResponse(f, opt, false, res.ProductType, res.Product, res.Engagement, res.Test)
		out["statistics"] = fiber.Map{"after": res.After}
		return out, nil
	})
}

func (a *API) reimportScan(c *fiber.Ctx) error {
	return a.upload(c, func(f *form, opt findings.ImportOptions, src findings.Source) (fiber.Map, error) {
		ro := findings.ReimportOptions{ImportOptions: opt, TestID: f.integer("test"),
			CloseOldFindings: f.flag("close_old_findings", true), DoNotReactivate: f.flag("do_not_reactivate", false)}
		if len(f.errs) > 0 {
			return nil, nil
		}
		res, err := a.Service.ReimportFrom(c.UserContext(), ro, src)
		if err != nil {
			return nil, err
		}
		out := importResponse(f, opt, true, res.ProductType, res.Product, res.Engagement, res.Test)
		out["statistics"] = fiber.Map{"before": res.Before, "delta": res.Delta, "after": res.After}
		return out, nil
	})
}

// upload reads a multipart import or reimport and runs do on its report,
// which is parsed as it is stored; it answers with DefectDojo's shapes:
// field errors, an unreadable report, a missing context, or 201 with do's
// answer.
func (a *API) upload(c *fiber.Ctx, do func(*form, findings.ImportOptions, findings.Source) (fiber.Map, error)) error {
	req, err := receive(c)
	var malformed errMalformed
	if errors.As(err, &malformed) {
		return c.Status(fiber.StatusBadRequest).JSON(fiber.Map{"non_field_errors": []string{malformed.Error()}})
	}
	if err != nil {
		return err
	}
	defer req.Close()
	f := &form{values: req.values, errs: input.Errors{}}
	if f.checkText(); len(f.errs) > 0 {
		return c.Status(fiber.StatusBadRequest).JSON(f.errs)
	}
	opt := a.readImport(f, req.fileName)
	opt.ReportBytes = req.size
	if len(f.errs) > 0 {
		return c.Status(fiber.StatusBadRequest).JSON(f.errs)
	}
	testID, _ := input.ParseID(f.str("test")) // a bad one is the reimport's to say
	switch err := a.Service.AuthorizeImport(c.UserContext(), caller(c), opt.Target, testID); {
	case errors.Is(err, findings.ErrNotFound):
		field, raw := "product_name", opt.ProductName
		if test := f.str("test"); test != "" {
			field, raw = "test", test
		} else if opt.EngagementID > 0 {
			field, raw = "engagement", f.str("engagement")
		}
		return c.Status(fiber.StatusBadRequest).JSON(fiber.Map{field: []string{fmt.Sprintf("Invalid pk %q - object does not exist.", raw)}})
	case errors.Is(err, findings.ErrForbidden):
		return detail(c, fiber.StatusForbidden, forbidden)
	case err != nil:
		return err
	}
	parser, _ := parsers.Lookup(opt.ScanType)
	out, err := do(f, opt, findings.FromReport(parser, bufio.NewReaderSize(req.report, 64<<10)))
	var ce *findings.ContextError
	var re *findings.ReportError
	switch {
	case len(f.errs) > 0:
		return c.Status(fiber.StatusBadRequest).JSON(f.errs)
	case errors.As(err, &re):
		a.Log.Info("import refused: unreadable report", "scan_type", opt.ScanType, "error", err)
		return c.Status(fiber.StatusBadRequest).JSON(fiber.Map{"message": re.Error()})
	case errors.As(err, &ce):
		return c.Status(fiber.StatusBadRequest).JSON(ce.Messages)
	case err != nil:
		return err
	}
	// Deduplication is done when we answer; clients (SecBot's own output)
	// need not wait for it as they must with DefectDojo.
	c.Set(DedupHeader, "synchronous")
	return c.Status(fiber.StatusCreated).JSON(out)
}

// DedupHeader tells a client that the answer's duplicate flags are final.
const DedupHeader = "X-Secbot-Dedup"

// readImport validates the fields; problems are collected in f.errs.
func (a *API) readImport(f *form, fileName string) findings.ImportOptions {
	opt := findings.ImportOptions{
		ScanType: f.str("scan_type"), TestTitle: f.str("test_title"),
		Target: findings.Target{
			EngagementID: f.integer("engagement"), ProductTypeName: f.str("product_type_name"),
			ProductName: f.str("product_name"), EngagementName: f.str("engagement_name"),
			AutoCreateContext: f.flag("auto_create_context", false), LeadID: f.integer("lead"),
		},
		Active: f.boolean("active"), Verified: f.boolean("verified"), Tags: f.tags(),
		ApplyTagsToFindings:  f.flag("apply_tags_to_findings", false),
		DedupOnEngagement:    f.flag("deduplication_on_engagement", false),
		CloseOldProductScope: f.flag("close_old_findings_product_scope", false),
		Version:              f.str("version"), BuildID: f.str("build_id"), BranchTag: f.str("branch_tag"),
		CommitHash: f.str("commit_hash"), Service: f.str("service"),
		MinimumSeverity: f.str("minimum_severity"),
	}
	switch _, err := parsers.Lookup(opt.ScanType); {
	case opt.ScanType == "":
		f.errs.Add("scan_type", "This field is required.")
	case err != nil:
		// DRF's message first, as clients read it; then what SecBot reads.
		f.errs.Add("scan_type", err.Error())
		f.errs.Add("scan_type", "SecBot reads these scan types: "+strings.Join(parsers.ScanTypes(), ", ")+" (GET /api/v2/test_types/ lists them too).")
	}
	if m := opt.MinimumSeverity; m != "" && findings.NormalizeSeverity(m) != m {
		f.errs.Add("minimum_severity", fmt.Sprintf("%q is not a valid choice.", m))
	}
	if raw := f.str("scan_date"); raw != "" {
		d, err := time.Parse(time.DateOnly, raw)
		switch {
		case err != nil:
			f.errs.Add("scan_date", "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.")
		case d.After(time.Now().UTC()):
			f.errs.Add("scan_date", "The scan_date cannot be in the future!")
		default:
			opt.ScanDate = d
		}
	}
	if fileName == "" {
		f.errs.Add("non_field_errors", "Uploading a Report File is required for "+opt.ScanType)
		return opt
	}
	if ext := strings.ToLower(filepath.Ext(baseName(fileName))); !slices.Contains(reportExtensions, ext) {
		f.errs.Add("file", fmt.Sprintf("File extension %q is not allowed. Allowed extensions are: %s", ext, strings.Join(reportExtensions, ", ")))
	}
	return opt
}

// echoedFlags are the import's boolean fields with the defaults an
// import (and, second, a reimport) answers when they were not sent.
var echoedFlags = map[string][2]bool{
	"auto_create_context": {false, false}, "deduplication_on_engagement": {false, false},
	"close_old_findings": {false, true}, "close_old_findings_product_scope": {false, false},
	"push_to_jira": {false, false}, "apply_tags_to_findings": {false, false}, "apply_tags_to_endpoints": {false, false},
	"do_not_reactivate": {false, false}, "create_finding_groups_for_all_findings": {true, true},
}

// echoedIDs are the import's fields that DefectDojo answers as integers.
var echoedIDs = []string{"engagement", "lead", "test", "api_scan_configuration"}

// importResponse echoes the validated inputs with what the import made,
// as DefectDojo's 201 answer does: booleans and ids as JSON booleans and
// numbers, tags as a list, and deduplication_complete (true: SecBot
// deduplicates before it answers). Options SecBot takes but that do
// nothing here are named in a warning.
func importResponse(f *form, opt findings.ImportOptions, reimport bool, productType, product, engagement, test int) fiber.Map {
	out := fiber.Map{}
	for key, v := range f.values {
		if len(v) > 0 {
			out[key] = v[0]
		}
	}
	for key, defaults := range echoedFlags {
		def := defaults[0]
		if reimport {
			def = defaults[1]
		}
		out[key] = f.flag(key, def)
	}
	for _, key := range []string{"active", "verified"} {
		if b := f.boolean(key); b != nil {
			out[key] = *b
		}
	}
	for _, key := range echoedIDs {
		if n := f.integer(key); n > 0 {
			out[key] = n
		}
	}
	var warnings []string
	if f.flag("push_to_jira", false) {
		warnings = append(warnings, "push_to_jira: SecBot has no Jira integration; nothing was pushed.")
	}
	if g := f.str("group_by"); g != "" {
		warnings = append(warnings, "group_by: SecBot does not group findings; each finding stands alone.")
	}
	if len(warnings) > 0 {
		out["warning"] = strings.Join(warnings, " ")
	}
	out["tags"] = opt.Tags
	out["scan_type"] = opt.ScanType
	out["test"], out["test_id"] = test, test
	out["engagement_id"], out["product_id"], out["product_type_id"] = engagement, product, productType
	out["deduplication_complete"] = true
	if opt.EngagementID == 0 {
		out["engagement"] = engagement
	}
	return out
}
