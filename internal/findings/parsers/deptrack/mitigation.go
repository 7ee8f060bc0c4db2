package deptrack

import "strings"

// affectedVersion is one entry of a vulnerability's affectedVersions: a
// range of versions of one package (identity, a purl without version).
type affectedVersion struct {
	IdentityType          string  `json:"identityType"`
	Identity              string  `json:"identity"`
	VersionStartIncluding *string `json:"versionStartIncluding"`
	VersionStartExcluding *string `json:"versionStartExcluding"`
	VersionEndIncluding   *string `json:"versionEndIncluding"`
	VersionEndExcluding   *string `json:"versionEndExcluding"`
}

// mitigation says which version to upgrade to, from the affected range
// of the component's package that holds its version (or the package's
// only range when the version is not a PEP 440 one): DefectDojo's
// parser's rule; "" when no range says.
func mitigation(c *component, ranges []affectedVersion) string {
	if len(ranges) == 0 || c.PURL == nil {
		return ""
	}
	identity := *c.PURL
	if at := strings.LastIndex(identity, "@"); at >= 0 {
		identity = identity[:at]
	}
	var mine []affectedVersion
	for _, r := range ranges {
		if r.IdentityType == "PURL" && r.Identity == identity {
			mine = append(mine, r)
		}
	}
	var chosen *affectedVersion
	v, ok := version{}, false
	if c.Version != nil {
		v, ok = parseVersion(*c.Version)
	}
	switch {
	case !ok && len(mine) == 1:
		chosen = &mine[0]
	case ok:
		for i := range mine {
			if mine[i].holds(v) {
				chosen = &mine[i]
				break
			}
		}
	}
	switch {
	case chosen == nil:
		return ""
	case chosen.VersionEndExcluding != nil:
		return "Upgrade to " + *chosen.VersionEndExcluding + " or later"
	case chosen.VersionEndIncluding != nil:
		return "Upgrade to a version after " + *chosen.VersionEndIncluding
	}
	return ""
}

// holds reports whether the range holds v. A range without bounds (an
// exact version) holds none, nor does one with a bound that is not a PEP
// 440 version.
func (r affectedVersion) holds(v version) bool {
	bounds := []struct {
		bound *string
		in    func(c int) bool // c compares v with the bound
	}{
		{r.VersionStartIncluding, func(c int) bool { return c >= 0 }},
		{r.VersionStartExcluding, func(c int) bool { return c > 0 }},
		{r.VersionEndIncluding, func(c int) bool { return c <= 0 }},
		{r.VersionEndExcluding, func(c int) bool { return c < 0 }},
	}
	bounded := false
	for _, b := range bounds {
		if b.bound == nil {
			continue
		}
		bounded = true
		w, ok := parseVersion(*b.bound)
		if !ok || !b.in(v.compare(w)) {
			return false
		}
	}
	return bounded
}
