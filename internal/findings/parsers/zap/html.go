package zap

import (
	"html"
	"strings"
)

// blockTags end a line of text where they open or close.
var blockTags = map[string]bool{"p": true, "div": true, "br": true, "li": true, "ul": true, "ol": true, "tr": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "pre": true, "table": true}

// htmlText is the text of the HTML ZAP writes in an alert's description,
// solution and references (paragraphs since ZAP 2.10, plain text before),
// as DefectDojo reads them through html2text: tags dropped, paragraphs
// and list items on lines of their own, entities decoded, white space
// collapsed. (html2text also wraps lines at 78 characters; this does not.)
func htmlText(s string) string {
	var out strings.Builder
	var line strings.Builder
	flush := func() {
		text := strings.Join(strings.Fields(html.UnescapeString(line.String())), " ")
		line.Reset()
		if text == "" {
			return
		}
		if out.Len() > 0 {
			out.WriteString("\n")
		}
		out.WriteString(text)
	}
	for len(s) > 0 {
		lt := strings.IndexByte(s, '<')
		if lt < 0 {
			line.WriteString(s)
			break
		}
		line.WriteString(s[:lt])
		gt := strings.IndexByte(s[lt:], '>')
		if gt < 0 { // a lone '<' is text
			line.WriteString(s[lt:])
			break
		}
		if tag := tagName(s[lt+1 : lt+gt]); blockTags[tag] {
			flush()
		}
		s = s[lt+gt+1:]
	}
	flush()
	return out.String()
}

// tagName is the lower-cased name of a tag's inside ("/p", "br/", "a href=…").
func tagName(inside string) string {
	inside = strings.TrimLeft(inside, "/")
	end := strings.IndexAny(inside, " \t\r\n/")
	if end >= 0 {
		inside = inside[:end]
	}
	return strings.ToLower(inside)
}
