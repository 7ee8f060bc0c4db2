package verify

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// maxAnswer is how much of a provider's answer is read.
const maxAnswer = 1 << 20

// answer is a provider's answer to a check.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// send sends req and reads its answer. Its error is a reason fit for a
// Verdict: it names what failed (a timeout, a refused connection) and
// never a URL or any of secrets, which net/http's errors would carry.
func (c *Checker) send(req *http.Request, secrets ...string) (*answer, error) {
	req.Header.Set("User-Agent", "SecBot-verify")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, errors.New(scrub(c.networkReason(req.Context(), err), secrets...))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, errors.New(scrub("reading the answer: "+c.networkReason(req.Context(), err), secrets...))
	}
	return &answer{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// networkReason describes a failed request without its URL.
func (c *Checker) networkReason(ctx context.Context, err error) string {
	var ne net.Error
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return fmt.Sprintf("timeout after %s", c.timeout)
	case errors.Is(err, context.Canceled):
		return "check cancelled"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // url.Error's own text is the method and the URL
	}
	var dns *net.DNSError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case errors.As(err, &dns):
		return "network error: cannot resolve " + dns.Name
	case errors.As(err, &unknownCA), errors.As(err, &hostErr):
		return "tls error: the provider's certificate is not trusted"
	}
	return "network error: " + err.Error()
}

// byStatus maps an answer's status to a verdict as most providers mean it:
// 2xx valid, 401 and 403 invalid, 429 and everything else unknown.
func byStatus(a *answer) Verdict {
	switch {
	case a.status >= 200 && a.status < 300:
		return Verdict{Validity: Valid}
	case a.status == http.StatusUnauthorized || a.status == http.StatusForbidden:
		return Verdict{Validity: Invalid, Reason: fmt.Sprintf("HTTP %d", a.status)}
	case a.status == http.StatusTooManyRequests:
		return Verdict{Validity: Unknown, Reason: rateLimited(a)}
	}
	return Verdict{Validity: Unknown, Reason: fmt.Sprintf("HTTP %d", a.status)}
}

// rateLimited is the reason of a rate-limited answer.
func rateLimited(a *answer) string {
	reason := fmt.Sprintf("HTTP %d: rate limited", a.status)
	if after := a.header.Get("Retry-After"); after != "" && len(after) < 40 {
		reason += " (retry after " + after + ")"
	}
	return reason
}

// failed is the verdict of a request that got no answer.
func failed(err error) Verdict {
	return Verdict{Validity: Unknown, Reason: err.Error()}
}

// decode reads a JSON answer into v; a body that does not parse leaves the
// verdict valid (the status said so) with a reason saying the details are
// missing.
func decode(a *answer, verdict *Verdict, v any) bool {
	if err := json.Unmarshal(a.body, v); err != nil {
		verdict.Reason = "the answer's details did not parse"
		return false
	}
	return true
}

// errBadURL is the reason of a check whose URL does not parse (a
// configured base URL that is not one): never the URL, which may hold the
// secret.
var errBadURL = Verdict{Validity: NotChecked, Reason: "the provider's URL is not valid (check the configured base URL)"}

// get builds a GET request (the secret goes in a header, not the URL).
func get(ctx context.Context, u string) (*http.Request, bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	return req, err == nil
}

// bearer checks a token sent as "Authorization: Bearer" with GET u, the
// provider's meaning of the status being byStatus's.
func (c *Checker) bearer(ctx context.Context, u, token string) (*answer, Verdict) {
	req, ok := get(ctx, u)
	if !ok {
		return nil, errBadURL
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	return c.ask(req, token)
}

// ask sends req and reads the provider's answer into a verdict by its
// status (byStatus); with no answer, it is nil and the verdict says why.
func (c *Checker) ask(req *http.Request, secrets ...string) (*answer, Verdict) {
	a, err := c.send(req, secrets...)
	if err != nil {
		return nil, failed(err)
	}
	return a, byStatus(a)
}

// scrub removes every secret (as given, and URL-escaped) from s.
func scrub(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) < 4 {
			continue
		}
		s = strings.ReplaceAll(s, sec, "[redacted]")
		if esc := url.QueryEscape(sec); esc != sec {
			s = strings.ReplaceAll(s, esc, "[redacted]")
		}
	}
	return s
}

// scrubVerdict makes sure no text of v holds the secret, whatever a
// provider answered.
func scrubVerdict(v Verdict, secrets ...string) Verdict {
	v.Reason = scrub(v.Reason, secrets...)
	v.Owner = scrub(v.Owner, secrets...)
	v.ExpiresAt = scrub(v.ExpiresAt, secrets...)
	if v.Scopes != nil {
		scopes := make([]string, len(v.Scopes))
		for i, s := range v.Scopes {
			scopes[i] = scrub(s, secrets...)
		}
		v.Scopes = scopes
	}
	return v
}

// splitScopes splits a header's comma- or space-separated scopes.
func splitScopes(h string) []string {
	f := strings.FieldsFunc(h, func(r rune) bool { return r == ',' || r == ' ' })
	if len(f) == 0 {
		return nil
	}
	return f
}
