package mirror

import "strings"

// maxHops is how many symlinks Linux follows in one path before ELOOP.
const maxHops = 40

// escapes reports whether following the symlink at link (a slash-separated
// path of the tree, whose symlinks are links: path → target) could lead
// outside the checkout: a target is absolute, empty or holds a NUL, or
// resolving it component by component, through the tree's other symlinks,
// climbs above the top or follows more than maxHops links. Each ".." is
// taken from the directory actually reached, not from the target's text:
// "m/../x" climbs two levels when m is a link to "../..". A component that
// is no link is taken as a directory; if it is a file, or absent, what
// follows fails or is made inside the checkout.
func escapes(links map[string]string, link string) bool {
	var at []string // the directories reached, from the top
	if i := strings.LastIndexByte(link, '/'); i >= 0 {
		at = strings.Split(link[:i], "/")
	}
	todo, ok := linkParts(links[link])
	if !ok {
		return true
	}
	for hops := 1; len(todo) > 0; {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(at) == 0 {
				return true
			}
			at = at[:len(at)-1]
			continue
		}
		at = append(at, c)
		target, isLink := links[strings.Join(at, "/")]
		if !isLink {
			continue
		}
		parts, ok := linkParts(target)
		if hops++; !ok || hops > maxHops {
			return true
		}
		at = at[:len(at)-1] // a link's target starts from its directory
		todo = append(parts, todo...)
	}
	return false
}

// linkParts splits a symlink's target into its components; ok is false
// for a target that is absolute, empty or holds a NUL.
func linkParts(target string) (parts []string, ok bool) {
	if target == "" || target[0] == '/' || strings.IndexByte(target, 0) >= 0 {
		return nil, false
	}
	return strings.Split(target, "/"), true
}
