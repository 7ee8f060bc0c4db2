// Package parsers lists the report parsers the findings service accepts.
// A new scanner is one package implementing findings.Parser, added here.
package parsers

import (
	"fmt"
	"maps"
	"slices"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/bandit"
	"github.com/secbot/secbot/internal/findings/parsers/cyclonedx"
	"github.com/secbot/secbot/internal/findings/parsers/dependencycheck"
	"github.com/secbot/secbot/internal/findings/parsers/generic"
	"github.com/secbot/secbot/internal/findings/parsers/gitleaks"
	"github.com/secbot/secbot/internal/findings/parsers/sarif"
	"github.com/secbot/secbot/internal/findings/parsers/semgrep"
	"github.com/secbot/secbot/internal/findings/parsers/trivy"
	"github.com/secbot/secbot/internal/findings/parsers/zap"
)

// UnknownScanTypeError is DefectDojo's answer to a scan_type it lacks.
type UnknownScanTypeError struct{ ScanType string }

func (e *UnknownScanTypeError) Error() string {
	return fmt.Sprintf("%q is not a valid choice.", e.ScanType)
}

var all = map[string]findings.Parser{}

func init() {
	for _, p := range []findings.Parser{gitleaks.Parser{}, sarif.Parser{}, trivy.Parser{}, semgrep.Parser{}, bandit.Parser{}} {
		all[p.ScanType()] = p
	}
	// XML reports (through xmlstream) and DefectDojo's generic formats.
	for _, p := range []findings.Parser{dependencycheck.Parser{}, cyclonedx.Parser{}, zap.Parser{}, generic.Parser{}} {
		all[p.ScanType()] = p
	}
}

// Lookup returns the parser of a scan type (DefectDojo's names, exactly).
func Lookup(scanType string) (findings.Parser, error) {
	p, ok := all[scanType]
	if !ok {
		return nil, &UnknownScanTypeError{ScanType: scanType}
	}
	return p, nil
}

// ScanTypes lists the supported scan types, sorted.
func ScanTypes() []string {
	return slices.Sorted(maps.Keys(all))
}
