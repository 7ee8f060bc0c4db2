package reportfilter

import (
	"net/url"
	"strings"
)

// hasScheme reports whether s begins with a URI scheme (RFC 3986: a
// letter, then letters, digits, "+", "-" or "."; then ":"). One letter is
// taken for a Windows drive (C:/src), not a scheme.
func hasScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		case c == ':':
			return i > 1
		default:
			return false
		}
	}
	return false
}

// resolveURI resolves the reference ref against base, as a SARIF
// uriBaseId's value is applied to the URIs relative to it.
func resolveURI(base, ref string) string {
	if hasScheme(ref) {
		return ref
	}
	if hasScheme(base) {
		b, errBase := url.Parse(base)
		r, errRef := url.Parse(ref)
		if errBase == nil && errRef == nil {
			return b.ResolveReference(r).String()
		}
	}
	if base != "" && !strings.HasSuffix(base, "/") {
		base += "/"
	}
	return base + ref
}

// uriPath is a SARIF artifact URI as keep() gets it: a file URI's path
// (//host/path when it names a host other than localhost), a relative
// reference percent-decoded, another URI as written.
func uriPath(uri string) string {
	if !hasScheme(uri) {
		return plainPath(unescape(uri))
	}
	if len(uri) < 5 || !strings.EqualFold(uri[:5], "file:") {
		return uri
	}
	u, err := url.Parse(uri)
	if err != nil {
		// Not a URI as RFC 3986 has it (a stray "%"): take it as written.
		return plainPath(strings.TrimPrefix(uri[len("file:"):], "//"))
	}
	path := u.Path
	if u.Opaque != "" { // file:src/a.c
		path = unescape(u.Opaque)
	}
	if u.Host != "" && !strings.EqualFold(u.Host, "localhost") {
		path = "//" + u.Host + path
	}
	return plainPath(path)
}

// unescape percent-decodes s, or gives it as written when it is not
// validly encoded.
func unescape(s string) string {
	if p, err := url.PathUnescape(s); err == nil {
		return p
	}
	return s
}
