package gitlab

import (
	"errors"
	"fmt"
	"strings"
)

// Git's ref-name rules, as `git check-ref-format` applies them (refs.c,
// check_refname_format). Every ref and branch a hook names is checked
// against them before SecBot stores the event, and again before the worker
// hands anything to git: a value git would refuse, or could read as an
// option, never reaches it.

// Bounds on a ref beyond git's rules. A component longer than NAME_MAX
// cannot be a loose ref on the server's disk, and a longer ref than
// PATH_MAX cannot be one either.
const (
	maxRefComponentBytes = 255
	maxRefBytes          = 4096
)

// CheckRefName reports whether name is a full ref name (refs/heads/main)
// git accepts: `git check-ref-format <name>`, without options. The error
// says which rule name breaks.
func CheckRefName(name string) error {
	if name == "" {
		return errors.New("is empty")
	}
	if name == "@" {
		return errors.New(`is "@", which git reserves for HEAD`)
	}
	components := strings.Split(name, "/")
	for _, c := range components {
		if err := checkRefComponent(c); err != nil {
			return err
		}
	}
	if strings.HasSuffix(name, ".") {
		return errors.New(`ends with "."`)
	}
	if len(components) < 2 {
		return errors.New("has one component only: a full ref name has a category, like refs/heads/<branch>")
	}
	return nil
}

// checkRefComponent applies git's rules for one slash-separated component.
func checkRefComponent(c string) error {
	if c == "" {
		return errors.New(`has an empty component (a leading, trailing or doubled "/")`)
	}
	var last byte
	for i := 0; i < len(c); i++ {
		ch := c[i]
		switch {
		case ch < 0x20 || ch == 0x7f:
			return fmt.Errorf("contains the control character %q", ch)
		case strings.IndexByte(" ~^:?*[\\", ch) >= 0:
			return fmt.Errorf(`contains %q: git allows no space, control character, ~ ^ : ? * [ or \ in a ref name`, ch)
		case ch == '.' && last == '.':
			return errors.New(`contains ".."`)
		case ch == '{' && last == '@':
			return errors.New(`contains "@{"`)
		}
		last = ch
	}
	if c[0] == '.' {
		return fmt.Errorf("has a component starting with %q: %q", '.', c)
	}
	if strings.HasSuffix(c, ".lock") {
		return fmt.Errorf("has a component ending with %q: %q", ".lock", c)
	}
	return nil
}

// CheckBranchName reports whether name is a branch name git accepts for a
// new branch: `git check-ref-format --branch <name>`. Beyond the ref rules
// for refs/heads/<name>, it may not start with "-" (git and GitLab refuse
// such names, which would read as options) or be HEAD.
func CheckBranchName(name string) error {
	if strings.HasPrefix(name, "-") {
		return errors.New(`starts with "-", which git and GitLab do not allow in a branch name`)
	}
	if name == "HEAD" {
		return errors.New("is HEAD, which git does not allow as a branch name")
	}
	return CheckRefName("refs/heads/" + name)
}

// checkTagName is git's rule for a tag name (`git tag`): a valid
// refs/tags/<name> that does not start with "-".
func checkTagName(name string) error {
	if strings.HasPrefix(name, "-") {
		return errors.New(`starts with "-", which git and GitLab do not allow in a tag name`)
	}
	return CheckRefName("refs/tags/" + name)
}

// checkRefBounds bounds a ref's length: each component at most 255 bytes,
// the whole at most 4096.
func checkRefBounds(ref string) error {
	if len(ref) > maxRefBytes {
		return fmt.Errorf("is %d bytes long; at most %d are accepted", len(ref), maxRefBytes)
	}
	for _, c := range strings.Split(ref, "/") {
		if len(c) > maxRefComponentBytes {
			return fmt.Errorf("has a component of %d bytes; at most %d are accepted", len(c), maxRefComponentBytes)
		}
	}
	return nil
}

// checkBranch checks a branch's short name (a merge request's source or
// target branch): git's branch rules within SecBot's bounds.
func checkBranch(name string) error {
	if err := checkRefBounds(name); err != nil {
		return err
	}
	return CheckBranchName(name)
}

// checkPushRef checks the ref of a push (refs/heads/<branch>) or a tag push
// (refs/tags/<tag>).
func checkPushRef(typ EventType, ref string) error {
	if err := checkRefBounds(ref); err != nil {
		return err
	}
	if typ == TagPush {
		tag, ok := strings.CutPrefix(ref, "refs/tags/")
		if !ok {
			return errors.New("is not a tag ref (refs/tags/<tag>)")
		}
		return checkTagName(tag)
	}
	branch, ok := strings.CutPrefix(ref, "refs/heads/")
	if !ok {
		return errors.New("is not a branch ref (refs/heads/<branch>)")
	}
	return CheckBranchName(branch)
}

// quoteValue quotes a refused value for an error message, cut to 100
// bytes so that a huge one does not flood the answer or the log.
func quoteValue(v string) string {
	const limit = 100
	if len(v) > limit {
		return fmt.Sprintf("%q… (%d bytes)", v[:limit], len(v))
	}
	return fmt.Sprintf("%q", v)
}
