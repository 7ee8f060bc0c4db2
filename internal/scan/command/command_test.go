package command

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers"
	"github.com/secbot/secbot/internal/gitlab"
	"github.com/secbot/secbot/internal/handler"
	"github.com/secbot/secbot/internal/jobs"
	"github.com/secbot/secbot/internal/testenv"
)

const apiToken = "glpat-InstanceToken0000002"

// project is a repository served over HTTP: one commit with an old eval,
// then a push adding a second file with one.
type project struct {
	srv           *testenv.GitServer
	repo          *testenv.Repo
	before, after string
}

func newProject(t *testing.T) *project {
	t.Helper()
	p := &project{srv: testenv.NewGitServer(t, apiToken)}
	p.repo = p.srv.NewRepo(t, "group/app")
	p.before = p.repo.Commit("old code", map[string]string{"app/old.py": "def old(x):\n    return eval(x)\n"})
	p.repo.Push("main")
	p.after = p.repo.Commit("new code", map[string]string{"app/new.py": "def new(x):\n    return eval(x)\n", "README.md": "# app\n"})
	p.repo.Push("main")
	return p
}

func (p *project) push() *handler.Request {
	return &handler.Request{
		Task:     jobs.Task{ID: "chk:scan:bandit", Kind: jobs.KindScan, Scan: "bandit"},
		Instance: p.srv.Instance(),
		Event: gitlab.Event{Type: gitlab.Push, CommitSHA: p.after, Before: p.before, After: p.after, Ref: "refs/heads/main",
			Project: p.repo.Project()},
		Reports: &handler.MemoryReports{},
	}
}

var bandit = []string{"bandit", "-r", "{dir}", "-f", "json", "-o", "{report}"}

