package config

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Problem is one mistake in config.yml (or, among File.Warnings, one
// doubt), placed where the user fixes it: the file, the line and the key.
type Problem struct {
	File string
	// Line is 1-based; 0 when the place is not known (a File built in code).
	Line int
	// Key is the dotted key at fault, such as components.slack.config.channels.
	Key string
	Msg string
}

// Error reads "config.yml:14: components.slack.config.channels: message",
// as compilers write their errors, so editors can jump to the line.
func (p Problem) Error() string {
	var b strings.Builder
	switch {
	case p.File != "" && p.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", p.File, p.Line)
	case p.File != "":
		b.WriteString(p.File + ": ")
	case p.Line > 0:
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.Key != "" {
		b.WriteString(p.Key + ": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// problems collects what is wrong with a file, to report all of it at once.
type problems struct {
	file string
	list []error
}

func (ps *problems) add(line int, key, format string, args ...any) {
	ps.list = append(ps.list, Problem{File: ps.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// err is every problem found, one a line (errors.Join), or nil.
func (ps *problems) err() error { return errors.Join(ps.list...) }

// yamlMessage takes the (often wrong) line out of yaml.v3's syntax errors.
var yamlMessage = regexp.MustCompile(`^yaml: (?:line \d+: )?`)

// maxSyntaxSearch bounds the size of a file whose syntax error
// syntaxProblem looks for line by line (config.yml is a few KB).
const maxSyntaxSearch = 64 << 10

// syntaxProblem turns a YAML syntax error into a Problem at its line.
// yaml.v3 names the line before the block the error is in, not the line
// at fault, so the line is found as the first one at which the document,
// read up to it, fails as the whole file does.
func syntaxProblem(file string, data []byte, err error) Problem {
	reason := yamlMessage.ReplaceAllString(err.Error(), "")
	p := Problem{File: file, Msg: "not valid YAML: " + reason}
	if len(data) > maxSyntaxSearch {
		return p
	}
	var prefix []byte
	for i, line := range bytes.SplitAfter(data, []byte("\n")) {
		prefix = append(prefix, line...)
		var n yaml.Node
		err := yaml.Unmarshal(prefix, &n)
		if err == nil || yamlMessage.ReplaceAllString(err.Error(), "") != reason {
			continue // a quoted text or a list that goes on below, say
		}
		p.Line = i + 1
		if strings.TrimSpace(string(line)) == "..." {
			// The documentation's excerpts mark left-out lines so.
			p.Msg = "a line `...` ends a YAML document: remove it (excerpts mark left-out lines with it)"
			return p
		}
		p.Msg += " (look at the indentation of this line and of the lines above it)"
		return p
	}
	return p
}
