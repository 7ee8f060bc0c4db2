package verify

import (
	"context"
	"net/http"
)

// checkStripe asks Stripe whose a secret or restricted key is: GET
// https://api.stripe.com/v1/account. Stripe answers 401 to a key it does
// not know and 403 to a live restricted key without the permission.
func checkStripe(ctx context.Context, c *Checker, s Secret) Verdict {
	a, v := c.bearer(ctx, "https://api.stripe.com/v1/account", s.Value)
	if a == nil {
		return v
	}
	if a.status == http.StatusForbidden {
		return Verdict{Validity: Valid, Reason: "live restricted key without permission to read the account"}
	}
	if v.Validity != Valid {
		return v
	}
	var r struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	}
	if decode(a, &v, &r) {
		v.Owner = r.ID
		if r.Email != "" {
			v.Owner = r.Email + " (" + r.ID + ")"
		}
	}
	return v
}
