// Package catalog names the shipped handlers by role, with a check of each
// one's settings, without building them, for processes that only check
// config.yml (the receiver): the receiver refuses every setting the worker
// refuses, yet never loads the gitleaks scanner, whose rules take tens of
// megabytes a process that never scans does not need. A test keeps it
// equal to handlers.Registry.
package catalog

import (
	gitlabnotify "github.com/secbot/secbot/internal/notify/gitlab"
	"github.com/secbot/secbot/internal/notify/slack"
	"github.com/secbot/secbot/internal/output/defectdojo"
	gitleaks "github.com/secbot/secbot/internal/scan/gitleaks/settings"
	"github.com/secbot/secbot/internal/worker"
)

// Registry is a registry that knows the shipped handlers by name and
// settings: it checks a config.yml (Registry.Check) but builds nothing.
func Registry() *worker.Registry {
	reg := worker.NewRegistry()
	reg.CheckScanner("gitleaks", gitleaks.Check)
	reg.CheckOutput(defectdojo.HandlerName, defectdojo.Check)
	reg.CheckNotifier(slack.HandlerName, slack.Check)
	reg.CheckNotifier(gitlabnotify.HandlerName, gitlabnotify.Check)
	return reg
}
