package gitleaks

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/testenv"
)

// genRepo makes a repository of n commits with git fast-import: each
// commit changes one of 50 source files, and one commit in 100 adds a
// secret. It returns the served repository and the number of secrets.
func genRepo(tb testing.TB, n int) (*served, int) {
	tb.Helper()
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
	return fastImport(tb, &stream), secrets
}

// served is a bare repository that a stand-in GitLab serves.
type served struct {
	srv  *testenv.GitServer
	dir  string // the bare repository
	url  string
	head string // main's commit
}

// fastImport makes a served bare repository of a git fast-import stream
// (its branch main).
func fastImport(tb testing.TB, stream io.Reader) *served {
	tb.Helper()
	srv := testenv.NewGitServer(tb, apiToken)
	r := &served{srv: srv, dir: filepath.Join(srv.Root, "bench", "repo.git"), url: srv.Server.URL + "/bench/repo.git"}
	if out, err := exec.Command("git", "init", "--quiet", "--bare", r.dir).CombinedOutput(); err != nil {
		tb.Fatalf("git init: %v %s", err, out)
	}
	cmd := exec.Command("git", "-C", r.dir, "fast-import", "--quiet")
	cmd.Stdin = stream
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("git fast-import: %v %s", err, out)
	}
	r.head = testenv.Run(tb, r.dir, "git", "rev-parse", "refs/heads/main")
	return r
}

// BenchmarkScanHistory scans the whole history of a generated repository
// of 3,000 commits, as `scope: history` does (fetching aside). Compare
// with the gitleaks CLI of the same version on the same repository:
// SECBOT_BENCH_KEEP=dir keeps the repository there (see docs/scanning.md).
func BenchmarkScanHistory(b *testing.B) {
	repo, secrets := genRepo(b, 3000)
	if keep := os.Getenv("SECBOT_BENCH_KEEP"); keep != "" && !exists(keep) {
		if out, err := exec.Command("git", "clone", "--quiet", "--mirror", repo.dir, filepath.Clean(keep)).CombinedOutput(); err != nil {
			b.Fatalf("keeping the repository: %v %s", err, out)
		}
	}
	scanAll(b, Settings{CacheDir: b.TempDir()}, repo, secrets)
	b.ReportMetric(float64(3000*b.N)/b.Elapsed().Seconds(), "commits/s")
}

// scanAll scans the whole history of repo b.N times from a warm mirror,
// as the worker does, and checks that each scan finds the secrets planted.
func scanAll(b *testing.B, settings Settings, repo *served, secrets int) {
	s, err := NewScanner(settings)
	if err != nil {
		b.Fatal(err)
	}
	inst := config.Instance{Host: repo.srv.Server.URL, AuthToken: apiToken}
	mr := openMirror(b, s.mirrors, inst, repo.url, repo.head)
	b.ResetTimer()
	for b.Loop() {
		d, err := s.detector(context.Background(), mr, "main")
		if err != nil {
			b.Fatal(err)
		}
		findings, err := scanLog(context.Background(), d, mr, target{all: true})
		if err != nil {
			b.Fatal(err)
		}
		if len(findings) != secrets {
			b.Fatalf("found %d secrets, want %d", len(findings), secrets)
		}
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// largeFiles is one commit adding four files of about 2 MB each, the kind
// that make regular expressions work: a minified bundle (long lines), a
// log of key=value lines, base64 data and JSON full of key-like names, 8
// secrets in all.
func largeFiles(tb testing.TB) (*served, int) {
	tb.Helper()
	token := func(i int) string {
		sum := sha256.Sum256([]byte(fmt.Sprint("large", i)))
		return "glpat-" + base64.RawURLEncoding.EncodeToString(sum[:])[:20]
	}
	var bundle, logs, blob, config bytes.Buffer
	for i := 0; bundle.Len() < 2<<20; i++ {
		fmt.Fprintf(&bundle, "function a%d(b,c){var d=b+c*%d;if(d>%d){return e%d(d,\"k%d\")}return d};", i, i, i*3, i, i)
	}
	for i := 0; logs.Len() < 2<<20; i++ {
		fmt.Fprintf(&logs, "2026-11-23T10:%02d:%02dZ level=info request_id=%x user=user%d path=/api/v4/projects/%d status=200 duration_ms=%d\n",
			i/60%60, i%60, sha256.Sum256([]byte(fmt.Sprint(i))), i%97, i, i%500)
	}
	raw := make([]byte, 3<<19)
	for i := range raw {
		raw[i] = byte(i * 7919 % 251)
	}
	blob.WriteString(base64.StdEncoding.EncodeToString(raw))
	config.WriteString("{\n")
	for i := 0; config.Len() < 2<<20; i++ {
		fmt.Fprintf(&config, "  \"service_%d\": {\"api_key_name\": \"key-%d\", \"token_ttl\": %d, \"secret_ref\": \"vault/path/%d\"},\n", i, i, i%3600, i)
	}
	config.WriteString("  \"end\": 0\n}\n")
	secrets := 0
	for _, f := range []*bytes.Buffer{&bundle, &logs, &blob, &config} {
		for i := range 2 {
			fmt.Fprintf(f, "\nvar leaked%d = \"%s\"\n", i, token(secrets))
			secrets++
		}
	}
	var stream bytes.Buffer
	stream.WriteString("commit refs/heads/main\nmark :1\ncommitter Dev <dev@example.com> 1700000000 +0000\ndata 5\nlarge\n")
	for name, f := range map[string]*bytes.Buffer{"dist/app.min.js": &bundle, "logs/app.log": &logs, "assets/blob.b64": &blob, "config/services.json": &config} {
		fmt.Fprintf(&stream, "M 100644 inline %s\ndata %d\n%s\n", name, f.Len(), f.Bytes())
	}
	return fastImport(tb, &stream), secrets
}

// BenchmarkScanLargeFiles scans a commit of four 2 MB files: compare
// with and without -tags gore2regex (docs/scanning.md).
func BenchmarkScanLargeFiles(b *testing.B) {
	repo, secrets := largeFiles(b)
	scanAll(b, Settings{CacheDir: b.TempDir(), MaxFileMegabytes: 10}, repo, secrets)
	b.ReportMetric(float64(8*b.N)/b.Elapsed().Seconds(), "MB/s")
}
