package trivy

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/secbot/secbot/internal/findings"
)

// severities are trivy's severity words; a word not listed is no severity.
var severities = map[string]string{"CRITICAL": findings.Critical, "HIGH": findings.High, "MEDIUM": findings.Medium,
	"LOW": findings.Low, "UNKNOWN": findings.Info}

// cvssSources are the CVSS sources whose score sets a vulnerability's
// severity, after its own SeveritySource.
var cvssSources = []string{"nvd", "ghsa", "redhat", "bitnami"}

type cvss struct {
	V3Score *float64 `json:"V3Score"`
	V2Score *float64 `json:"V2Score"`
}

type vulnerability struct {
	VulnerabilityID  *string         `json:"VulnerabilityID"`
	PkgName          *string         `json:"PkgName"`
	PkgPath          *string         `json:"PkgPath"`
	InstalledVersion string          `json:"InstalledVersion"`
	FixedVersion     string          `json:"FixedVersion"`
	Status           string          `json:"Status"`
	Title            string          `json:"Title"`
	Description      string          `json:"Description"`
	Severity         string          `json:"Severity"`
	SeveritySource   string          `json:"SeveritySource"`
	CVSS             map[string]cvss `json:"CVSS"`
	CweIDs           []string        `json:"CweIDs"`
	References       []string        `json:"References"`
}

type misconfig struct {
	Type          string   `json:"Type"`
	ID            string   `json:"ID"`
	Title         string   `json:"Title"`
	Description   string   `json:"Description"`
	Message       string   `json:"Message"`
	Resolution    string   `json:"Resolution"`
	Severity      string   `json:"Severity"`
	PrimaryURL    string   `json:"PrimaryURL"`
	References    []string `json:"References"`
	CauseMetadata struct {
		Code struct {
			// Lines is nil when the report gives none, and points to nil
			// when it says null.
			Lines *[]struct {
				Number  json.Number `json:"Number"`
				Content string      `json:"Content"`
			} `json:"Lines"`
		} `json:"Code"`
	} `json:"CauseMetadata"`
}

type secret struct {
	Category  string `json:"Category"`
	Severity  string `json:"Severity"`
	Title     string `json:"Title"`
	StartLine int    `json:"StartLine"`
	Match     string `json:"Match"`
}

type license struct {
	Severity string `json:"Severity"`
	Category string `json:"Category"`
	PkgName  string `json:"PkgName"`
	FilePath string `json:"FilePath"`
	Name     string `json:"Name"`
}

// severity maps trivy's word; an unknown one (DefectDojo refuses the
// report) is Info.
func severity(s string) string {
	if v, ok := severities[s]; ok {
		return v
	}
	return findings.NormalizeSeverity(s)
}

// scoreSeverity is DefectDojo's severity of a CVSS score.
func scoreSeverity(score *float64) string {
	switch {
	case score == nil || *score == 0:
		return findings.Info
	case *score < 4:
		return findings.Low
	case *score < 7:
		return findings.Medium
	case *score < 9:
		return findings.High
	}
	return findings.Critical
}

// vulnerabilitySeverity is the severity of the first CVSS source (the
// vulnerability's own, then nvd, ghsa, redhat, bitnami) the report scores,
// by its v3 score, else its v2 score; without one, trivy's severity. It
// is false for a vulnerability with neither, which DefectDojo skips.
func vulnerabilitySeverity(v vulnerability) (string, bool) {
	for _, source := range append([]string{v.SeveritySource}, cvssSources...) {
		c, ok := v.CVSS[source]
		if !ok {
			continue
		}
		if c.V3Score != nil {
			return scoreSeverity(c.V3Score), true
		}
		return scoreSeverity(c.V2Score), true
	}
	s, ok := severities[v.Severity]
	return s, ok
}

// status maps trivy's vulnerability status (VEX-like) to DefectDojo's
// flags, as DefectDojo does: not_affected is inactive and mitigated.
func status(f *findings.Finding, s string) {
	switch s {
	case "unknown":
		f.Verified = findings.Bool(false)
	case "not_affected":
		f.Active, f.Verified, f.IsMitigated = findings.Bool(false), findings.Bool(true), true
	case "under_investigation":
		f.Active, f.Verified = findings.Bool(true), findings.Bool(false)
	case "affected", "fixed", "will_not_fix", "fix_deferred", "end_of_life":
		f.Active, f.Verified = findings.Bool(true), findings.Bool(true)
	}
}

