package slack

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/handler"
	"github.com/secbot/secbot/internal/notify"
)

var emoji = map[string]string{
	findings.Critical: ":red_circle:",
	findings.High:     ":large_orange_circle:",
	findings.Medium:   ":large_yellow_circle:",
	findings.Low:      ":large_green_circle:",
	findings.Info:     ":white_circle:",
}

// message is one Slack message: blocks, and the plain text fallback.
type message struct {
	Text   string
	Blocks []slack.Block
}

// escape makes text safe inside Slack mrkdwn and link labels.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "|", "¦").Replace(s)
}

// compose builds the compat message for the new findings of one scan:
// the header, the first limit findings sorted by severity (most severe
// first, then by title), how many of them block the commit, and a footer
// saying how many were cut.
func compose(component, webURL, project string, newFindings []handler.OutputFinding, limit int) message {
	sorted := append([]handler.OutputFinding(nil), newFindings...)
	notify.SortWorstFirst(sorted)
	shown := sorted[:min(limit, len(sorted))]
	header := fmt.Sprintf("Worker *%s* found *%d* new findings in *<%s|%s>*:", escape(component), len(sorted), webURL, escape(project))
	plainHeader := fmt.Sprintf("Worker %s found %d new findings in %s (%s):", component, len(sorted), project, webURL)
	var lines, plain []string
	for _, f := range shown {
		live, livePlain := "", ""
		if notify.IsLive(f) {
			live, livePlain = " :rotating_light: *LIVE*", " [LIVE]"
		}
		lines = append(lines, fmt.Sprintf("%s%s <%s|%s>", emoji[findings.NormalizeSeverity(f.Severity)], live, f.URL, escape(f.Title)))
		plain = append(plain, fmt.Sprintf("- [%s]%s %s %s", f.Severity, livePlain, f.Title, f.URL))
	}
	blocks := []slack.Block{
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, header, false, false), nil, nil),
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, strings.Join(lines, "\n"), false, false), nil, nil),
	}
	blocking := 0
	for _, f := range sorted {
		if f.Blocking {
			blocking++
		}
	}
	verdict := fmt.Sprintf(":no_entry: *%d* of them block this commit", blocking)
	if blocking == 0 {
		verdict = ":white_check_mark: none of them blocks this commit"
	}
	blocks = append(blocks, slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, verdict, false, false)))
	plain = append(plain, strings.NewReplacer("*", "", ":no_entry: ", "", ":white_check_mark: ", "").Replace(verdict)+".")
	if cut := len(sorted) - len(shown); cut > 0 {
		footer := fmt.Sprintf(":no_bell: *%d* were *stripped* from notification :no_bell:", cut)
		blocks = append(blocks, slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, footer, false, false)))
		plain = append(plain, fmt.Sprintf("%d more were stripped from this notification.", cut))
	}
	return message{Text: plainHeader + "\n" + strings.Join(plain, "\n"), Blocks: blocks}
}
