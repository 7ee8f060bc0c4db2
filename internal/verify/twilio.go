package verify

import (
	"context"
	"regexp"
)

// twilioSecret is an API key secret's shape: 32 letters and digits.
var twilioSecret = regexp.MustCompile(`(?:^|[^A-Za-z0-9])([A-Za-z0-9]{32})(?:[^A-Za-z0-9]|$)`)

// checkTwilio lists the accounts an API key (SK…) reaches, with the key's
// secret from the lines around it: GET
// https://api.twilio.com/2010-04-01/Accounts.json, HTTP Basic.
func checkTwilio(ctx context.Context, c *Checker, s Secret) Verdict {
	secret := pairedSecret(s, twilioSecret, "secret")
	if secret == "" {
		return Verdict{Validity: NotChecked, Reason: "no API key secret near the API key"}
	}
	req, ok := get(ctx, "https://api.twilio.com/2010-04-01/Accounts.json?PageSize=1")
	if !ok {
		return errBadURL
	}
	req.SetBasicAuth(s.Value, secret)
	a, v := c.ask(req, s.Value, secret)
	if v.Validity != Valid {
		return v
	}
	var r struct {
		Accounts []struct {
			SID          string `json:"sid"`
			FriendlyName string `json:"friendly_name"`
		} `json:"accounts"`
	}
	if decode(a, &v, &r) && len(r.Accounts) > 0 {
		v.Owner = r.Accounts[0].FriendlyName + " (" + r.Accounts[0].SID + ")"
	}
	return v
}
