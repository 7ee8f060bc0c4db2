package dependencycheck

import (
	"net/url"
	"strings"

	"github.com/secbot/secbot/internal/findings/parsers/xmlstream"
)

// optional is a value a report may lack, told from an empty one: DefectDojo
// writes a missing one as "None" in titles.
type optional struct {
	value string
	ok    bool
}

func some(s string) optional { return optional{s, true} }

func (o optional) String() string {
	if !o.ok {
		return "None"
	}
	return o.value
}

// component names the dependency as DefectDojo does, from the first of:
// its package URL, its CPE identifier, its Maven identifier (anywhere
// under identifiers), then the product and version evidence.
func component(identifiers, evidence *xmlstream.Element) (name, version optional) {
	if identifiers != nil {
		if pkg := identifiers.Descendant("package", nil); pkg != nil {
			if id, ok := pkg.FindText("id"); ok {
				if p, ok := parsePurl(strings.TrimSpace(id)); ok {
					name = optional{p.name, p.name != ""}
					if p.namespace != "" {
						name = some(p.namespace + ":" + p.name)
					}
					return name, some(p.version)
				}
			}
		}
		// DefectDojo takes a CPE identifier only when it has child elements.
		cpeNode := identifiers.Descendant("identifier", xmlstream.HasAttribute("type", "cpe"))
		if cpeNode != nil && len(cpeNode.Children) > 0 {
			id, _ := cpeNode.FindText("name")
			if vendor, product, v, ok := parseCPE(id); ok {
				name = optional{vendor + product, vendor+product != ""}
				if vendor != "" {
					name = some(vendor + ":" + product)
				}
				return name, optional{v, v != ""}
			}
		}
		if maven := identifiers.Descendant("identifier", xmlstream.HasAttribute("type", "maven")); maven != nil {
			id, _ := maven.FindText("name")
			if parts := strings.Split(id, ":"); len(parts) == 3 {
				return some(parts[0] + ":" + parts[1]), some(parts[2])
			}
		}
	}
	if evidence != nil {
		if product := evidence.Descendant("evidence", xmlstream.HasAttribute("type", "product")); product != nil {
			value, ok := product.FindText("value")
			name = optional{value, ok}
			if v := evidence.Descendant("evidence", xmlstream.HasAttribute("type", "version")); v != nil {
				value, ok := v.FindText("value")
				version = optional{value, ok}
			}
			return name, version
		}
	}
	return optional{}, optional{}
}

type purl struct{ typ, namespace, name, version string }

// parsePurl reads a package URL (pkg:type/namespace/name@version?…#…),
// its parts unescaped, the names of the types whose specification says so
// lower-cased.
func parsePurl(s string) (purl, bool) {
	rest, ok := strings.CutPrefix(s, "pkg:")
	if !ok {
		return purl{}, false
	}
	rest, _, _ = strings.Cut(rest, "#")
	rest, _, _ = strings.Cut(rest, "?")
	rest = strings.Trim(rest, "/")
	var p purl
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		p.version, rest = unescape(rest[at+1:]), rest[:at]
	}
	segments := strings.Split(rest, "/")
	if len(segments) < 2 || segments[0] == "" || segments[len(segments)-1] == "" {
		return purl{}, false
	}
	p.typ = strings.ToLower(segments[0])
	p.name = unescape(segments[len(segments)-1])
	var ns []string
	for _, seg := range segments[1 : len(segments)-1] {
		if seg != "" {
			ns = append(ns, unescape(seg))
		}
	}
	p.namespace = strings.Join(ns, "/")
	switch p.typ {
	case "bitbucket", "github":
		p.namespace, p.name = strings.ToLower(p.namespace), strings.ToLower(p.name)
	case "pypi":
		p.name = strings.ReplaceAll(strings.ToLower(p.name), "_", "-")
	}
	return p, true
}

func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// parseCPE reads the vendor, product and version of a CPE 2.2 URI
// (cpe:/a:vendor:product:version) or 2.3 formatted string
// (cpe:2.3:a:vendor:product:version:…).
func parseCPE(s string) (vendor, product, version string, ok bool) {
	s = strings.TrimSpace(s)
	var fields []string
	switch {
	case strings.HasPrefix(s, "cpe:2.3:"):
		fields = splitEscaped(s[len("cpe:2.3:"):])
	case strings.HasPrefix(s, "cpe:/"):
		fields = strings.Split(s[len("cpe:/"):], ":")
		for i, f := range fields {
			fields[i] = unescape(f)
		}
	default:
		return "", "", "", false
	}
	get := func(i int) string {
		if i < len(fields) {
			return fields[i]
		}
		return ""
	}
	return get(1), get(2), get(3), len(fields) > 1
}

// splitEscaped splits a CPE 2.3 string at the colons no backslash escapes,
// dropping the escapes.
func splitEscaped(s string) []string {
	var fields []string
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case s[i] == ':':
			fields = append(fields, b.String())
			b.Reset()
		default:
			b.WriteByte(s[i])
		}
	}
	return append(fields, b.String())
}
