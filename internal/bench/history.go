package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/secbot/secbot/internal/gitlab/gitserver"
)

// The generated instance of the history part: historyProjects projects
// of historyCommits commits each, every commit changing one file of about
// 4 KB; every fifth project plants a token in a few commits.
const (
	historyProjects = 50
	historyCommits  = 150
)

// historyResult compares a history scan of an instance with the gitleaks
// CLI over the same repositories one after another.
type historyResult struct {
	MB                   float64 // git history scanned: the bytes of git log -p of each default branch
	Commits              int
	SecBot, CLI          time.Duration
	Findings, CLISecrets int
	Done                 int
}

// historyPhase generates the instance, scans its history through the
// reporter's API (the workers do the work, history concurrency as
// configured) and then with the gitleaks CLI, repository by repository.
func (s *stack) historyPhase(ctx context.Context) (historyResult, error) {
	var r historyResult
	var repos []string
	for i := range historyProjects {
		path := fmt.Sprintf("onboard/team-%d/app-%02d", i%5, i)
		bare := filepath.Join(s.gitRoot, path+".git")
		if err := genHistoryRepo(ctx, bare, i); err != nil {
			return r, err
		}
		size, err := historyBytes(ctx, bare)
		if err != nil {
			return r, err
		}
		r.MB += float64(size) / (1 << 20)
		r.Commits += historyCommits
		repos = append(repos, bare)
		s.projects.Add(gitserver.Project{ID: int64(1000 + i), Path: path, DefaultBranch: "main"})
	}

	began := time.Now()
	var run struct {
		ID int64 `json:"id"`
	}
	if err := s.admin(ctx, http.MethodPost, "/v1/security/gitlab/history-scans", `{"groups": ["onboard"]}`, &run); err != nil {
		return r, err
	}
	for {
		var rep struct {
			State    string `json:"state"`
			Error    string `json:"error"`
			Progress struct {
				Listed, Done, Failed, Findings int
			} `json:"progress"`
		}
		if err := s.admin(ctx, http.MethodGet, fmt.Sprintf("/v1/security/gitlab/history-scans/%d", run.ID), "", &rep); err != nil {
			return r, err
		}
		if rep.State != "listing" && rep.State != "scanning" {
			r.SecBot, r.Findings, r.Done = time.Since(began), rep.Progress.Findings, rep.Progress.Done
			if rep.State != "done" || rep.Progress.Failed > 0 {
				return r, fmt.Errorf("history scan ended %s (%s), %d projects failed", rep.State, rep.Error, rep.Progress.Failed)
			}
			break
		}
		if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
			return r, err
		}
	}

	cli, err := gitleaksCLI(ctx, s.dir, "")
	if err != nil {
		return r, err
	}
	began = time.Now()
	for _, repo := range repos {
		n, err := runCLI(ctx, cli, s.dir, repo)
		if err != nil {
			return r, err
		}
		r.CLISecrets += n
	}
	r.CLI = time.Since(began)
	return r, nil
}

// rows adds the part's row to the table.
func (r historyResult) rows(row func(measure, got, anchor, target string, ok bool)) {
	rate := func(d time.Duration) float64 { return r.MB / max(d.Seconds(), 1e-9) }
	row(fmt.Sprintf("history scan (onboarding) of %d projects, %d commits, %.0f MB of git history", historyProjects, r.Commits, r.MB),
		fmt.Sprintf("%.1f MB/s (%s, %d projects done, %d findings), listed through the API stand-in", rate(r.SecBot), r.SecBot.Round(100*time.Millisecond), r.Done, r.Findings),
		fmt.Sprintf("gitleaks CLI v8.30.1 one repository after another: %.1f MB/s (%s, found %d)", rate(r.CLI), r.CLI.Round(100*time.Millisecond), r.CLISecrets),
		"", true)
}

// genHistoryRepo writes a bare repository of historyCommits commits on
// main with git fast-import; project i plants a token in every 50th
// commit when i is a multiple of five.
func genHistoryRepo(ctx context.Context, bare string, i int) error {
	if err := exec.CommandContext(ctx, "git", "init", "--quiet", "--bare", "-b", "main", bare).Run(); err != nil {
		return fmt.Errorf("git init %s: %w", bare, err)
	}
	var stream bytes.Buffer
	for c := 1; c <= historyCommits; c++ {
		var content strings.Builder
		for line := range 64 {
			fmt.Fprintf(&content, "// project %d, commit %d, line %d: some ordinary code = compute(%d, %d)\n", i, c, line, c, line)
		}
		if i%5 == 0 && c%50 == 0 {
			fmt.Fprintf(&content, "token = \"glpat-%s\"\n", fmt.Sprintf("Bench%02dx%03dQ2mT7pLr4sWz", i, c)[:20])
		}
		msg := fmt.Sprintf("commit %d", c)
		fmt.Fprintf(&stream, "commit refs/heads/main\nmark :%d\ncommitter Bench <bench@example.com> %d +0000\ndata %d\n%s\n",
			c, 1700000000+c, len(msg), msg)
		if c > 1 {
			fmt.Fprintf(&stream, "from :%d\n", c-1)
		}
		fmt.Fprintf(&stream, "M 100644 inline src/file-%d.go\ndata %d\n%s\n", c%20, content.Len(), content.String())
	}
	cmd := exec.CommandContext(ctx, "git", "-C", bare, "fast-import", "--quiet")
	cmd.Stdin = &stream
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("git fast-import into %s: %v %s", bare, err, out)
	}
	return nil
}

// historyBytes is the size of what a history scan of main reads: the
// patches of git log -p, with gitleaks' flags.
func historyBytes(ctx context.Context, bare string) (int64, error) {
	cmd := exec.CommandContext(ctx, "git", "-C", bare, "log", "-p", "-U0", "--diff-filter=tuxdb", "main")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	n, err := io.Copy(io.Discard, out)
	if werr := cmd.Wait(); err == nil {
		err = werr
	}
	return n, err
}

// admin calls the reporter's API with the admin's token and decodes the
// JSON answer into out.
func (s *stack) admin(ctx context.Context, method, path, body string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, s.reporter+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Token "+dojoToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	return json.Unmarshal(raw, out)
}

// gitleaksCLI builds the gitleaks CLI with tags into dir once, and
// returns its path.
func gitleaksCLI(ctx context.Context, dir, tags string) (string, error) {
	gobin := filepath.Join(dir, "gitleaks-"+tags)
	bin := filepath.Join(gobin, "gitleaks")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	args := []string{"install"}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	install := exec.CommandContext(ctx, "go", append(args, gitleaksModule)...)
	install.Env = append(os.Environ(), "GOBIN="+gobin, "GOFLAGS=-mod=mod")
	if out, err := install.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install %s: %v\n%s", gitleaksModule, err, out)
	}
	return bin, nil
}

// runCLI runs gitleaks git over repo and returns how many secrets it
// reported.
func runCLI(ctx context.Context, bin, dir, repo string) (int, error) {
	report := filepath.Join(dir, "gitleaks.json")
	run := exec.CommandContext(ctx, bin, "git", "--no-banner", "--log-level", "error",
		"--report-format", "json", "--report-path", report, "--exit-code", "0", repo)
	if out, err := run.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("gitleaks git: %v\n%s", err, out)
	}
	var found []json.RawMessage
	raw, _ := os.ReadFile(report) //nolint:gosec // G304: the benchmark's own report
	if err := json.Unmarshal(raw, &found); err != nil {
		return 0, fmt.Errorf("reading the gitleaks report: %w", err)
	}
	return len(found), nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
