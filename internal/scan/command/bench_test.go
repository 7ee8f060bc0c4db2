package command

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/secbot/secbot/internal/gitlab"
	"github.com/secbot/secbot/internal/handler"
	"github.com/secbot/secbot/internal/jobs"
	"github.com/secbot/secbot/internal/testenv"
)

// BenchmarkCommandScan runs a command scan of a push to a 1,000-file
// repository from a warm mirror, with a command that only writes an empty
// report: what the handler costs besides the scanner itself (the fetch
// that finds nothing new, the checkout, starting the command, storing the
// report, removing the checkout). p50-ms is the median scan;
// BenchmarkCheckout in internal/mirror times the checkout alone.
func BenchmarkCommandScan(b *testing.B) {
	srv := testenv.NewGitServer(b, apiToken)
	repo := srv.NewRepo(b, "bench/files")
	files := map[string]string{}
	for i := range 1000 {
		files[fmt.Sprintf("src/m%02d/file%04d.c", i%50, i)] = strings.Repeat(fmt.Sprintf("int v%d = %d;\n", i, i), 100+i%200)
	}
	head := repo.Commit("a thousand files", files)
	repo.Push("main")
	s, err := NewScanner(context.Background(), Settings{Command: []string{"sh", "-c", "echo '[]' > {report}"}, ScanType: "Gitleaks Scan",
		CacheDir: b.TempDir(), WorkDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	req := &handler.Request{
		Task:     jobs.Task{ID: "bench:scan:command", Kind: jobs.KindScan, Scan: "command"},
		Instance: srv.Instance(),
		Event: gitlab.Event{Type: gitlab.Push, CommitSHA: head, Before: strings.Repeat("0", 40), After: head, Ref: "refs/heads/main",
			Project: repo.Project()},
		Reports: &handler.MemoryReports{},
	}
	if _, err := s.Scan(context.Background(), req); err != nil { // warms the mirror
		b.Fatal(err)
	}
	var took []time.Duration
	b.ResetTimer()
	for range b.N {
		began := time.Now()
		if _, err := s.Scan(context.Background(), req); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(began))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
}
