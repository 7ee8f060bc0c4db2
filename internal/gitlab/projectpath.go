package gitlab

import (
	"errors"
	"fmt"
	"strings"
)

// GitLab's own limits on a project's path: groups nest at most 20 levels
// (gitlab-foss!9000) and a group or project path is at most 255
// characters. SecBot names each project's mirror after its clone URL's
// path, so these bounds also bound the directories a hook can make on the
// worker's disk.
const (
	// MaxNamespaceDepth is how many groups deep GitLab nests a project.
	MaxNamespaceDepth = 20
	// MaxPathComponentBytes bounds one group or project path.
	MaxPathComponentBytes = 255
	// maxURLPrefixDepth leaves room in a clone URL's path for a relative
	// URL root (GitLab served under /gitlab).
	maxURLPrefixDepth = 3
	// MaxRepoPathBytes bounds a whole clone URL path, so that the mirror's
	// path stays well within Linux's PATH_MAX (4096).
	MaxRepoPathBytes = 2048
)

// CheckProjectPath checks a project's path_with_namespace: at most 20
// groups and the project, each path non-empty and at most 255 bytes.
func CheckProjectPath(path string) error {
	return checkPathBounds(path, MaxNamespaceDepth+1)
}

// CheckRepoURLPath checks the path of a clone URL (/group/app.git): the
// project's path, perhaps under a relative URL root of up to 3 levels.
func CheckRepoURLPath(path string) error {
	return checkPathBounds(strings.Trim(path, "/"), MaxNamespaceDepth+1+maxURLPrefixDepth)
}

func checkPathBounds(path string, maxDepth int) error {
	if path == "" {
		return errors.New("is empty")
	}
	parts := strings.Split(path, "/")
	if len(parts) > maxDepth {
		return fmt.Errorf("is %d levels deep; GitLab nests groups at most %d deep, so at most %d levels are accepted",
			len(parts), MaxNamespaceDepth, maxDepth)
	}
	if len(path) > MaxRepoPathBytes {
		return fmt.Errorf("is %d bytes long; at most %d are accepted", len(path), MaxRepoPathBytes)
	}
	for _, p := range parts {
		if p == "" {
			return errors.New(`has an empty level (a doubled "/")`)
		}
		if len(p) > MaxPathComponentBytes {
			return fmt.Errorf("has a level of %d bytes; GitLab allows at most %d", len(p), MaxPathComponentBytes)
		}
	}
	return nil
}
