package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// makeRepository creates demo/app in the stand-in GitLab with two commits,
// the second planting a token; it returns both commits and the token.
func makeRepository(dir, gitRoot string) (before, after, secret string, err error) {
	bare := filepath.Join(gitRoot, "demo", "app.git")
	work := filepath.Join(dir, "work")
	secret = randomToken()
	git := func(args ...string) (string, error) {
		cmd := exec.Command("git", args...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Demo", "GIT_AUTHOR_EMAIL=demo@example.com",
			"GIT_COMMITTER_NAME=Demo", "GIT_COMMITTER_EMAIL=demo@example.com", "GIT_CONFIG_NOSYSTEM=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("git %s: %v: %s", args[0], err, out)
		}
		return strings.TrimSpace(string(out)), nil
	}
	write := func(name, content string) error {
		p := filepath.Join(work, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		return os.WriteFile(p, []byte(content), 0o644)
	}
	if err := os.MkdirAll(work, 0o755); err != nil {
		return "", "", "", err
	}
	steps := []func() error{
		func() error { _, err := git("init", "--quiet", "--bare", bare); return err },
		func() error { _, err := git("init", "--quiet", "-b", "main"); return err },
		func() error { return write("README.md", "# demo app\n") },
		func() error { _, err := git("add", "."); return err },
		func() error { _, err := git("commit", "--quiet", "-m", "initial"); return err },
		func() error { before, err = git("rev-parse", "HEAD"); return err },
		func() error { return write("config/settings.env", "DEBUG=false\nGITLAB_TOKEN="+secret+"\n") },
		func() error { _, err := git("add", "."); return err },
		func() error { _, err := git("commit", "--quiet", "-m", "add settings"); return err },
		func() error { after, err = git("rev-parse", "HEAD"); return err },
		func() error { _, err := git("push", "--quiet", bare, "main"); return err },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return "", "", "", err
		}
	}
	return before, after, secret, nil
}

// postHook sends the push hook GitLab would send and returns the check id.
func postHook(ctx context.Context, receiver, gitlab, before, after string) (string, error) {
	host := strings.TrimPrefix(gitlab, "http://")
	hook := map[string]any{
		"object_kind": "push", "event_name": "push", "before": before, "after": after, "ref": "refs/heads/main",
		"checkout_sha": after, "user_name": "Demo", "total_commits_count": 1,
		"project": map[string]any{
			"path_with_namespace": "demo/app", "web_url": gitlab + "/demo/app", "default_branch": "main",
			"git_http_url": gitlab + "/demo/app.git", "git_ssh_url": "git@" + host + ":demo/app.git",
		},
	}
	body, _ := json.Marshal(hook)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, receiver+"/v1/gitlab/webhook", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Gitlab-Token", hookSecret)
	req.Header.Set("X-Gitlab-Event", "Push Hook")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var answer struct {
		ID string `json:"security_check_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil || resp.StatusCode != http.StatusOK || answer.ID == "" {
		return "", fmt.Errorf("the receiver answered %s", resp.Status)
	}
	return answer.ID, nil
}
