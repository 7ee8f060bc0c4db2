package handler

import "encoding/json"

// Result is what a task's handler answers; the worker stores it with the
// task, and hands it to the tasks that depend on it.
type Result struct {
	// Findings is how many findings the task saw.
	Findings int `json:"findings"`
	// ActiveFindings is how many of them block the pipeline.
	ActiveFindings int `json:"active_findings"`
	// ScanType is a scan's report format, as DefectDojo's scan_type names
	// it ("Gitleaks Scan", "SARIF", "Bandit Scan"): outputs import the
	// report as that.
	ScanType string `json:"scan_type,omitempty"`
	// Stored is true when a scan put its report in Request.Reports rather
	// than in Data.
	Stored bool `json:"report_stored,omitempty"`
	// Data is the handler's own output: a small scan's report, an output's
	// OutputData.
	Data json.RawMessage `json:"data,omitempty"`
}

// OutputData is what an output reports in its Result.Data, for the
// notifications: the findings of one scan's report as the output stored
// them.
type OutputData struct {
	// Builtin is true when the output stored the findings in SecBot's own
	// findings service, so the reporter can recount them live (triage).
	Builtin     bool            `json:"builtin"`
	TestID      int             `json:"test_id"`
	Engagement  int             `json:"engagement_id"`
	Product     int             `json:"product_id"`
	ProductName string          `json:"product_name"`
	ScanType    string          `json:"scan_type,omitempty"`
	Findings    []OutputFinding `json:"findings"`
}

// OutputFinding is one finding an output stored.
type OutputFinding struct {
	ID       int    `json:"id"`
	Title    string `json:"title"`
	Severity string `json:"severity"`
	FilePath string `json:"file_path,omitempty"`
	Line     int    `json:"line,omitempty"`
	Active   bool   `json:"active"`
	// New is true for findings that are not duplicates of earlier ones.
	New bool `json:"new"`
	// Exempt is true when the job's gate leaves the finding out (its
	// severity or newness; Request.Gate): it never blocks.
	Exempt bool `json:"exempt,omitempty"`
	// Blocking is true when the finding is not exempt and active, or a
	// duplicate of an active original: what makes the check fail.
	Blocking bool `json:"blocking"`
	// URL is the finding's page.
	URL string `json:"url"`
	// Validity is whether the finding's secret works, where the findings
	// service says (valid, invalid, unknown, not_checked): notifications
	// list live secrets first.
	Validity string `json:"validity,omitempty"`
}
