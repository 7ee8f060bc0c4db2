package defectdojo

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/handler"
)

// uploaded is what the import answered.
type uploaded struct {
	Test       int `json:"test"`
	Engagement int `json:"engagement_id"`
	Product    int `json:"product_id"`
	// synchronous: the server's duplicate flags are final already.
	synchronous bool
}

// upload sends the report with reimport-scan, whose test lookup (scan type
// and a per-commit title, created on first use) makes a retried task
// reuse its test instead of importing twice. The fields are the original
// bot's: active, unverified, High and above (minimum_severity), tagged
// with the commit (a history scan's also historical, findings included). The
// report is streamed from its reader into the request body.
func (o *Output) upload(ctx context.Context, n names, report io.Reader) (uploaded, error) {
	fields := [][2]string{
		{"scan_type", n.scanType}, {"product_type_name", n.productType}, {"product_name", n.product},
		{"engagement_name", n.engagement}, {"test_title", n.title}, {"auto_create_context", "true"},
		{"active", "true"}, {"verified", "false"}, {"close_old_findings", "false"}, {"minimum_severity", o.settings.MinimumSeverity},
		{"scan_date", time.Now().UTC().Format(time.DateOnly)}, {"tags", n.commit}, {"commit_hash", n.commit},
		{"build_id", n.engagement}, {"lead", o.settings.LeadID},
	}
	if n.historical {
		fields = append(fields, [2]string{"tags", HistoricalTag}, [2]string{"apply_tags_to_findings", "true"})
	}
	body, w := io.Pipe()
	form := multipart.NewWriter(w)
	go func() { w.CloseWithError(writeForm(form, fields, report)) }()
	resp, err := o.do(ctx, http.MethodPost, "/api/v2/reimport-scan/", form.FormDataContentType(), body)
	body.Close() // ends the writer when the request stopped reading early
	if err != nil {
		return uploaded{}, fmt.Errorf("importing into DefectDojo: %w", err)
	}
	var up uploaded
	if err := json.Unmarshal(resp.body, &up); err != nil || up.Test == 0 {
		return up, fmt.Errorf("importing into DefectDojo: unexpected answer %.200s", resp.body)
	}
	up.synchronous = resp.header.Get("X-Secbot-Dedup") == "synchronous"
	return up, nil
}

// writeForm writes the import's multipart form: the fields that are set,
// then the report as the file.
func writeForm(form *multipart.Writer, fields [][2]string, report io.Reader) error {
	for _, f := range fields {
		if f[1] == "" {
			continue
		}
		if err := form.WriteField(f[0], f[1]); err != nil {
			return err
		}
	}
	r := bufio.NewReader(report)
	part, err := form.CreateFormFile("file", reportName(r))
	if err != nil {
		return err
	}
	if _, err := io.Copy(part, r); err != nil {
		return fmt.Errorf("reading the scan's report: %w", err)
	}
	return form.Close()
}

// reportName names the report file by its first character, as DefectDojo
// parsers that read several formats tell them apart by the file's
// extension.
func reportName(r *bufio.Reader) string {
	for {
		b, err := r.Peek(1)
		if err != nil {
			return "report.json"
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			_, _ = r.Discard(1)
			continue
		case '<':
			return "report.xml"
		case '{', '[':
			return "report.json"
		}
		return "report.csv"
	}
}

type remoteFinding struct {
	ID               int     `json:"id"`
	Title            string  `json:"title"`
	Severity         string  `json:"severity"`
	FilePath         *string `json:"file_path"`
	Line             *int    `json:"line"`
	Active           bool    `json:"active"`
	Duplicate        bool    `json:"duplicate"`
	DuplicateFinding *int    `json:"duplicate_finding"`
	// Validity is SecBot's (null from a real DefectDojo).
	Validity *string `json:"validity"`
}

// settled reads the test's findings. A real DefectDojo deduplicates in
// the background, so until two reads agree (or MaxDedupWait passes) it
// reads again with growing pauses; SecBot's own service is final at once.
func (o *Output) settled(ctx context.Context, up uploaded, gate config.Gate) ([]handler.OutputFinding, error) {
	list, err := o.findings(ctx, up.Test, gate)
	if err != nil || up.synchronous {
		return list, err
	}
	deadline := time.Now().Add(o.settings.MaxDedupWait)
	pause := time.Second
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pause):
		}
		again, err := o.findings(ctx, up.Test, gate)
		if err != nil {
			return nil, err
		}
		if same(list, again) {
			return again, nil
		}
		list, pause = again, min(pause*2, 15*time.Second)
	}
	return list, nil
}

