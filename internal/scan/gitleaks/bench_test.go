package gitleaks

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// genRepo makes a repository of n commits with git fast-import: each
// commit changes one of 50 source files, and one commit in 100 adds a
// secret. It returns the repository path and the number of secrets.
func genRepo(tb testing.TB, n int) (string, int) {
	tb.Helper()
	dir := tb.TempDir()
	if out, err := exec.Command("git", "init", "--quiet", "--bare", dir).CombinedOutput(); err != nil {
		tb.Fatalf("git init: %v %s", err, out)
	}
	var stream bytes.Buffer
	secrets := 0
	for i := 1; i <= n; i++ {
		content := fmt.Sprintf("package p%d\n\n// change %d\nfunc f%d() int { return %d }\nvar name = \"value-%d\"\n", i%50, i, i, i*7, i)
		if i%100 == 0 {
			sum := sha256.Sum256([]byte(fmt.Sprint(i))) // high entropy, as real tokens
			content += fmt.Sprintf("var token = \"glpat-%s\"\n", base64.RawURLEncoding.EncodeToString(sum[:])[:20])
			secrets++
		}
		fmt.Fprintf(&stream, "commit refs/heads/main\nmark :%d\ncommitter Dev <dev@example.com> %d +0000\ndata %d\n%s\n",
			i, 1700000000+i, len(fmt.Sprintf("change %d", i)), fmt.Sprintf("change %d", i))
		if i > 1 {
			fmt.Fprintf(&stream, "from :%d\n", i-1)
		}
		fmt.Fprintf(&stream, "M 100644 inline src/file%02d.go\ndata %d\n%s\n", i%50, len(content), content)
	}
	cmd := exec.Command("git", "-C", dir, "fast-import", "--quiet")
	cmd.Stdin = &stream
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("git fast-import: %v %s", err, out)
	}
	return dir, secrets
}

// BenchmarkScanHistory scans the whole history of a generated repository
// of 3,000 commits, as `scope: history` does (fetching aside). Compare
// with the gitleaks CLI of the same version on the same repository:
// SECBOT_BENCH_KEEP=dir keeps the repository there (see docs/scanning.md).
func BenchmarkScanHistory(b *testing.B) {
	repoDir, secrets := genRepo(b, 3000)
	if keep := os.Getenv("SECBOT_BENCH_KEEP"); keep != "" && !exists(keep) {
		if out, err := exec.Command("git", "clone", "--quiet", "--mirror", repoDir, filepath.Clean(keep)).CombinedOutput(); err != nil {
			b.Fatalf("keeping the repository: %v %s", err, out)
		}
	}
	s, err := NewScanner(Settings{CacheDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	mr := &mirror{path: repoDir}
	b.ResetTimer()
	for b.Loop() {
		d, err := s.detector(context.Background(), mr, "main")
		if err != nil {
			b.Fatal(err)
		}
		findings, err := scanLog(context.Background(), d, mr, "")
		if err != nil {
			b.Fatal(err)
		}
		if len(findings) != secrets {
			b.Fatalf("found %d secrets, want %d", len(findings), secrets)
		}
	}
	b.ReportMetric(float64(3000*b.N)/b.Elapsed().Seconds(), "commits/s")
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
