package findings

import "github.com/secbot/secbot/internal/redact"

// RedactSecret replaces every copy of secret in the finding's text with
// redact.Marker, as the worker redacts its own scans. The parser of every
// secrets scanner's report (gitleaks; trufflehog, detect-secrets or
// GitLab secret detection when they come) calls it with each secret a
// finding holds before emitting it, so no secret is stored, shown or
// sent. A report already redacted comes out the same.
func (f *Finding) RedactSecret(secret string) {
	if secret == "" {
		return
	}
	for _, s := range []*string{&f.Title, &f.Description, &f.Mitigation, &f.Impact, &f.References, &f.FilePath,
		&f.ComponentName, &f.ComponentVersion, &f.UniqueIDFromTool, &f.VulnIDFromTool} {
		*s = redact.Secret(*s, secret)
	}
	// The lists are copied: they may be the caller's.
	for _, list := range []*[]string{&f.VulnerabilityIDs, &f.Tags} {
		out := make([]string, len(*list))
		for i, s := range *list {
			out[i] = redact.Secret(s, secret)
		}
		if len(out) > 0 {
			*list = out
		}
	}
}
