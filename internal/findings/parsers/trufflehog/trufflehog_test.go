package trufflehog

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
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
	return parsertest.Sample(t, "trufflehog/"+name)
}

func TestV3(t *testing.T) {
	got := parse(t, sample(t, "v3_github.json"))
	if len(got) != 3 {
		t.Fatalf("%d findings, want 3", len(got))
	}
	aws := got[0]
	const link = "https://github.com/trufflesecurity/test_keys/blob/fbc14303ffbf8fb1c2c1914e8dda7d0121633aca/keys"
	wantDesc := "**Repository:** https://github.com/trufflesecurity/test_keys.git\n**Link:** " + link +
		"\n**Commit Hash:** fbc14303ffbf8fb1c2c1914e8dda7d0121633aca\n**Commit Date:** 2022-06-16 10:17:40 -0700 -0700" +
		"\n**Committer:** counter <counter@counters-MacBook-Air.local>\n**Reason:** AWS\n**Path:** keys\n**Contents:** REDACTED" +
		"\n**Extra Data:**\n\taccount: 595918472158\n\tarn: arn:aws:iam::595918472158:user/canarytokens.com@@mirux23ppyky6hx3l6vclmhnj" +
		"\n\tuser_id: AIDAYVP4CIPPJ5M54LRCY\n"
	if aws.Title != "Hard Coded AWS secret in: keys" || aws.Severity != findings.Critical || aws.CWE != 798 ||
		aws.FilePath != "keys" || aws.Line != 4 || !aws.StaticFinding || aws.DynamicFinding || aws.NbOccurences != 1 {
		t.Errorf("AWS finding: %+v", aws)
	}
	if aws.Description != wantDesc {
		t.Errorf("AWS description:\n%s\nwant\n%s", aws.Description, wantDesc)
	}
	if !strings.HasSuffix(aws.Mitigation, "\nSee the commit here: "+link) || aws.Impact == "" {
		t.Errorf("AWS mitigation %q, impact %q", aws.Mitigation, aws.Impact)
	}
	// The URI is found twice at one place: one finding, both descriptions.
	uri := got[1]
	if uri.Line != 3 || uri.NbOccurences != 2 || strings.Count(uri.Description, "**Repository:**") != 2 ||
		!strings.Contains(uri.Description, "basic_auth\n**Repository:**") ||
		!strings.Contains(uri.Description, "**Contents:** https://*****:*****@the-internet.herokuapp.com/basic_auth") {
		t.Errorf("URI finding (%d occurrences):\n%s", uri.NbOccurences, uri.Description)
	}
	key := got[2]
	if key.Severity != findings.Critical || key.Line != 1 ||
		!strings.Contains(key.Description, "**Contents:** REDACTED\n**Structured Data:**\n\tgithub_ssh_key: [{'user': 'thisisforgithub0'}]\n") {
		t.Errorf("private key finding (%s):\n%s", key.Severity, key.Description)
	}
}

func TestV2(t *testing.T) {
	got := parse(t, sample(t, "v2_many_vulns.json"))
	first := got[0]
	wantStart := "**Commit:** Fixed since_commit and tests (#219)\n```\nFixed since_commit and tests (#219)\n\n* Fixed since_commit and tests\r\n"
	if first.Title != "Hard Coded Generic Secret in: test_all.py" || first.Severity != findings.Medium || first.Line != 0 ||
		first.FilePath != "test_all.py" || first.CWE != 798 || first.NbOccurences != 6 {
		t.Errorf("first finding: %+v", first)
	}
	if !strings.HasPrefix(first.Description, wantStart) ||
		!strings.Contains(first.Description, "**Commit Hash:** 288f35ed2e73145e3578207e896a4cf1600bea45\n**Commit Date:** 2021-01-30 19:50:09\n**Branch:** origin/dev\n**Reason:** Generic Secret\n**Path:** test_all.py\n\n**Strings Found:**\n```REDACTED\nREDACTED\n```\n**Commit:** ") ||
		strings.Count(first.Description, "**Strings Found:**") != 6 {
		t.Errorf("first description:\n%.1500s", first.Description)
	}
	for reason, want := range map[string]string{"High Entropy": findings.Info, "AWS API Key": findings.Critical,
		"Slack Oauth token": findings.Critical, "Heroku API Key": findings.Critical, "RSA private key": findings.High} {
		l := `{"path": "a.py", "reason": "` + reason + `", "commit": "c", "commitHash": "h", "date": "d", "branch": "b", "stringsFound": ["s3cr3tvalue"]}`
		if f := parse(t, l); f[0].Severity != want {
			t.Errorf("%s: severity %s, want %s", reason, f[0].Severity, want)
		}
	}
	// A commit message quoting a fence cannot end the description's block.
	f := parse(t, `{"path": "a", "reason": "r", "commit": "see `+"```"+`x`+"```"+`", "commitHash": "h", "date": "d", "branch": "b", "stringsFound": []}`)
	if !strings.Contains(f[0].Description, "see \\`\\`\\`x\\`\\`\\`") {
		t.Errorf("fence in a commit message:\n%s", f[0].Description)
	}
}

