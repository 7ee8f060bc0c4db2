package gitlab

import (
	"context"
	"fmt"
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/secbot/secbot/internal/handler"
	"github.com/secbot/secbot/internal/notify"
)

// marker starts SecBot's note on a merge request; finding it again is how
// a later push updates the note instead of adding one.
func (n *Notifier) marker() string { return "<!-- secbot:" + n.settings.StatusName + " -->" }

// writeNote writes the merge request's note for this check's new findings:
// it updates SecBot's note when the merge request has one, and creates one
// only when there is something new to say. It returns how many new
// findings the note lists.
func (n *Notifier) writeNote(ctx context.Context, req *handler.Request) (int, error) {
	batches, err := notify.Batches(req)
	if err != nil {
		return 0, err
	}
	fresh := 0
	for _, b := range batches {
		fresh += len(b.New())
	}
	client, err := n.client(req.Instance)
	if err != nil {
		return 0, err
	}
	pid, iid := req.Event.Project.ID, req.Event.MergeRequest.IID
	existing, err := n.findNote(ctx, client, pid, iid)
	if err != nil {
		return 0, err
	}
	body := n.noteBody(req, batches)
	switch {
	case existing != nil && existing.Body == body:
		return fresh, nil
	case existing != nil:
		_, _, err = client.Notes.UpdateMergeRequestNote(pid, iid, existing.ID,
			&gl.UpdateMergeRequestNoteOptions{Body: gl.Ptr(body)}, gl.WithContext(ctx))
		return fresh, classify(fmt.Sprintf("updating note %d on merge request !%d", existing.ID, iid), err)
	case fresh == 0:
		return 0, nil // nothing new and nothing said before: no note
	}
	_, _, err = client.Notes.CreateMergeRequestNote(pid, iid,
		&gl.CreateMergeRequestNoteOptions{Body: gl.Ptr(body)}, gl.WithContext(ctx))
	return fresh, classify(fmt.Sprintf("writing a note on merge request !%d", iid), err)
}

// findNote returns SecBot's note on the merge request, reading every page
// of its notes, or nil.
func (n *Notifier) findNote(ctx context.Context, client *gl.Client, pid, iid int64) (*gl.Note, error) {
	opt := &gl.ListMergeRequestNotesOptions{ListOptions: gl.ListOptions{PerPage: 100, Page: 1},
		OrderBy: gl.Ptr("created_at"), Sort: gl.Ptr("asc")}
	for {
		notes, resp, err := client.Notes.ListMergeRequestNotes(pid, iid, opt, gl.WithContext(ctx))
		if err != nil {
			return nil, classify(fmt.Sprintf("reading the notes of merge request !%d", iid), err)
		}
		for _, note := range notes {
			if !note.System && strings.HasPrefix(note.Body, n.marker()) {
				return note, nil
			}
		}
		if resp.NextPage == 0 || len(notes) == 0 {
			return nil, nil
		}
		opt.Page = resp.NextPage
	}
}

// noteBody is the note's Markdown: a header with the commit and a link to
// the check, then each scan's new findings most severe first, saying which
// block the commit, cut at RenderLimit over all.
func (n *Notifier) noteBody(req *handler.Request, batches []notify.Batch) string {
	var b strings.Builder
	b.WriteString(n.marker() + "\n")
	commit := req.Check.CommitSHA
	if len(commit) > 8 {
		commit = commit[:8]
	}
	check := ""
	if n.settings.ReporterURL != "" {
		check = fmt.Sprintf(" ([check](%s))", n.checkURL(req.Check.ID))
	}
	total := 0
	for _, batch := range batches {
		total += len(batch.New())
	}
	if total == 0 {
		fmt.Fprintf(&b, "**SecBot** found no new findings in commit `%s`%s.\n", commit, check)
	} else {
		fmt.Fprintf(&b, "**SecBot** found **%d** new findings in commit `%s`%s.\n", total, commit, check)
	}
	left := n.settings.RenderLimit
	for _, batch := range batches {
		fresh := batch.New()
		if len(fresh) == 0 {
			continue
		}
		blocking := 0
		for _, f := range fresh {
			if f.Blocking {
				blocking++
			}
		}
		fmt.Fprintf(&b, "\n#### %s: %d new, %d blocking\n\n", cell(batch.Scan), len(fresh), blocking)
		if left <= 0 {
			fmt.Fprintf(&b, "%d are on the check page.\n", len(fresh))
			continue
		}
		b.WriteString("| Severity | Finding | Where | Blocks |\n| --- | --- | --- | --- |\n")
		shown := fresh[:min(len(fresh), left)]
		left -= len(shown)
		for _, f := range shown {
			title := cell(f.Title)
			if f.URL != "" {
				title = fmt.Sprintf("[%s](%s)", title, f.URL)
			}
			if notify.IsLive(f) {
				title = "**LIVE secret** " + title
			}
			where := ""
			if f.FilePath != "" {
				where = fmt.Sprintf("`%s:%d`", strings.ReplaceAll(cell(f.FilePath), "`", "'"), f.Line)
			}
			blocks := "no"
			if f.Blocking {
				blocks = "**yes**"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", cell(f.Severity), title, where, blocks)
		}
		if cut := len(fresh) - len(shown); cut > 0 {
			fmt.Fprintf(&b, "\n%d more are on the check page.\n", cut)
		}
	}
	b.WriteString("\n_SecBot updates this note for each new commit of the merge request._")
	return b.String()
}

// cell makes text safe inside one Markdown table cell: no line breaks, no
// column separators, no HTML.
func cell(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ", "|", "\\|", "<", "&lt;", ">", "&gt;", "[", "\\[", "]", "\\]").Replace(s)
}
