package verify

import "context"

// checkOpenAI lists OpenAI's models with the key: GET
// https://api.openai.com/v1/models; the answer's openai-organization
// header names the key's organization.
func checkOpenAI(ctx context.Context, c *Checker, s Secret) Verdict {
	a, v := c.bearer(ctx, "https://api.openai.com/v1/models", s.Value)
	if a != nil && v.Validity == Valid {
		v.Owner = a.header.Get("Openai-Organization")
	}
	return v
}
