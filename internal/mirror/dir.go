package mirror

import (
	"os"
	"path/filepath"
)

// DefaultDir is where the scans keep their mirrors unless a component's
// cache_dir says otherwise: secbot/mirrors in the user's cache folder (the
// system's temporary folder when there is none), shared by every scan.
func DefaultDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "secbot", "mirrors")
}
