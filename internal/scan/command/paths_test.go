package command

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// Every occurrence goes, including those split between two reads.
func TestReplaceAll(t *testing.T) {
	t.Parallel()
	dir := "/tmp/secbot-command-123/src"
	in := `{"a":"file://` + dir + `/x.c","b":"` + dir + `/y/z.py","c":"` + dir + `","d":"/tmp/secbot-command-1234/src/w"}`
	want := `{"a":"x.c","b":"y/z.py","c":"` + dir + `","d":"/tmp/secbot-command-1234/src/w"}`
	patterns := [][]byte{[]byte("file://" + dir + "/"), []byte(dir + "/")}
	for name, r := range map[string]io.Reader{"one read": strings.NewReader(in), "a byte a read": iotest.OneByteReader(strings.NewReader(in))} {
		var out bytes.Buffer
		if err := replaceAll(&out, r, patterns); err != nil {
			t.Fatal(err)
		}
		if out.String() != want {
			t.Errorf("%s: %s\nwant %s", name, out.String(), want)
		}
	}
}

// A scanner that writes absolute paths and file:// URIs has its report
// name files as the repository does, so changed_files and deduplication
// see app/new.py.
func TestAbsolutePathsBecomeTheRepositorys(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	sarif := `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"abs"}},"results":[` +
		`{"ruleId":"r1","level":"error","message":{"text":"new"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"file://'"$PWD"'/app/new.py"},"region":{"startLine":2}}}]},` +
		`{"ruleId":"r2","level":"error","message":{"text":"old"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"'"$PWD"'/app/old.py"},"region":{"startLine":2}}}]}]}]}`
	for report, want := range map[string][]string{"all": {"app/new.py", "app/old.py"}, "changed_files": {"app/new.py"}} {
		s := newScanner(t, Settings{Command: []string{"sh", "-c", "printf '%s' '" + sarif + "' > {report}"}, ScanType: "SARIF", Report: report})
		req := p.push()
		res, err := s.Scan(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if got := storedFiles(t, req, res); !slices.Equal(got, want) {
			t.Errorf("report: %s: files %v, want %v", report, got, want)
		}
	}
}
