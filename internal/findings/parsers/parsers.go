// Package parsers lists the report parsers the findings service accepts.
// A new scanner is one package implementing findings.Parser, added here.
package parsers

import (
	"fmt"
	"maps"
	"slices"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/bandit"
	"github.com/secbot/secbot/internal/findings/parsers/checkov"
	"github.com/secbot/secbot/internal/findings/parsers/cyclonedx"
	"github.com/secbot/secbot/internal/findings/parsers/dependencycheck"
	"github.com/secbot/secbot/internal/findings/parsers/deptrack"
	"github.com/secbot/secbot/internal/findings/parsers/detectsecrets"
	"github.com/secbot/secbot/internal/findings/parsers/generic"
	"github.com/secbot/secbot/internal/findings/parsers/ggshield"
	"github.com/secbot/secbot/internal/findings/parsers/gitlabreport"
	"github.com/secbot/secbot/internal/findings/parsers/gitleaks"
	"github.com/secbot/secbot/internal/findings/parsers/gosec"
	"github.com/secbot/secbot/internal/findings/parsers/govulncheck"
	"github.com/secbot/secbot/internal/findings/parsers/grype"
	"github.com/secbot/secbot/internal/findings/parsers/hadolint"
	"github.com/secbot/secbot/internal/findings/parsers/noseyparker"
	"github.com/secbot/secbot/internal/findings/parsers/npmaudit"
	"github.com/secbot/secbot/internal/findings/parsers/nuclei"
	"github.com/secbot/secbot/internal/findings/parsers/osv"
	"github.com/secbot/secbot/internal/findings/parsers/pipaudit"
	"github.com/secbot/secbot/internal/findings/parsers/sarif"
	"github.com/secbot/secbot/internal/findings/parsers/semgrep"
	"github.com/secbot/secbot/internal/findings/parsers/snyk"
	"github.com/secbot/secbot/internal/findings/parsers/tfsec"
	"github.com/secbot/secbot/internal/findings/parsers/trivy"
	"github.com/secbot/secbot/internal/findings/parsers/trufflehog"
	"github.com/secbot/secbot/internal/findings/parsers/zap"
)

// UnknownScanTypeError is DefectDojo's answer to a scan_type it lacks.
type UnknownScanTypeError struct{ ScanType string }

func (e *UnknownScanTypeError) Error() string {
	return fmt.Sprintf("%q is not a valid choice.", e.ScanType)
}

var all = map[string]findings.Parser{}

// registered are the parsers, a group a line.
var registered = []findings.Parser{
	gitleaks.Parser{}, sarif.Parser{}, trivy.Parser{}, semgrep.Parser{}, bandit.Parser{},
	gitlabreport.SAST{}, gitlabreport.SecretDetection{}, gitlabreport.DependencyScanning{},
	gitlabreport.ContainerScanning{}, gitlabreport.DAST{},
	checkov.Parser{}, tfsec.Parser{}, hadolint.Parser{}, gosec.Parser{}, nuclei.Parser{},
	trufflehog.Parser{}, ggshield.Parser{}, detectsecrets.Parser{}, noseyparker.Parser{},
	grype.Parser{}, deptrack.Parser{}, osv.Parser{}, npmaudit.Parser{}, pipaudit.Parser{}, govulncheck.Parser{}, snyk.Parser{},
	dependencycheck.Parser{}, cyclonedx.Parser{}, zap.Parser{}, generic.Parser{},
}

func init() {
	for _, p := range registered {
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
