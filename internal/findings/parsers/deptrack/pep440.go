package deptrack

import (
	"cmp"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// version is a version number as PEP 440 orders it (Python's
// packaging.version.Version, which DefectDojo's parser compares a
// component's version with the bounds of affected ranges by).
type version struct {
	epoch   int
	release []int // trailing zeros dropped: 1.0 == 1
	// pre is the pre-release (phase 0 a, 1 b, 2 rc); preKey orders the
	// absence of one.
	preKey, prePhase, preNum int
	post, dev                int // math.MinInt / math.MaxInt when absent
	local                    []string
}

// pep440 is PEP 440's version pattern, as packaging writes it, matched
// case-insensitively on the trimmed text.
var pep440 = regexp.MustCompile(`^(?i)v?(?:(\d+)!)?(\d+(?:\.\d+)*)` +
	`(?:[-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?(\d+)?)?` +
	`(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d+)?)?` +
	`(?:[-_.]?(dev)[-_.]?(\d+)?)?` +
	`(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$`)

// parseVersion reads a PEP 440 version; ok is false for text that is not
// one (packaging's InvalidVersion), such as Debian's "1.17-3+deb10u3".
func parseVersion(s string) (v version, ok bool) {
	m := pep440.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return version{}, false
	}
	// num reads a number of the pattern; an absent one (a bare "post",
	// "dev" or "rc") is 0.
	num := func(s string) int {
		if s == "" {
			return 0
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return math.MaxInt // a number too long for int still orders last
		}
		return n
	}
	if m[1] != "" {
		v.epoch = num(m[1])
	}
	for _, part := range strings.Split(m[2], ".") {
		v.release = append(v.release, num(part))
	}
	for len(v.release) > 0 && v.release[len(v.release)-1] == 0 {
		v.release = v.release[:len(v.release)-1]
	}
	v.post, v.dev = math.MinInt, math.MaxInt
	switch {
	case m[5] != "":
		v.post = num(m[5])
	case m[6] != "":
		v.post = num(m[7])
	}
	if m[8] != "" {
		v.dev = num(m[9])
	}
	switch {
	case m[3] != "":
		v.preKey = 0
		switch strings.ToLower(m[3]) {
		case "a", "alpha":
			v.prePhase = 0
		case "b", "beta":
			v.prePhase = 1
		default: // c, rc, pre, preview
			v.prePhase = 2
		}
		v.preNum = num(m[4])
	case v.post == math.MinInt && v.dev != math.MaxInt:
		v.preKey = -1 // a development release before any pre-release
	default:
		v.preKey = 1
	}
	if m[10] != "" {
		v.local = strings.FieldsFunc(strings.ToLower(m[10]), func(r rune) bool { return r == '-' || r == '_' || r == '.' })
	}
	return v, true
}

// compare orders two versions as packaging does.
func (v version) compare(w version) int {
	if c := cmp.Compare(v.epoch, w.epoch); c != 0 {
		return c
	}
	if c := slices.Compare(v.release, w.release); c != 0 {
		return c
	}
	if c := cmp.Compare(v.preKey, w.preKey); c != 0 {
		return c
	}
	if v.preKey == 0 {
		if c := cmp.Compare(v.prePhase, w.prePhase); c != 0 {
			return c
		}
		if c := cmp.Compare(v.preNum, w.preNum); c != 0 {
			return c
		}
	}
	if c := cmp.Compare(v.post, w.post); c != 0 {
		return c
	}
	if c := cmp.Compare(v.dev, w.dev); c != 0 {
		return c
	}
	return compareLocal(v.local, w.local)
}

// compareLocal orders local version labels: none first, then part by
// part, a number after any word, numbers by value, words as text.
func compareLocal(a, b []string) int {
	if len(a) == 0 || len(b) == 0 {
		return cmp.Compare(len(a), len(b))
	}
	for i := range min(len(a), len(b)) {
		x, xerr := strconv.Atoi(a[i])
		y, yerr := strconv.Atoi(b[i])
		var c int
		switch {
		case xerr == nil && yerr == nil:
			c = cmp.Compare(x, y)
		case xerr == nil:
			c = 1
		case yerr == nil:
			c = -1
		default:
			c = strings.Compare(a[i], b[i])
		}
		if c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}
