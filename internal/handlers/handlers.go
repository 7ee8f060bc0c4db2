// Package handlers lists the scan, output and notification handlers that
// config.yml may name. A new handler is one package implementing
// worker.Scanner, Output or Notifier, added here.
package handlers

import (
	gitlabnotify "github.com/secbot/secbot/internal/notify/gitlab"
	"github.com/secbot/secbot/internal/notify/slack"
	"github.com/secbot/secbot/internal/output/defectdojo"
	"github.com/secbot/secbot/internal/scan/gitleaks"
	"github.com/secbot/secbot/internal/worker"
)

// Registry returns a registry of every shipped handler.
func Registry() *worker.Registry {
	reg := worker.NewRegistry()
	reg.AddScanner(gitleaks.HandlerName, gitleaks.New)
	reg.AddOutput(defectdojo.HandlerName, defectdojo.New)
	reg.AddNotifier(slack.HandlerName, slack.New)
	reg.AddNotifier(gitlabnotify.HandlerName, gitlabnotify.New)
	return reg
}
