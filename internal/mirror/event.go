package mirror

import (
	"context"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/gitlab"
)

// OpenEvent opens the mirror of the event's project, locked, and prepares
// it for the event (Prepare): what every scan of a checkout or of the
// history starts with. The caller closes the mirror; on an error it is
// closed already.
func (m *Mirrors) OpenEvent(ctx context.Context, inst config.Instance, ev *gitlab.Event) (*Mirror, Commits, error) {
	remote, err := RemoteURL(inst, ev.Project.GitHTTPURL)
	if err != nil {
		return nil, Commits{}, err
	}
	mr, err := m.Open(ctx, remote, inst)
	if err != nil {
		return nil, Commits{}, err
	}
	commits, err := mr.Prepare(ctx, inst, ev, remote)
	if err != nil {
		mr.Close()
		return nil, Commits{}, err
	}
	return mr, commits, nil
}
