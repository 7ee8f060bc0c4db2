package demo_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/secbot/secbot/internal/demo"
	"github.com/secbot/secbot/internal/testenv"
)

// TestDemo runs `make demo`'s story end to end: real processes, real
// PostgreSQL, Redis and git, stand-ins for GitLab and Slack.
func TestDemo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dsn := testenv.PostgresDSN(t) // a database name of the test's own
	name := dsn[strings.LastIndex(dsn, "/")+1:]
	var out bytes.Buffer
	res, err := demo.Run(ctx, &out, demo.Options{AdminDSN: testenv.AdminDSN(), Database: name, RedisURL: testenv.RedisURL(t)})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if res.Verdict != "fail" || res.Findings != 1 || !strings.Contains(res.SlackMessage, "found 1 new findings in") {
		t.Fatalf("result %+v\n%s", res, out.String())
	}
	for _, want := range []string{"config/settings.env:2", "/finding/1", `got "fail"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the story lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "GITLAB_TOKEN=glpat-") {
		t.Fatal("the demo printed the planted secret")
	}
}
