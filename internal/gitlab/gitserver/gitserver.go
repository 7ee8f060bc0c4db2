// Package gitserver is a stand-in GitLab for git: it serves bare
// repositories over git's smart HTTP protocol behind GitLab's token
// authentication, for tests and the demo.
package gitserver

import (
	"net/http"
	"net/http/cgi"
	"os/exec"
	"path/filepath"
	"strings"
)

// Handler serves the bare repositories under root over git's smart
// HTTP protocol (git http-backend), accepting only GitLab's token
// authentication: HTTP Basic with user oauth2 and token as password.
// seen, when not nil, is called with every request's URL.
func Handler(root, token string, seen func(url string)) (http.Handler, error) {
	execPath, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		return nil, err
	}
	backend := &cgi.Handler{
		Path: filepath.Join(strings.TrimSpace(string(execPath)), "git-http-backend"),
		Env:  []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if seen != nil {
			seen(r.URL.String())
		}
		user, pass, ok := r.BasicAuth()
		if !ok || user != "oauth2" || pass != token {
			w.Header().Set("WWW-Authenticate", `Basic realm="GitLab"`)
			http.Error(w, "HTTP Basic: Access denied", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, r)
	}), nil
}