func same(a, b []handler.OutputFinding) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// findings reads every page of the test's findings (no cap), then the
// originals of its duplicates, to tell which findings block: those the
// job's gate counts, active or duplicating an active original.
func (o *Output) findings(ctx context.Context, test int, gate config.Gate) ([]handler.OutputFinding, error) {
	remote, err := o.pages(ctx, "/api/v2/findings/?limit=500&o=id&test="+strconv.Itoa(test))
	if err != nil {
		return nil, err
	}
	var originals []string
	for _, r := range remote {
		if r.Duplicate && r.DuplicateFinding != nil {
			originals = append(originals, strconv.Itoa(*r.DuplicateFinding))
		}
	}
	activeOriginal := map[int]bool{}
	for start := 0; start < len(originals); start += 100 {
		batch := originals[start:min(start+100, len(originals))]
		list, err := o.pages(ctx, "/api/v2/findings/?limit=500&id="+strings.Join(batch, ","))
		if err != nil {
			return nil, err
		}
		for _, r := range list {
			activeOriginal[r.ID] = r.Active
		}
	}
	out := make([]handler.OutputFinding, 0, len(remote))
	for _, r := range remote {
		f := handler.OutputFinding{ID: r.ID, Title: r.Title, Severity: r.Severity, Active: r.Active, New: !r.Duplicate,
			URL: o.base.String() + "/finding/" + strconv.Itoa(r.ID)}
		if r.FilePath != nil {
			f.FilePath = *r.FilePath
		}
		if r.Line != nil {
			f.Line = *r.Line
		}
		if r.Validity != nil {
			f.Validity = *r.Validity
		}
		f.Exempt = !gate.Blocks(f.Severity, f.New, f.Validity)
		f.Blocking = !f.Exempt && (r.Active || (r.Duplicate && r.DuplicateFinding != nil && activeOriginal[*r.DuplicateFinding]))
		out = append(out, f)
	}
	return out, nil
}

// pages follows a list's next links to the end.
func (o *Output) pages(ctx context.Context, path string) ([]remoteFinding, error) {
	var all []remoteFinding
	for path != "" {
		resp, err := o.do(ctx, http.MethodGet, path, "", nil)
		if err != nil {
			return nil, fmt.Errorf("reading findings: %w", err)
		}
		var page struct {
			Next    *string         `json:"next"`
			Results []remoteFinding `json:"results"`
		}
		if err := json.Unmarshal(resp.body, &page); err != nil {
			return nil, fmt.Errorf("reading findings: unexpected answer %.200s", resp.body)
		}
		all = append(all, page.Results...)
		path = ""
		if page.Next != nil && *page.Next != "" {
			next, err := url.Parse(*page.Next)
			if err != nil {
				return nil, fmt.Errorf("reading findings: bad next link %q", *page.Next)
			}
			// Follow the link on our configured host: the server may not
			// know the name it is reached by.
			path = next.RequestURI()
		}
	}
	return all, nil
}

type response struct {
	body   []byte
	header http.Header
}

// do sends one request. Network errors and 5xx are transient (the task is
// retried); other refusals are permanent, with the server's message.
func (o *Output) do(ctx context.Context, method, path, contentType string, body io.Reader) (response, error) {
	req, err := http.NewRequestWithContext(ctx, method, o.base.String()+path, body)
	if err != nil {
		return response{}, handler.Permanent(err)
	}
	req.Header.Set("Authorization", "Token "+o.settings.SecretKey)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := o.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is ours; keep the message short
		}
		return response{}, fmt.Errorf("%s %s: %w", method, o.base.Host, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return response{}, err
	}
	switch {
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return response{}, fmt.Errorf("%s %s: %s", method, path, resp.Status)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return response{}, handler.Permanent(fmt.Errorf("%s %s: %s: the DefectDojo token was refused", method, path, resp.Status))
	case resp.StatusCode >= 400:
		return response{}, handler.Permanent(fmt.Errorf("%s %s: %s: %.300s", method, path, resp.Status, data))
	}
	return response{body: data, header: resp.Header}, nil
}
