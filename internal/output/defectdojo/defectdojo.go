// Package defectdojo is the defectdojo output: it sends a scan's report to
// a DefectDojo API v2 (SecBot's built-in findings service, or a real
// DefectDojo) and reads back which findings are new and which are active.
package defectdojo

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/gitlab"
	"github.com/secbot/secbot/internal/handler"
)

// HandlerName is this output's handler_name in config.yml.
const HandlerName = "defectdojo"

// Settings is the component's config (the shipped config.yml fills them
// from DEFECTDOJO__URL, DEFECTDOJO__TOKEN, DEFECTDOJO__USER, DEFECTDOJO__USER_ID).
type Settings struct {
	URL       string `yaml:"url"`
	SecretKey string `yaml:"secret_key"`
	User      string `yaml:"user"`
	LeadID    string `yaml:"lead_id"`
	// Timeout bounds each HTTP request (default 60s).
	Timeout time.Duration `yaml:"timeout"`
	// MinimumSeverity is the import's minimum_severity: findings below it
	// are not imported (default High, as the original bot imported).
	MinimumSeverity string `yaml:"minimum_severity"`
	// MaxDedupWait bounds the wait for a real DefectDojo's background
	// deduplication (default 2m).
	MaxDedupWait time.Duration `yaml:"max_dedup_wait"`
}

// Output is the defectdojo output handler.
type Output struct {
	settings Settings
	base     *url.URL
	client   *http.Client
}

// New builds the output from its component (handler constructor).
func New(c config.Component) (handler.Output, error) {
	var s Settings
	if err := c.Decode(&s); err != nil {
		return nil, err
	}
	return NewOutput(s)
}

// NewOutput builds the output from settings.
func NewOutput(s Settings) (*Output, error) {
	base, err := url.Parse(strings.TrimSuffix(s.URL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("url: %q is not an http(s) URL", s.URL)
	}
	if s.SecretKey == "" {
		return nil, fmt.Errorf("secret_key: the DefectDojo API token is empty")
	}
	if s.MinimumSeverity == "" {
		s.MinimumSeverity = "High"
	}
	if !slices.Contains(config.Severities, s.MinimumSeverity) {
		return nil, fmt.Errorf("minimum_severity: %q is not one of %s", s.MinimumSeverity, strings.Join(config.Severities, ", "))
	}
	if s.Timeout <= 0 {
		s.Timeout = time.Minute
	}
	if s.MaxDedupWait <= 0 {
		s.MaxDedupWait = 2 * time.Minute
	}
	return &Output{settings: s, base: base, client: &http.Client{Timeout: s.Timeout}}, nil
}

// Export implements handler.Output.
func (o *Output) Export(ctx context.Context, req *handler.Request) (handler.Result, error) {
	if len(req.Inputs) != 1 {
		return handler.Result{}, handler.Permanent(fmt.Errorf("an output task needs one scan result, got %d", len(req.Inputs)))
	}
	scan := req.Inputs[0]
	if scan.Result.ScanType == "" {
		return handler.Result{}, handler.Permanent(fmt.Errorf("scan %s names no scan type for its report", scan.TaskID))
	}
	report, err := scan.Report(ctx, req.Reports)
	if err != nil {
		return handler.Result{}, err
	}
	defer report.Close()
	up, err := o.upload(ctx, naming(req, scan.Result.ScanType), report)
	if err != nil {
		return handler.Result{}, err
	}
	data := handler.OutputData{Builtin: up.synchronous, TestID: up.Test, Engagement: up.Engagement, Product: up.Product, ProductName: req.Event.Project.PathWithNamespace,
		ScanType: scan.Result.ScanType}
	if data.Findings, err = o.settled(ctx, up, req.Gate); err != nil {
		return handler.Result{}, err
	}
	res := handler.Result{Findings: len(data.Findings)}
	for _, f := range data.Findings {
		if f.Blocking {
			res.ActiveFindings++
		}
	}
	if res.Data, err = json.Marshal(data); err != nil {
		return handler.Result{}, err
	}
	return res, nil
}

// names are where a check's findings go, as the original Security Bot
// named them: product type = GitLab host, product = project path,
// engagement = the merge request's URL path (one per MR) or the commit's.
type names struct {
	productType, product, engagement, commit, title string
	// scanType is the report's format, as the scan named it.
	scanType string
	// historical marks a history scan's import: its test and findings
	// are tagged HistoricalTag.
	historical bool
}

// HistoricalTag tags the test and the findings of a history scan
// (onboarding), which found them in the existing history, not in new code.
const HistoricalTag = "historical"

func naming(req *handler.Request, scanType string) names {
	ev := req.Event
	n := names{productType: req.Instance.Hostname(), product: ev.Project.PathWithNamespace, commit: ev.CommitSHA,
		scanType: scanType, title: scanType + " " + ev.CommitSHA}
	if ev.Type == gitlab.History {
		// A test of its own: a push of the same commit scanned only what
		// it brought.
		n.historical, n.title = true, scanType+" history "+ev.CommitSHA
	}
	page := strings.TrimSuffix(ev.Project.WebURL, "/") + "/-/commit/" + ev.CommitSHA
	if ev.Type == gitlab.MergeRequest && ev.MergeRequest != nil && ev.MergeRequest.URL != "" {
		page = ev.MergeRequest.URL
	}
	n.engagement = page
	if u, err := url.Parse(page); err == nil && u.Path != "" {
		n.engagement = u.Path
	}
	return n
}
