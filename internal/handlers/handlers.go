// Package handlers is the table of the scan, output and notification
// handlers config.yml may name. A new handler is one package implementing
// an interface of internal/handler, and one line here.
package handlers

import (
	"github.com/secbot/secbot/internal/handler"
	gitlabnotify "github.com/secbot/secbot/internal/notify/gitlab"
	"github.com/secbot/secbot/internal/notify/slack"
	"github.com/secbot/secbot/internal/output/defectdojo"
	"github.com/secbot/secbot/internal/scan/command"
	"github.com/secbot/secbot/internal/scan/gitleaks"
	gitleakssettings "github.com/secbot/secbot/internal/scan/gitleaks/settings"
)

// table names every shipped handler: its handler_name, the check of its
// settings (nil: building it is the check) and its constructor. The
// receiver only checks; the worker builds.
var table = []handler.Plugin{
	handler.Scan(gitleaks.HandlerName, gitleakssettings.Check, gitleaks.New),
	handler.Scan(command.HandlerName, command.Check, command.New),
	handler.Export(defectdojo.HandlerName, nil, defectdojo.New),
	handler.Notify(slack.HandlerName, nil, slack.New),
	handler.Notify(gitlabnotify.HandlerName, nil, gitlabnotify.New),
}

// Registry returns the registry of every shipped handler.
func Registry() *handler.Registry { return handler.NewRegistry(table...) }
