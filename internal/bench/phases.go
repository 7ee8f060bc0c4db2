package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// endToEnd pushes n commits, each planting a token, and measures hook →
// final verdict, and the scan task's own time on the warm mirror.
func (s *stack) endToEnd(ctx context.Context, n int) (total, scan []time.Duration, err error) {
	work := filepath.Join(s.dir, "work")
	bare := filepath.Join(s.gitRoot, "bench", "app.git")
	git := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Bench", "GIT_AUTHOR_EMAIL=bench@example.com",
			"GIT_COMMITTER_NAME=Bench", "GIT_COMMITTER_EMAIL=bench@example.com", "GIT_CONFIG_NOSYSTEM=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("git %s: %v: %s", args[0], err, out)
		}
		return strings.TrimSpace(string(out)), nil
	}
	if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, nil, err
	}
	for _, args := range [][]string{{"init", "--quiet", "--bare", bare}, {"init", "--quiet", "-b", "main"},
		{"commit", "--quiet", "--allow-empty", "-m", "initial"}, {"push", "--quiet", bare, "main"}} {
		if _, err := git(args...); err != nil {
			return nil, nil, err
		}
	}
	before, err := git("rev-parse", "HEAD")
	if err != nil {
		return nil, nil, err
	}
	client := &http.Client{Timeout: 90 * time.Second}
	for i := range n {
		token := "glpat-" + randomHex(10)
		if err := os.WriteFile(filepath.Join(work, "settings.env"), []byte(fmt.Sprintf("N=%d\nGITLAB_TOKEN=%s\n", i, token)), 0o644); err != nil {
			return nil, nil, err
		}
		if _, err := git("add", "."); err != nil {
			return nil, nil, err
		}
		if _, err := git("commit", "--quiet", "-m", fmt.Sprintf("change %d", i)); err != nil {
			return nil, nil, err
		}
		if _, err := git("push", "--quiet", bare, "main"); err != nil {
			return nil, nil, err
		}
		after, err := git("rev-parse", "HEAD")
		if err != nil {
			return nil, nil, err
		}
		began := time.Now()
		req, _ := post(s.receiver+"/v1/gitlab/webhook", s.hookHeaders(randomHex(8)), s.pushHook("bench/app", before, after))
		var accepted struct {
			ID string `json:"security_check_id"`
		}
		if err := doJSON(client, req, &accepted); err != nil {
			return nil, nil, fmt.Errorf("push %d: %w", i, err)
		}
		var check struct {
			Status string `json:"status"`
			Tasks  []struct {
				Kind       string     `json:"kind"`
				StartedAt  *time.Time `json:"started_at"`
				FinishedAt *time.Time `json:"finished_at"`
			} `json:"tasks"`
		}
		req, _ = http.NewRequest(http.MethodGet, s.reporter+"/v1/security/gitlab/check/"+accepted.ID+"?wait=60s", nil)
		if err := doJSON(client, req, &check); err != nil {
			return nil, nil, fmt.Errorf("push %d: %w", i, err)
		}
		total = append(total, time.Since(began))
		if check.Status != "fail" {
			return nil, nil, fmt.Errorf("push %d with a token: verdict %q, want fail", i, check.Status)
		}
		for _, t := range check.Tasks {
			if t.Kind == "scan" && t.StartedAt != nil && t.FinishedAt != nil {
				scan = append(scan, t.FinishedAt.Sub(*t.StartedAt))
			}
		}
		before = after
	}
	slices.Sort(total)
	slices.Sort(scan)
	return total, scan, nil
}

