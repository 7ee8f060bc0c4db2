package reportfilter

import (
	"encoding/json"
	"fmt"
	"strings"
)

// The fields that name a finding's file, as SecBot's and DefectDojo's
// parsers read them (encoding/json matches keys regardless of case, as
// the parsers do: gitleaks v7 writes "file", v8 "File").
type (
	banditResult struct {
		Filename string `json:"filename"`
	}
	semgrepResult struct {
		Path string `json:"path"`
	}
	gosecIssue struct {
		File string `json:"file"`
	}
	leak struct {
		File string
	}
	// gitlabVulnerability is a vulnerability of GitLab's security report
	// schema; those of container scanning and DAST name no file.
	gitlabVulnerability struct {
		Location struct {
			File string `json:"file"`
		} `json:"location"`
	}
)

func (r banditResult) file() string  { return r.Filename }
func (r semgrepResult) file() string { return r.Path }
func (i gosecIssue) file() string    { return i.File }
func (l leak) file() string          { return l.File }
func (v gitlabVulnerability) file() string {
	return v.Location.File
}

// fileOf reads the file a finding of type T names, as keep() gets it.
func fileOf[T any, P interface {
	*T
	file() string
}](raw []byte) (string, error) {
	var v T
	if err := json.Unmarshal(raw, P(&v)); err != nil {
		return "", err
	}
	return plainPath(P(&v).file()), nil
}

// listIn walks a report that is an object whose key holds the list of
// findings (bandit's and semgrep's results, gosec's Issues): the list is
// required, as the parsers require it.
func listIn(key string, fileOf func([]byte) (string, error)) func(*filter) error {
	return func(f *filter) error {
		found := false
		_, err := f.object(false, func(k string) error {
			if k != key {
				return f.copyValue()
			}
			found = true
			_, err := f.findings(false, fileOf)
			return err
		})
		if err == nil && !found {
			return f.malformed(fmt.Errorf("the report has no %q list of findings", key))
		}
		return err
	}
}

// gitleaks walks a gitleaks report: an array of leaks, or null for none.
func (f *filter) gitleaks() error {
	_, err := f.findings(true, fileOf[leak])
	return err
}

// plainPath is a path as keep() gets it: slash-separated, without a
// leading "./".
func plainPath(p string) string {
	p = strings.ReplaceAll(p, `\`, "/")
	for strings.HasPrefix(p, "./") {
		p = p[2:]
	}
	return p
}
