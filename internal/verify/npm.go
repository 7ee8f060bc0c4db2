package verify

import "context"

// checkNPM asks the npm registry who a token is: GET
// https://registry.npmjs.org/-/whoami.
func checkNPM(ctx context.Context, c *Checker, s Secret) Verdict {
	a, v := c.bearer(ctx, "https://registry.npmjs.org/-/whoami", s.Value)
	if a == nil || v.Validity != Valid {
		return v
	}
	var r struct {
		Username string `json:"username"`
	}
	if decode(a, &v, &r) {
		v.Owner = r.Username
	}
	return v
}
