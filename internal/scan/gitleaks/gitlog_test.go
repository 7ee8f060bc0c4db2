package gitleaks

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/zricethezav/gitleaks/v8/cmd/scm"
	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/report"
	"github.com/zricethezav/gitleaks/v8/sources"

	"github.com/secbot/secbot/internal/scan/gitleaks/engine"
	"github.com/secbot/secbot/internal/testenv"
)

// SecBot's git log source finds what gitleaks' own finds, field for field,
// on a history of additions, edits, renames, deletions and a binary file.
func TestGitLogFindsWhatGitleaksFinds(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Settings{})
	f.repo.Commit("add", map[string]string{"a.env": "one\nTOKEN=\"" + secret + "\"\n", "b.txt": "fine\n"})
	f.repo.Commit("edit", map[string]string{"b.txt": "fine\n\n\nGH=\"" + secret2 + "\"\nmore\n", "c.bin": "\x00\x01TOKEN=\"" + secret2 + "\"\n"})
	testenv.Run(t, f.repo.Dir, "git", "mv", "a.env", "moved.env")
	f.repo.Commit("rename", map[string]string{"moved.env": "one\nTOKEN=\"" + secret + "\"\nKEY=\"" + secret2 + "\"\n"})
	f.repo.Commit("delete", map[string]string{"b.txt": ""})
	f.repo.Push("main")
	mr := f.openMirror()
	scan := func(source func(*detect.Detector) sources.Source) []report.Finding {
		d, err := f.scanner.detector(context.Background(), mr, "main")
		if err != nil {
			t.Fatal(err)
		}
		findings, err := d.DetectSource(context.Background(), source(d))
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(findings, func(a, b report.Finding) int { return strings.Compare(a.Fingerprint, b.Fingerprint) })
		return findings
	}
	ours := scan(func(*detect.Detector) sources.Source { return &engine.GitLog{Git: mr, All: true} })
	theirs := scan(func(d *detect.Detector) sources.Source {
		// gitleaks' own, on the whole history: no value of an event in it.
		cmd, err := sources.NewGitLogCmdContext(context.Background(), mr.Path(), "")
		if err != nil {
			t.Fatal(err)
		}
		return &sources.Git{Cmd: cmd, Config: &d.Config, Remote: &sources.RemoteInfo{Platform: scm.NoPlatform}, Sema: d.Sema}
	})
	a, _ := json.Marshal(ours)
	b, _ := json.Marshal(theirs)
	if len(ours) != 4 || string(a) != string(b) {
		t.Fatalf("SecBot's source found %d:\n%s\ngitleaks' found %d:\n%s", len(ours), a, len(theirs), b)
	}
}

// gitleaks' source logs git's errors and goes on, so a revision git could
// not resolve scanned nothing and passed; SecBot's fails the scan.
func TestGitLogFailureFailsTheScan(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Settings{})
	mr := f.openMirror()
	d, err := f.scanner.detector(context.Background(), mr, "main")
	if err != nil {
		t.Fatal(err)
	}
	missing := "0123456789abcdef0123456789abcdef01234567"
	_, err = scanLog(context.Background(), d, mr, target{revs: []string{missing}})
	if err == nil || !strings.Contains(err.Error(), "bad object "+missing) {
		t.Fatalf("err = %v, want git's bad object", err)
	}
}
