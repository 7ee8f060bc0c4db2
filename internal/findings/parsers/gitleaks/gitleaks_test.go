package gitleaks

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/jsonstream"
	"github.com/secbot/secbot/internal/findings/parsers/parsertest"
)

func parse(t *testing.T, report string) []findings.Finding {
	t.Helper()
	return parsertest.Parse(t, Parser{}, report)
}

// workerHash is the hash_code SecBot has always given the finding of
// testdata/worker.json, a report of the worker's own (redacted) scan:
// the findings of its scans must keep their hash codes, or the next scan
// would report them all as new.
const workerHash = "178bee66d2bb5ebde0ccfbaab1900848cc594a401134a8c1f04239b5aebab3c2"

// TestSecretsAreRedacted reads the same leak as the worker reports it
// (redacted) and as the gitleaks CLI does (in clear): both come out as
// the worker's finding always read, with its hash code, and the clear
// secret is nowhere in the finding.
func TestSecretsAreRedacted(t *testing.T) {
	worker, err := os.ReadFile("testdata/worker.json")
	if err != nil {
		t.Fatal(err)
	}
	const secret = "glpat-9Hq2LmXv7TzR4kWb1Nc8"
	clear := strings.NewReplacer(`"Secret": "REDACTED"`, `"Secret": "`+secret+`"`,
		`"GITLAB_TOKEN=REDACTED"`, `"GITLAB_TOKEN=`+secret+`"`, `"add settings"`, `"add settings `+secret+`"`).Replace(string(worker))
	if !strings.Contains(clear, secret) {
		t.Fatal("the clear report lacks its secret")
	}
	fields := findings.DedupFor("Gitleaks Scan").Fields
	redacted, inClear := parse(t, string(worker)), parse(t, clear)
	if got := findings.HashCode(redacted[0], fields); got != workerHash {
		t.Fatalf("the worker's report hashes to %s, want %s as always:\n%s", got, workerHash, redacted[0].Description)
	}
	want := strings.Replace(redacted[0].Description, "add settings", "add settings REDACTED", 1)
	if inClear[0].Description != want || strings.Contains(fmt.Sprintf("%+v", inClear[0]), secret) {
		t.Fatalf("the report in clear reads\n%s\nwant\n%s", inClear[0].Description, want)
	}
}

func TestLegacyAndLongSecretsAreRedacted(t *testing.T) {
	const offender = "AKIAZX8QWERTY12345AB"
	legacy := parse(t, `[{"rule": "AWS Manager ID", "offender": "`+offender+`", "line": "id = `+offender+`",
		"commitMessage": "add `+offender+`", "file": "a.tf", "lineNumber": 2, "commit": "abc"}]`)
	if s := fmt.Sprintf("%+v", legacy); strings.Contains(s, offender) || !strings.Contains(legacy[0].Description, "id = REDACTED") {
		t.Fatalf("a v7 leak keeps its offender: %s", legacy[0].Description)
	}
	long := "glpat-" + strings.Repeat("x", jsonstream.MaxString)
	got := parse(t, `[{"Description": "token", "File": "a", "StartLine": 1, "RuleID": "r",
		"Secret": "`+long+`", "Match": "T=`+long+`"}]`)
	if s := fmt.Sprintf("%+v", got); strings.Contains(s, strings.Repeat("x", 64)) || !strings.Contains(got[0].Description, "**Match:** REDACTED") {
		t.Fatalf("a secret longer than the reader keeps shows in the finding:\n%.300s", got[0].Description)
	}
}

// TestRepeatsCostLinear parses reports repeating one leak a thousand and
// four thousand times: the repeats are merged with the work and memory of
// the report itself (a description grown by each repeat cost the square).
func TestRepeatsCostLinear(t *testing.T) {
	used := map[int]uint64{}
	parsed := map[int][]findings.Finding{}
	for _, n := range []int{1000, 4000} {
		leaks := make([]string, n)
		for i := range leaks {
			leaks[i] = fmt.Sprintf(`{"Description": "Key", "StartLine": 3, "File": "app.py", "RuleID": "k",
				"Secret": "s3cr3t", "Match": "key = s3cr3t %s", "Commit": "%040d"}`, strings.Repeat("m", 200), i)
		}
		report := "[" + strings.Join(leaks, ",") + "]"
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		got := parse(t, report)
		runtime.ReadMemStats(&after)
		used[n], parsed[n] = after.TotalAlloc-before.TotalAlloc, got
	}
	if ratio := float64(used[4000]) / float64(used[1000]); ratio > 6 {
		t.Fatalf("4 times the repeats allocated %.1f times as much (%d MiB against %d MiB): not linear",
			ratio, used[4000]>>20, used[1000]>>20)
	}
	for n, got := range parsed {
		if len(got) != 1 || got[0].NbOccurences != n || len(got[0].Description) > findings.MaxDescription {
			t.Fatalf("%d repeats: %d findings, %d occurrences, a %d-byte description", n, len(got), got[0].NbOccurences, len(got[0].Description))
		}
	}
}
