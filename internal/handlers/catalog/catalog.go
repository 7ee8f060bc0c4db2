// Package catalog names the shipped handlers by role, without loading
// them, for processes that only check config.yml (the receiver): loading
// the gitleaks scanner compiles its regular-expression engine, tens of
// megabytes a process that never scans does not need. A test keeps it
// equal to handlers.Registry.
package catalog

import "github.com/secbot/secbot/internal/worker"

// Scanners, Outputs and Notifiers are the shipped handler names.
var (
	Scanners  = []string{"gitleaks"}
	Outputs   = []string{"defectdojo"}
	Notifiers = []string{"slack", "gitlab"}
)

// Registry is a registry that knows the shipped handlers by name only: it
// checks a config.yml (Registry.Check) but builds nothing.
func Registry() *worker.Registry {
	reg := worker.NewRegistry()
	for _, n := range Scanners {
		reg.AddScanner(n, nil)
	}
	for _, n := range Outputs {
		reg.AddOutput(n, nil)
	}
	for _, n := range Notifiers {
		reg.AddNotifier(n, nil)
	}
	return reg
}
