package verify

import "context"

// checkHeroku asks Heroku's Platform API whose a key is: GET
// https://api.heroku.com/account (version 3).
func checkHeroku(ctx context.Context, c *Checker, s Secret) Verdict {
	req, ok := get(ctx, "https://api.heroku.com/account")
	if !ok {
		return errBadURL
	}
	req.Header.Set("Authorization", "Bearer "+s.Value)
	req.Header.Set("Accept", "application/vnd.heroku+json; version=3")
	a, v := c.ask(req, s.Value)
	if v.Validity != Valid {
		return v
	}
	var r struct {
		Email string `json:"email"`
	}
	if decode(a, &v, &r) {
		v.Owner = r.Email
	}
	return v
}