func doJSON(client *http.Client, req *http.Request, v any) error {
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("%s %s: %s", req.Method, req.URL.Path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// sarif is a SARIF report of the results from..to-1, each with its own
// fingerprint, so two reports that share indices share findings.
func sarif(from, to int) []byte {
	type result struct {
		RuleID              string            `json:"ruleId"`
		Level               string            `json:"level"`
		Message             map[string]string `json:"message"`
		Locations           []map[string]any  `json:"locations"`
		PartialFingerprints map[string]string `json:"partialFingerprints"`
	}
	results := make([]result, 0, to-from)
	for i := from; i < to; i++ {
		results = append(results, result{RuleID: fmt.Sprintf("R%d", i%50), Level: []string{"error", "warning", "note"}[i%3],
			Message: map[string]string{"text": fmt.Sprintf("Finding %d: something risky in module %d", i, i%700)},
			Locations: []map[string]any{{"physicalLocation": map[string]any{
				"artifactLocation": map[string]string{"uri": fmt.Sprintf("src/pkg%d/file%d.go", i%300, i%1000)},
				"region":           map[string]int{"startLine": 1 + i%400}}}},
			PartialFingerprints: map[string]string{"primaryLocationLineHash": strconv.FormatInt(int64(i), 16)}})
	}
	// Fields in the order scanners write them (a struct keeps it; a map
	// would sort results before tool).
	type run struct {
		Tool    map[string]any `json:"tool"`
		Results []result       `json:"results"`
	}
	out, _ := json.Marshal(struct {
		Version string `json:"version"`
		Runs    []run  `json:"runs"`
	}{"2.1.0", []run{{Tool: map[string]any{"driver": map[string]string{"name": "bench"}}, Results: results}}})
	return out
}

// importReport uploads a SARIF report to the reporter's import-scan.
func (s *stack) importReport(ctx context.Context, product string, report []byte) (time.Duration, error) {
	return s.importAs(ctx, product, "SARIF", "report.sarif", report)
}

// importAs uploads a report of a scan type, under a file name, to the
// reporter's import-scan.
func (s *stack) importAs(ctx context.Context, product, scanType, fileName string, report []byte) (time.Duration, error) {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range map[string]string{"scan_type": scanType, "product_name": product, "engagement_name": "bench",
		"product_type_name": "bench", "auto_create_context": "true"} {
		_ = w.WriteField(k, v)
	}
	part, _ := w.CreateFormFile("file", fileName)
	_, _ = part.Write(report)
	w.Close()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.reporter+"/api/v2/import-scan/", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Token "+dojoToken)
	began := time.Now()
	var resp map[string]any
	if err := doJSON(&http.Client{Timeout: 10 * time.Minute}, req, &resp); err != nil {
		return 0, err
	}
	return time.Since(began), nil
}

// Clients of the closed-loop intake runs: the rate judged against the
// target, and a wider one (GitLab sends from many Sidekiq threads) that
// shows what grouping hooks into shared transactions gives.
const (
	intakeClients = 16
	wideClients   = 64
)

// intakeResult is an intake's three runs.
type intakeResult struct{ sustained, wide, paced loadResult }

func (r intakeResult) answered() int {
	n := 0
	for _, l := range []loadResult{r.sustained, r.wide, r.paced} {
		n += l.Sent - l.Failed
	}
	return n
}

// intake loads a webhook endpoint three times: closed loop for the
// sustained rate, with intakeClients then wideClients, then open loop at
// offered hooks/s for latency.
func (s *stack) intake(ctx context.Context, url string, offered float64, d time.Duration) (r intakeResult) {
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}}
	// The hook is made once: each request differs only in its commit and
	// delivery key, so the load generator's CPU goes to sending.
	const marker = "ffffffffffffffffffffffffffffffffffffffff"
	template := string(s.pushHook("bench/intake", strings.Repeat("0", 39)+"1", marker))
	hook := func(int) (*http.Request, error) {
		n := s.hooks.Add(1)
		body := strings.ReplaceAll(template, marker, fmt.Sprintf("%040x", n))
		return post(url, s.hookHeaders(fmt.Sprint("intake-", n)), []byte(body))
	}
	r.sustained = load(ctx, client, hook, 0, intakeClients, d)
	r.wide = load(ctx, client, hook, 0, wideClients, d)
	r.paced = load(ctx, client, hook, offered, 256, d)
	client.CloseIdleConnections() // or a server's graceful shutdown waits for them
	return r
}

// bareFiber serves a handler that reads the hook and answers 200, the
// floor any webhook receiver on fiber has.
func bareFiber() (string, func()) {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Post("/v1/gitlab/webhook", func(c *fiber.Ctx) error {
		_ = c.Body()
		return c.JSON(fiber.Map{"status": "ok"})
	})
	addr := freeAddr()
	go func() { _ = app.Listen(addr) }()
	for range 100 {
		if resp, err := http.Post("http://"+addr+"/v1/gitlab/webhook", "application/json", nil); err == nil {
			resp.Body.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	return "http://" + addr + "/v1/gitlab/webhook", func() { _ = app.ShutdownWithTimeout(5 * time.Second) }
}
