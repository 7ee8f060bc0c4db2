package noseyparker

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/parsertest"
)

func parse(t *testing.T, report string) []findings.Finding {
	t.Helper()
	return parsertest.Parse(t, Parser{}, report)
}

func sample(t *testing.T, name string) string {
	t.Helper()
	return parsertest.Sample(t, "noseyparker/"+name)
}

func TestLegacy(t *testing.T) {
	got := parse(t, sample(t, "noseyparker_one_vul.jsonl"))
	if len(got) != 1 {
		t.Fatalf("%d findings, want 1", len(got))
	}
	f := got[0]
	want := "Secret found of type:   Generic API Key \nSECRET starts with:  'REDACTED' \nCommitter Name: Princess Leia  \n" +
		"Committer Email: leia@test.com \nCommit ID: 0ee84b84c29924b210e3576fe9d1e8632948bedc  \n" +
		"Location: app/schema/config.py line #16 \nLine #16 "
	if f.Title != "Secret(s) Found in Repository with Commit ID 0ee84b84c29924b210e3576fe9d1e8632948bedc" ||
		f.Severity != findings.High || f.CWE != 798 || f.FilePath != "app/schema/config.py" || f.Line != 16 ||
		f.Mitigation == "" || !*f.Active || *f.Verified || f.IsMitigated || !f.StaticFinding || f.DynamicFinding {
		t.Errorf("finding: %+v", f)
	}
	if f.Description != want {
		t.Errorf("description:\n%q\nwant\n%q", f.Description, want)
	}
}

// gitLine is a v0.22 line of a scan with git history (made up in the
// shape of Nosey Parker's own): the secret's key id is also in its path.
const gitLine = `{"finding_id":"9f1c0e","rule_name":"AWS API Credentials","rule_text_id":"np.aws.6",` +
	`"groups":["QUtJQUVYQU1QTEVLRVlJRDAwMDE=","d0phbHJFWEFNUExFc2VjcmV0S0VZL2FiY2RlZmdoaWowMTIzNDU2"],"num_matches":1,` +
	`"matches":[{"provenance":[{"kind":"git_repo","repo_path":"./.git","first_commit":{"commit_metadata":{"commit_id":"43d6429098e4",` +
	`"committer_name":"Jo Doe","committer_email":"jo@example.com","message":"add AKIAEXAMPLEKEYID0001\n"},"blob_path":"keys/AKIAEXAMPLEKEYID0001.ini"}}],` +
	`"location":{"offset_span":{"start":10,"end":90},"source_span":{"start":{"line":25,"column":19},"end":{"line":27,"column":0}}},` +
	`"groups":["QUtJQUVYQU1QTEVLRVlJRDAwMDE=","d0phbHJFWEFNUExFc2VjcmV0S0VZL2FiY2RlZmdoaWowMTIzNDU2"],` +
	`"snippet":{"before":"[default]\naws_access_key_id=","matching":"AKIAEXAMPLEKEYID0001\n","after":""},"rule_text_id":"np.aws.6"}]}`

func TestCurrent(t *testing.T) {
	got := parse(t, sample(t, "noseyparker_0_22_0_without_githistory.jsonl"))
	f := got[0]
	want := "Secret found of type: Base64-PEM-Encoded Private Key \nRule Text ID: 'np.pem.2' \nLocation: ./k8s/main.key line #6 \nLine #6 "
	if f.Title != "Secret(s) Found in Repository" || f.FilePath != "./k8s/main.key" || f.Line != 6 || f.Description != want {
		t.Errorf("a file outside git: %+v", f)
	}
	withGit := parse(t, gitLine)
	f = withGit[0]
	want = "Secret found of type: AWS API Credentials \nRule Text ID: 'np.aws.6' \nCommitter Name: Jo Doe  \n" +
		"Committer Email: jo@example.com \nCommit ID: 43d6429098e4  \nLocation: keys/REDACTED.ini line #25 \nLine #25 "
	if f.Title != "Secret(s) Found in Repository with Commit ID 43d6429098e4" || f.FilePath != "keys/REDACTED.ini" ||
		f.Line != 25 || f.Description != want {
		t.Errorf("a file in git:\n%q\n%+v", f.Description, f)
	}
	parsertest.NoSecret(t, withGit, []string{"AKIAEXAMPLEKEYID0001", "wJalrEXAMPLEsecretKEY/abcdefghij0123456"})
}

// TestSecretsRedacted reads each line of every sample alone, with its
// secret (v0.16's match_content, v0.22's groups), and finds the secret
// nowhere in its findings. (Line by line: a sample's generic rules found
// the words "secret" and "Password", which other lines' texts hold.)
func TestSecretsRedacted(t *testing.T) {
	for _, name := range []string{"noseyparker_one_vul.jsonl", "noseyparker_many_vul.jsonl", "noseyparker_0_22_0_without_githistory.jsonl"} {
		t.Run(name, func(t *testing.T) {
			sc := bufio.NewScanner(strings.NewReader(sample(t, name)))
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				var l struct {
					MatchContent string   `json:"match_content"`
					Groups       []string `json:"groups"`
				}
				if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
					t.Fatal(err)
				}
				var secrets []string
				if l.MatchContent != "" {
					secrets = append(secrets, l.MatchContent)
				}
				for _, g := range l.Groups {
					b, err := base64.StdEncoding.DecodeString(g)
					if err != nil {
						t.Fatal(err)
					}
					secrets = append(secrets, string(b))
				}
				parsertest.NoSecret(t, parse(t, sc.Text()), secrets)
			}
		})
	}
}

func TestRepeatsAndOrder(t *testing.T) {
	got := parse(t, sample(t, "noseyparker_many_vul.jsonl"))
	if len(got) != 3 || got[0].NbOccurences != 2 || got[1].NbOccurences != 2 || got[2].NbOccurences != 2 {
		t.Fatalf("%d findings: %+v", len(got), got)
	}
	// Matches before the line says its shape are read at its end.
	head, matches, _ := strings.Cut(gitLine, `"num_matches":1,`)
	reordered := "{" + strings.TrimSuffix(matches, "}") + ", " + strings.TrimPrefix(head, "{") + `"num_matches":1}`
	if !json.Valid([]byte(reordered)) {
		t.Fatalf("not JSON: %s", reordered)
	}
	if a, b := parse(t, gitLine), parse(t, reordered); !reflect.DeepEqual(a, b) {
		t.Errorf("matches first:\n%+v\nwant\n%+v", b, a)
	}
}

func TestEmptyAndBroken(t *testing.T) {
	for _, empty := range []string{"", "{}", "{}\n\n{}\n"} {
		if got := parse(t, empty); len(got) != 0 {
			t.Errorf("%q: %d findings", empty, len(got))
		}
	}
	for r, want := range map[string]string{
		gitLine + "\n" + `{"rule_name": "x"}`: "line 2 has no rule_name with match_content (v0.16) or finding_id (v0.22)",
		`{"error": "ECONNREFUSED"}`:           "line 1 has no rule_name",
		gitLine + "\n" + `{"rule_name": `:     "line 2",
		`[{"rule_name": "x"}]`:                "line 1: want a JSON object, found [",
	} {
		_, err := findings.Parse(Parser{}, strings.NewReader(r))
		if !errors.Is(err, findings.ErrFormat) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "nosey parker wants") {
			t.Errorf("%.60q: err = %v, want ErrFormat saying %q", r, err, want)
		}
	}
}
