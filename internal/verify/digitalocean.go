package verify

import "context"

// checkDigitalOcean asks DigitalOcean whose a token is: GET
// https://api.digitalocean.com/v2/account.
func checkDigitalOcean(ctx context.Context, c *Checker, s Secret) Verdict {
	a, v := c.bearer(ctx, "https://api.digitalocean.com/v2/account", s.Value)
	if a == nil || v.Validity != Valid {
		return v
	}
	var r struct {
		Account struct {
			Email string `json:"email"`
		} `json:"account"`
	}
	if decode(a, &v, &r) {
		v.Owner = r.Account.Email
	}
	return v
}