func newScanner(t *testing.T, s Settings) *Scanner {
	t.Helper()
	s.CacheDir, s.WorkDir = t.TempDir(), t.TempDir()
	sc, err := NewScanner(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// storedFiles parses the report the scan stored with the findings
// service's parser, and lists the files of its findings.
func storedFiles(t *testing.T, req *handler.Request, res handler.Result) []string {
	t.Helper()
	if !res.Stored {
		t.Fatalf("result %+v: the report is not stored", res)
	}
	rc, err := req.Reports.Open(context.Background(), req.Task.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	p, _ := parsers.Lookup(res.ScanType)
	var files []string
	if err := p.Stream(rc, func(f findings.Finding) error { files = append(files, f.FilePath); return nil }); err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return files
}

// report: all keeps every finding of the checkout; changed_files only
// those in files the push added or changed.
func TestChangedFiles(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	for _, tt := range []struct {
		report string
		want   []string
	}{
		{"all", []string{"./app/new.py", "./app/old.py"}},
		{"changed_files", []string{"./app/new.py"}},
	} {
		s := newScanner(t, Settings{Command: bandit, ScanType: "Bandit Scan", OkExitCodes: []int{0, 1}, Report: tt.report})
		req := p.push()
		res, err := s.Scan(context.Background(), req)
		if err != nil {
			t.Fatalf("%s: %v", tt.report, err)
		}
		if got := storedFiles(t, req, res); !slices.Equal(got, tt.want) {
			t.Errorf("report: %s kept findings in %v, want %v", tt.report, got, tt.want)
		}
		if res.ScanType != "Bandit Scan" || res.Findings != len(tt.want) {
			t.Errorf("report: %s: result %+v", tt.report, res)
		}
	}
}

// The checkout is gone after the scan, whatever its outcome, and a
// report that is not of the scan type fails the task for good.
func TestCheckoutRemovedAndReportChecked(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	s := newScanner(t, Settings{Command: []string{"sh", "-c", "ls app > {report}"}, ScanType: "SARIF"})
	_, err := s.Scan(context.Background(), p.push())
	if !errors.Is(err, handler.ErrPermanent) || !strings.Contains(err.Error(), "is not a SARIF report") {
		t.Fatalf("a listing as SARIF: %v", err)
	}
	left, _ := os.ReadDir(s.settings.WorkDir)
	if len(left) != 0 {
		t.Fatalf("the scan left %v in its work folder", left)
	}
	// The command saw the commit's files.
	seen := filepath.Join(t.TempDir(), "seen")
	s = newScanner(t, Settings{Command: []string{"sh", "-c", "cat app/new.py > " + seen + "; echo '[]' > {report}"}, ScanType: "Gitleaks Scan"})
	if _, err := s.Scan(context.Background(), p.push()); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(seen); !strings.Contains(string(b), "def new") {
		t.Fatalf("the command read %q from the checkout", b)
	}
}

// A worker without the program, or without bubblewrap for a sandbox,
// refuses the component; the receiver's check does not look.
func TestMissingProgram(t *testing.T) {
	t.Parallel()
	_, err := NewScanner(context.Background(), Settings{Command: []string{"no-such-scanner-here"}, ScanType: "SARIF"})
	if err == nil || !strings.Contains(err.Error(), "no-such-scanner-here is not installed on this worker") {
		t.Fatalf("err = %v", err)
	}
	c := config.Component{Name: "x", HandlerName: HandlerName,
		Values: map[string]any{"command": []any{"no-such-scanner-here"}, "scan_type": "SARIF"}}
	if err := Check(c); err != nil {
		t.Fatalf("the receiver's check looked for the program: %v", err)
	}
	for settings, want := range map[string]Settings{
		"scan_type":           {Command: bandit, ScanType: "Nessus Scan"},
		"report":              {Command: bandit, ScanType: "Bandit Scan", Report: "new"},
		"command":             {ScanType: "SARIF"},
		"{report} as program": {Command: []string{"{report}"}, ScanType: "SARIF"},
	} {
		if _, err := want.WithDefaults(); err == nil {
			t.Errorf("%s: accepted %+v", settings, want)
		}
	}
}

// gosec, as docs/scanners.md configures it, finds a weak hash in a Go
// module and reports it as SARIF the findings service reads.
func TestGosec(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("gosec"); err != nil {
		t.Fatalf("gosec must be installed for the tests (scripts/deps.sh --scanners installs it, into $(go env GOPATH)/bin): %v", err)
	}
	srv := testenv.NewGitServer(t, apiToken)
	repo := srv.NewRepo(t, "group/tool")
	head := repo.Commit("a tool", map[string]string{
		"go.mod":  "module example.com/tool\n\ngo 1.22\n",
		"main.go": "package main\n\nimport (\n\t\"crypto/md5\"\n\t\"fmt\"\n)\n\nfunc main() { fmt.Printf(\"%x\\n\", md5.Sum([]byte(\"x\"))) }\n",
	})
	repo.Push("main")
	// The Go build cache of the tests' go, so that gosec does not compile
	// the standard library again (as a worker's would be set).
	gocache := testenv.Run(t, "", "go", "env", "GOCACHE")
	s := newScanner(t, Settings{Command: []string{"gosec", "-fmt", "sarif", "-out", "{report}", "-no-fail", "./..."}, ScanType: "SARIF",
		SetEnv: map[string]string{"GOCACHE": gocache, "GOFLAGS": "-mod=mod"}})
	req := &handler.Request{
		Task:     jobs.Task{ID: "chk:scan:gosec", Kind: jobs.KindScan, Scan: "gosec"},
		Instance: srv.Instance(),
		Event: gitlab.Event{Type: gitlab.Push, CommitSHA: head, Before: strings.Repeat("0", 40), After: head, Ref: "refs/heads/main",
			Project: repo.Project()},
		Reports: &handler.MemoryReports{},
	}
	res, err := s.Scan(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	files := storedFiles(t, req, res)
	if len(files) == 0 || !slices.ContainsFunc(files, func(f string) bool { return strings.HasSuffix(f, "main.go") }) {
		t.Fatalf("gosec found nothing in main.go: %v", files)
	}
}
