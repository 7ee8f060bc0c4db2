package config

import "time"

// Limits bound what clients can hold open on SecBot's servers. A zero
// field means the default of the package that applies it (httpapi for
// the timeouts, reporter for the waits), as documented in
// docs/configuration.md.
type Limits struct {
	// HeaderTimeout bounds reading a request's line and headers, and an
	// ordinary body after them (SECBOT_HEADER_TIMEOUT).
	HeaderTimeout time.Duration
	// UploadTimeout bounds reading a report upload's body on the reporter
	// (SECBOT_UPLOAD_TIMEOUT).
	UploadTimeout time.Duration
	// MaxWaits bounds the pipeline-gate requests one reporter holds open
	// with ?wait= (SECBOT_MAX_WAITS); MaxWaitsPerClient those of one client
	// address (SECBOT_MAX_WAITS_PER_CLIENT).
	MaxWaits, MaxWaitsPerClient int
}

func limitsFromEnv(env Env) (Limits, error) {
	var l Limits
	var err error
	if l.HeaderTimeout, err = durationVar(env, "SECBOT_HEADER_TIMEOUT", 0); err != nil {
		return l, err
	}
	if l.UploadTimeout, err = durationVar(env, "SECBOT_UPLOAD_TIMEOUT", 0); err != nil {
		return l, err
	}
	if l.MaxWaits, err = intVar(env, "SECBOT_MAX_WAITS", 0); err != nil {
		return l, err
	}
	if l.MaxWaitsPerClient, err = intVar(env, "SECBOT_MAX_WAITS_PER_CLIENT", 0); err != nil {
		return l, err
	}
	return l, nil
}