// TestOtherSources reads v3 lines of a source other than git (the source
// is whichever one Data names) and of newer releases, which write Raw as
// text rather than base64.
func TestOtherSources(t *testing.T) {
	const token = "xoxb-2385-0987654321-QwErTyUiOpAsDfGhJkL"
	got := parse(t, `{"SourceMetadata":{"Data":{"Filesystem":{"file":"config/.env","line":"7"}}},"SourceType":15,`+
		`"DetectorName":"Slack","Verified":false,"Raw":"`+token+`","RawV2":"`+token+`:T0001","Redacted":"`+token[:12]+`",`+
		`"ExtraData":{"team":"acme","scopes":{"bot":["chat:write"],"ok":true,"rate":0.5}},"StructuredData":{}}`)
	f := got[0]
	if f.Title != "Hard Coded Slack secret in: config/.env" || f.FilePath != "config/.env" || f.Line != 7 ||
		f.Severity != findings.Critical || f.Mitigation != mitigation {
		t.Errorf("filesystem finding: %+v", f)
	}
	// StructuredData {} is false to Python: no heading for it.
	want := "**Repository:** \n**Link:** \n**Commit Hash:** \n**Commit Date:** \n**Committer:** \n**Reason:** Slack\n" +
		"**Path:** config/.env\n**Contents:** REDACTED\n**Extra Data:**\n\tteam: acme\n\t\tbot: ['chat:write']\n\t\tok: True\n\t\trate: 0.5\n"
	if f.Description != want {
		t.Errorf("description:\n%q\nwant\n%q", f.Description, want)
	}
	parsertest.NoSecret(t, got, []string{token, token[:12]})

	for detector, want := range map[string]string{"PrivateKey": findings.High, "Generic Secret": findings.Medium,
		"AWS": findings.Critical, "Stripe": findings.Critical} {
		l := `{"SourceMetadata":{"Data":{"Git":{"file":"f","line":1}}},"DetectorName":"` + detector + `","Verified":false}`
		if f := parse(t, l); f[0].Severity != want {
			t.Errorf("unverified %s: %s, want %s", detector, f[0].Severity, want)
		}
		verified := strings.Replace(l, `"Verified":false`, `"Verified":true`, 1)
		if f := parse(t, verified); f[0].Severity != findings.Critical {
			t.Errorf("verified %s: %s", detector, f[0].Severity)
		}
	}
}

// TestSecretsRedacted reads every sample's secrets as trufflehog reports
// them (v2's strings found; v3's Raw and RawV2, decoded where base64, and
// Redacted where it is part of one) and finds none in the findings.
func TestSecretsRedacted(t *testing.T) {
	for _, name := range []string{"v2_many_vulns.json", "v3_git.json", "v3_github.json"} {
		t.Run(name, func(t *testing.T) {
			report := sample(t, name)
			var secrets []string
			sc := bufio.NewScanner(strings.NewReader(report))
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				var l struct {
					Raw, RawV2, Redacted string
					StringsFound         []string `json:"stringsFound"`
				}
				if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
					t.Fatal(err)
				}
				secrets = append(secrets, l.StringsFound...)
				for _, raw := range []string{l.Raw, l.RawV2} {
					if raw == "" {
						continue
					}
					decoded, err := base64.StdEncoding.DecodeString(raw)
					if err != nil {
						t.Fatalf("Raw is not base64 in this sample: %v", err)
					}
					secrets = append(secrets, raw, string(decoded))
					if bytes.Contains(decoded, []byte(l.Redacted)) {
						secrets = append(secrets, l.Redacted)
					}
				}
			}
			parsertest.NoSecret(t, parse(t, report), secrets)
		})
	}
}

func TestBrokenLines(t *testing.T) {
	const good = `{"SourceMetadata":{"Data":{"Git":{"file":"f","line":1}}},"DetectorName":"AWS"}`
	for report, want := range map[string]string{
		good + "\n" + `{"unrelated": 1}`:        "line 2 has neither SourceMetadata (v3) nor path (v2)",
		good + "\n" + `{"SourceMetadata": {"Da`: "line 2",
		good + "\n" + `[1, 2]`:                  "line 2",
		`{"SourceMetadata": "git"}`:             "line 1: SourceMetadata: want a JSON object, found a string",
		"\x00\x01":                              "trufflehog wants its JSON lines output",
	} {
		_, err := findings.Parse(Parser{}, strings.NewReader(report))
		if !errors.Is(err, findings.ErrFormat) || !strings.Contains(err.Error(), want) {
			t.Errorf("%.40q: err = %v, want ErrFormat saying %q", report, err, want)
		}
	}
	for _, empty := range []string{"", "\n", "\n\n  \n"} {
		if got := parse(t, empty); len(got) != 0 {
			t.Errorf("%q: %d findings", empty, len(got))
		}
	}
}

func TestPythonText(t *testing.T) {
	for raw, want := range map[string]string{
		`"plain"`:                       "plain",
		`["it's", "say \"hi\"", "a"]`:   `["it's", 'say "hi"', 'a']`,
		`[null, true, false, 12]`:       "[None, True, False, 12]",
		`{"a": [1.0, 2.5, 1e20, 1e-7]}`: "{'a': [1.0, 2.5, 1e+20, 1e-07]}",
		`"tab\tnew\nline\\"`:            "tab\tnew\nline\\",
		`["tab\tnew\nline\\ \u0007"]`:   `['tab\tnew\nline\\ \x07']`,
	} {
		got, err := pyStr(json.RawMessage(raw))
		if err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", raw, got, err, want)
		}
	}
	for raw, want := range map[string]bool{`null`: false, `{}`: false, `[ ]`: false, `""`: false, `0`: false, `0.0`: false,
		`false`: false, `{"a": 1}`: true, `[0]`: true, `"x"`: true, `2`: true, `true`: true} {
		if truthy(json.RawMessage(raw)) != want {
			t.Errorf("truthy(%s) = %v", raw, !want)
		}
	}
	text, err := walkDict(json.RawMessage(`{"a": 1, "b": {"c": "x", "d": {"e": null}}, "f": {}}`), 1)
	if want := "\ta: 1\n\t\tc: x\n\t\t\te: None\n"; err != nil || text != want {
		t.Errorf("walkDict = %q, %v; want %q", text, err, want)
	}
}
