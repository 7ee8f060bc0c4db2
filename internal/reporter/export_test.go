package reporter

import "time"

// SetPollInterval changes how often r polls its waited-on checks; call it
// before Run.
func SetPollInterval(r *Reporter, d time.Duration) { r.hub.poll = d }
