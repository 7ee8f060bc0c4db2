package verify

import "context"

// checkSendGrid asks SendGrid which scopes a key has: GET
// https://api.sendgrid.com/v3/scopes.
func checkSendGrid(ctx context.Context, c *Checker, s Secret) Verdict {
	a, v := c.bearer(ctx, "https://api.sendgrid.com/v3/scopes", s.Value)
	if a == nil || v.Validity != Valid {
		return v
	}
	var r struct {
		Scopes []string `json:"scopes"`
	}
	if decode(a, &v, &r) {
		v.Scopes = r.Scopes
	}
	return v
}
