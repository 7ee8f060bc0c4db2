// Package slack is the slack notification: it posts an output's new
// findings to Slack channels, each channel once per check.
package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/gitlab"
	"github.com/secbot/secbot/internal/handler"
	"github.com/secbot/secbot/internal/notify"
)

// HandlerName is this notification's handler_name in config.yml.
const HandlerName = "slack"

// Settings is the component's config.
type Settings struct {
	Token    string   `yaml:"token"`
	Channels []string `yaml:"channels"`
	// Channel is the original Security Bot's documented spelling of
	// Channels; either may be set, not both.
	Channel []string `yaml:"channel"`
	// RenderLimit is how many findings a message lists (default 10).
	RenderLimit int `yaml:"render_limit"`
	// APIURL is Slack's Web API base (default https://slack.com/api/); a
	// Slack-compatible server or a test server can stand in.
	APIURL string `yaml:"api_url"`
}

// Notifier is the slack notification handler.
type Notifier struct {
	settings Settings
	client   *slack.Client
}

// New builds the notifier from its component (handler constructor).
func New(c config.Component) (handler.Notifier, error) {
	var s Settings
	if err := c.Decode(&s); err != nil {
		return nil, err
	}
	return NewNotifier(s)
}

// NewNotifier builds a notifier from settings.
func NewNotifier(s Settings) (*Notifier, error) {
	if s.Token == "" {
		return nil, errors.New("token: the Slack token is empty")
	}
	if len(s.Channel) > 0 {
		if len(s.Channels) > 0 {
			return nil, errors.New("channel: channels is set too; list every channel under one of them")
		}
		s.Channels, s.Channel = s.Channel, nil
	}
	if len(s.Channels) == 0 {
		return nil, errors.New("channels: at least one channel is needed")
	}
	if s.RenderLimit <= 0 {
		s.RenderLimit = 10
	}
	opts := []slack.Option{slack.OptionHTTPClient(&http.Client{Timeout: 30 * time.Second})}
	if s.APIURL != "" {
		if !strings.HasSuffix(s.APIURL, "/") {
			s.APIURL += "/"
		}
		opts = append(opts, slack.OptionAPIURL(s.APIURL))
	}
	return &Notifier{settings: s, client: slack.New(s.Token, opts...)}, nil
}

// Notify implements handler.Notifier: for each scan with new findings, one
// message to every channel. A channel posted to is marked, so a retry
// (after another channel failed) posts only where it has not.
func (n *Notifier) Notify(ctx context.Context, req *handler.Request) (handler.Result, error) {
	var total int
	var transient, permanent []string
	batches, err := notify.Batches(req)
	if err != nil {
		return handler.Result{}, err
	}
	for _, in := range batches {
		fresh := in.New()
		if len(fresh) == 0 {
			continue // nothing is sent for no new findings
		}
		total += len(fresh)
		msg := compose(in.Scan, req.Event.Project.WebURL, gitlab.ProjectKey(req.Event.Project.GitSSHURL), fresh, n.settings.RenderLimit)
		for _, channel := range n.settings.Channels {
			err := n.post(ctx, req.Marks, "slack:"+in.Output+":"+in.Scan+":"+channel, channel, msg)
			var pe permanentError
			switch {
			case errors.As(err, &pe):
				permanent = append(permanent, fmt.Sprintf("%s: %s", channel, pe.msg))
			case err != nil:
				transient = append(transient, fmt.Sprintf("%s: %v", channel, err))
			}
		}
	}
	switch {
	case len(transient) > 0: // retried; channels done are skipped then
		return handler.Result{}, fmt.Errorf("posting to Slack: %s", strings.Join(append(transient, permanent...), "; "))
	case len(permanent) > 0:
		return handler.Result{}, handler.Permanent(fmt.Errorf("posting to Slack: %s", strings.Join(permanent, "; ")))
	}
	return handler.Result{Findings: total}, nil
}

// transientSlackErrors are Slack API errors worth retrying.
var transientSlackErrors = map[string]bool{
	"ratelimited": true, "internal_error": true, "fatal_error": true, "service_unavailable": true, "request_timeout": true,
}

type permanentError struct{ msg string }

func (e permanentError) Error() string { return e.msg }

func (n *Notifier) post(ctx context.Context, marks handler.Marks, key, channel string, msg message) error {
	if _, done, err := marks.Marked(ctx, key); err != nil || done {
		return err
	}
	_, ts, err := n.client.PostMessageContext(ctx, channel,
		slack.MsgOptionText(msg.Text, false), slack.MsgOptionBlocks(msg.Blocks...))
	if err != nil {
		var rl *slack.RateLimitedError
		var se slack.SlackErrorResponse
		switch {
		case errors.As(err, &rl):
			return fmt.Errorf("rate limited, retry after %s", rl.RetryAfter)
		case errors.As(err, &se) && !transientSlackErrors[se.Err]:
			return permanentError{msg: se.Err} // channel_not_found, invalid_auth, not_in_channel…
		}
		return err
	}
	return marks.Mark(ctx, key, ts)
}
