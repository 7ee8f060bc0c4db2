package verify

import "context"

// anthropicVersion is the API version the checks ask for.
const anthropicVersion = "2023-06-01"

// anthropic sends GET u with an API key the way Anthropic's API takes it.
func (c *Checker) anthropic(ctx context.Context, u, key string) (*answer, Verdict) {
	req, ok := get(ctx, u)
	if !ok {
		return nil, errBadURL
	}
	req.Header.Set("X-Api-Key", key)
	req.Header.Set("Anthropic-Version", anthropicVersion)
	a, err := c.send(req, key)
	if err != nil {
		return nil, failed(err)
	}
	if a.status == 529 { // overloaded
		return a, Verdict{Validity: Unknown, Reason: "HTTP 529: overloaded"}
	}
	return a, byStatus(a)
}

// checkAnthropic lists Anthropic's models with an API key: GET
// https://api.anthropic.com/v1/models; the anthropic-organization-id
// header names the key's organization.
func checkAnthropic(ctx context.Context, c *Checker, s Secret) Verdict {
	a, v := c.anthropic(ctx, "https://api.anthropic.com/v1/models?limit=1", s.Value)
	if a != nil && v.Validity == Valid {
		v.Owner = a.header.Get("Anthropic-Organization-Id")
	}
	return v
}

// checkAnthropicAdmin asks Anthropic's Admin API whose an admin key is:
// GET https://api.anthropic.com/v1/organizations/me.
func checkAnthropicAdmin(ctx context.Context, c *Checker, s Secret) Verdict {
	a, v := c.anthropic(ctx, "https://api.anthropic.com/v1/organizations/me", s.Value)
	if a == nil || v.Validity != Valid {
		return v
	}
	var r struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	if decode(a, &v, &r) {
		v.Owner = r.Name
	}
	return v
}
