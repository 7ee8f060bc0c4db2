package mirror

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"

	"github.com/secbot/secbot/internal/gitlab"
	"github.com/secbot/secbot/internal/handler"
)

// fetch brings refspecs from remote into the mirror, authenticating with
// the instance's token as GitLab expects (HTTP Basic, user oauth2). The
// token travels in git's environment-provided config, never in arguments
// or URLs; redirects are not followed. A failure that fetching again
// cannot mend (a refused token, no such repository or branch) is
// permanent, with the reason.
func (mr *Mirror) fetch(ctx context.Context, remote *url.URL, refspecs ...string) error {
	env := []string{
		"GIT_TERMINAL_PROMPT=0",
		"GIT_ALLOW_PROTOCOL=http:https",
		"GIT_CONFIG_COUNT=3",
		"GIT_CONFIG_KEY_0=http.followRedirects", "GIT_CONFIG_VALUE_0=false",
		"GIT_CONFIG_KEY_1=credential.helper", "GIT_CONFIG_VALUE_1=",
		"GIT_CONFIG_KEY_2=http.extraHeader", "GIT_CONFIG_VALUE_2=" + mr.authHeader(),
	}
	_, err := mr.git(ctx, env, fetchArgs(remote, refspecs)...)
	if err != nil {
		return mr.fetchError(remote, err)
	}
	return nil
}

// fetchArgs are git fetch's arguments: fixed options, then, after
// --end-of-options, the remote and the refspecs, which git therefore
// never reads as options.
func fetchArgs(remote *url.URL, refspecs []string) []string {
	args := []string{"fetch", "--quiet", "--prune", "--no-tags", "--force", "--end-of-options", remote.String()}
	return append(args, refspecs...)
}

// forkRefspec fetches a fork merge request's source branch into the
// mirror as refs/secbot/mr/<iid>. The branch is checked by git's rules
// first: with no ":", "*", "^" or space in it, it names one ref.
func forkRefspec(mr *gitlab.MergeRequestInfo) (string, error) {
	if err := gitlab.CheckBranchName(mr.SourceBranch); err != nil {
		return "", handler.Permanent(fmt.Errorf("merge request source branch %q refused: it %w", mr.SourceBranch, err))
	}
	if mr.IID <= 0 {
		return "", handler.Permanent(fmt.Errorf("merge request number %d refused", mr.IID))
	}
	return "+refs/heads/" + mr.SourceBranch + ":refs/secbot/mr/" + strconv.FormatInt(mr.IID, 10), nil
}

func (mr *Mirror) authHeader() string {
	if mr.token == "" {
		return ""
	}
	return "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("oauth2:"+mr.token))
}

// What git (in the C locale) says when the instance refuses the token, has
// no such repository, or has no such ref. With the token in a header
// rather than in git's credentials, git answers a 401 by asking for a user
// name, which it cannot do without a terminal.
var (
	fetchRefused   = regexp.MustCompile(`could not read Username|Authentication failed|returned error: 40[13]\b`)
	fetchForbidden = regexp.MustCompile(`returned error: 403\b`)
	fetchNoRepo    = regexp.MustCompile(`repository '[^']*' not found|returned error: 404\b`)
	fetchNoRef     = regexp.MustCompile(`couldn't find remote ref|invalid refspec|is not a valid ref name`)
)

// fetchError says why a fetch failed, and makes the failures that no
// retry mends permanent. Messages name the instance, never the token.
func (mr *Mirror) fetchError(remote *url.URL, err error) error {
	var ge *gitError
	if !errors.As(err, &ge) {
		return fmt.Errorf("fetching %s: %w", remote.Redacted(), err)
	}
	switch {
	case fetchRefused.MatchString(ge.message):
		status := "401"
		if fetchForbidden.MatchString(ge.message) {
			status = "403"
		}
		if mr.token == "" {
			return handler.Permanent(fmt.Errorf("fetching %s: GitLab instance %s refused the fetch (HTTP %s): the instance has no auth_token; "+
				"give it one with the read_repository scope in GITLAB_CONFIGS", remote.Redacted(), mr.instance, status))
		}
		return handler.Permanent(fmt.Errorf("fetching %s: GitLab instance %s refused its auth_token (HTTP %s): the token is wrong, "+
			"expired or revoked, or lacks the read_repository scope; give the instance a token with read_repository in GITLAB_CONFIGS",
			remote.Redacted(), mr.instance, status))
	case fetchNoRepo.MatchString(ge.message):
		return handler.Permanent(fmt.Errorf("fetching %s: GitLab instance %s has no such repository (HTTP 404), "+
			"or its auth_token may not read it: check that the project exists and that the token's user is a member",
			remote.Redacted(), mr.instance))
	case fetchNoRef.MatchString(ge.message):
		return handler.Permanent(fmt.Errorf("fetching %s: %w (a branch deleted since the event, or one that never existed)", remote.Redacted(), err))
	}
	return fmt.Errorf("fetching %s: %w", remote.Redacted(), err)
}