func tags(values ...string) []string {
	var out []string
	for _, v := range values {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

func fromVulnerability(t target, raw json.RawMessage) (findings.Finding, bool, error) {
	var v vulnerability
	if err := json.Unmarshal(raw, &v); err != nil {
		return findings.Finding{}, false, err
	}
	sev, ok := vulnerabilitySeverity(v)
	if v.PkgName == nil || !ok {
		return findings.Finding{}, false, nil
	}
	id := "0"
	if v.VulnerabilityID != nil {
		id = *v.VulnerabilityID
	}
	f := findings.Finding{
		Title:    fmt.Sprintf("%s %s %s", id, *v.PkgName, v.InstalledVersion),
		Severity: sev, Mitigation: v.FixedVersion, Impact: v.Status,
		ComponentName: *v.PkgName, ComponentVersion: v.InstalledVersion,
		References: strings.Join(v.References, "\n"), StaticFinding: true, NbOccurences: 1,
		Description: fmt.Sprintf("%s\n**Target:** %s\n**Type:** %s\n**Fixed version:** %s\n\n%s\n",
			v.Title, t.Name, t.Type, v.FixedVersion, v.Description),
		Tags: tags(t.Type, t.Class), Service: t.Service,
	}
	switch t.Class {
	case "os-pkgs", "lang-pkgs":
		f.FilePath = t.Name
		if v.PkgPath != nil {
			f.FilePath = *v.PkgPath
		}
	case "config":
		f.FilePath = t.Name
	}
	if id != "" {
		f.VulnerabilityIDs = []string{id}
	}
	if len(v.CweIDs) > 0 {
		if _, n, ok := strings.Cut(v.CweIDs[0], "-"); ok {
			f.CWE, _ = strconv.Atoi(n)
		}
	}
	status(&f, v.Status)
	return f, true, nil
}

func fromMisconfig(t target, raw json.RawMessage) (findings.Finding, bool, error) {
	var m misconfig
	if err := json.Unmarshal(raw, &m); err != nil {
		return findings.Finding{}, false, err
	}
	message := m.Message
	// The lines of code at fault, as a table (a missing list, unlike a
	// null one, still gives the table's head, as DefectDojo writes it).
	if lines := m.CauseMetadata.Code.Lines; lines == nil || *lines != nil {
		message += "\nNumber\tContent\n"
		if lines != nil {
			for _, l := range *lines {
				message += l.Number.String() + "\t" + l.Content + "\n"
			}
		}
	}
	var refs []string
	for _, r := range m.References {
		if r != m.PrimaryURL {
			refs = append(refs, r)
		}
	}
	references := strings.Join(refs, "\n")
	if m.PrimaryURL != "" {
		references = m.PrimaryURL + "\n" + references
	}
	return findings.Finding{
		Title:    fmt.Sprintf("%s - %s", m.ID, m.Title),
		Severity: severity(m.Severity), Mitigation: m.Resolution, References: references,
		StaticFinding: true, NbOccurences: 1, Tags: tags(t.Type, t.Class), Service: t.Service,
		Description: fmt.Sprintf("**Target:** %s\n**Type:** %s\n\n%s\n%s\n", t.Name, m.Type, m.Description, message),
	}, true, nil
}

// fromSecret maps a secret trivy found; trivy masks the secret in its
// match already.
func fromSecret(t target, raw json.RawMessage) (findings.Finding, bool, error) {
	var s secret
	if err := json.Unmarshal(raw, &s); err != nil {
		return findings.Finding{}, false, err
	}
	return findings.Finding{
		Title:    fmt.Sprintf("Secret detected in %s - %s", t.Name, s.Title),
		Severity: severity(s.Severity), FilePath: t.Name, Line: s.StartLine,
		StaticFinding: true, NbOccurences: 1, Tags: tags(t.Class), Service: t.Service,
		Description: fmt.Sprintf("%s\n**Category:** %s\n**Match:** %s\n", s.Title, s.Category, s.Match),
	}, true, nil
}

func fromLicense(t target, raw json.RawMessage) (findings.Finding, bool, error) {
	var l license
	if err := json.Unmarshal(raw, &l); err != nil {
		return findings.Finding{}, false, err
	}
	return findings.Finding{
		Title:    fmt.Sprintf("License detected in %s - %s", t.Name, l.Name),
		Severity: severity(l.Severity), FilePath: l.FilePath,
		StaticFinding: true, NbOccurences: 1, Tags: tags(t.Class), Service: t.Service,
		Description: fmt.Sprintf("%s\n**Category:** %s\n**Package:** %s\n", l.Name, l.Category, l.PkgName),
	}, true, nil
}
