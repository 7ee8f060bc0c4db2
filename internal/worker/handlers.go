// Package worker runs the task plan: it takes tasks from the queue, runs
// the scan, output and notification handlers that config.yml names, records
// results in PostgreSQL and enqueues what becomes ready.
package worker

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/gitlab"
	"github.com/secbot/secbot/internal/jobs"
	"github.com/secbot/secbot/internal/store"
)

// Request is what a handler gets to run one task.
type Request struct {
	Task jobs.Task
	// Attempt counts from 1.
	Attempt   int
	Check     store.CheckInfo
	Event     gitlab.Event
	Instance  config.Instance
	Component config.Component
	// Inputs are the results of the tasks this one depends on: the scan's
	// report for an output, every scan's output results for a notification.
	Inputs []store.Input
	// Marks remembers the component's steps for the check, across retries
	// and across the tasks of later events.
	Marks Marks
}

// Marks remembers which steps a notifier has done for a check, so that
// neither a retried task nor the task of a later event of the same commit
// repeats one (each Slack channel is posted to once per check).
type Marks interface {
	// Marked returns a step's value and whether it is done.
	Marked(ctx context.Context, key string) (string, bool, error)
	// Mark records a step as done, with a value.
	Mark(ctx context.Context, key, value string) error
	// Swap sets a step's value and reports whether it changed: of workers
	// racing to record the same value, one sees true and does the step.
	Swap(ctx context.Context, key, value string) (bool, error)
}

// NewCheckMarks returns the marks a component keeps for a check in the
// store; keys are the component's own.
func NewCheckMarks(st *store.Store, checkID, component string) Marks {
	return checkMarks{store: st, checkID: checkID, prefix: component + "/"}
}

// checkMarks are a component's marks for a check, kept in the store.
type checkMarks struct {
	store   *store.Store
	checkID string
	prefix  string
}

func (m checkMarks) Marked(ctx context.Context, key string) (string, bool, error) {
	return m.store.Marked(ctx, m.checkID, m.prefix+key)
}

func (m checkMarks) Mark(ctx context.Context, key, value string) error {
	return m.store.Mark(ctx, m.checkID, m.prefix+key, value)
}

func (m checkMarks) Swap(ctx context.Context, key, value string) (bool, error) {
	return m.store.Swap(ctx, m.checkID, m.prefix+key, value)
}

// Scanner scans the code an event brings and reports what it found.
type Scanner interface {
	Scan(ctx context.Context, req *Request) (jobs.Result, error)
}

// Output sends a scan's report somewhere (a findings service) and reports
// which findings are new and which are active.
type Output interface {
	Export(ctx context.Context, req *Request) (jobs.Result, error)
}

// Notifier tells people about an output's results.
type Notifier interface {
	Notify(ctx context.Context, req *Request) (jobs.Result, error)
}

// Watcher is a notifier that also follows a check while it runs, as
// GitLab's commit status does. Watch is called with StatusInProgress when
// a worker starts one of the check's scans, and with the verdict when the
// check's scans and outputs are all finished (error, fail or success).
// Its errors are logged and never change the verdict.
type Watcher interface {
	Watch(ctx context.Context, req *Request, status jobs.Status) error
}

// ErrPermanent marks an error that retrying cannot fix (a bad SHA, a
// configuration mistake): the task fails at once with the reason stored.
var ErrPermanent = errors.New("permanent")

// Permanent wraps err so the worker fails the task without retrying.
func Permanent(err error) error {
	return fmt.Errorf("%w: %w", ErrPermanent, err)
}

// Factories build a handler from its component's settings.
type (
	ScannerFactory  = func(config.Component) (Scanner, error)
	OutputFactory   = func(config.Component) (Output, error)
	NotifierFactory = func(config.Component) (Notifier, error)
)

// Checker checks a component's settings as its handler's factory does,
// without building the handler.
type Checker = func(config.Component) error

// Registry maps handler names (handler_name in config.yml) to factories.
// A new handler is a type implementing one interface, registered by name.
type Registry struct {
	scanners  map[string]ScannerFactory
	outputs   map[string]OutputFactory
	notifiers map[string]NotifierFactory
	// checks holds the checkers of handlers known without a factory, by
	// role and name.
	checks map[string]Checker
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{scanners: map[string]ScannerFactory{}, outputs: map[string]OutputFactory{},
		notifiers: map[string]NotifierFactory{}, checks: map[string]Checker{}}
}

// AddScanner registers a scan handler.
func (r *Registry) AddScanner(name string, f ScannerFactory) { r.scanners[name] = f }

// AddOutput registers an output handler.
func (r *Registry) AddOutput(name string, f OutputFactory) { r.outputs[name] = f }

// AddNotifier registers a notification handler.
func (r *Registry) AddNotifier(name string, f NotifierFactory) { r.notifiers[name] = f }

// CheckScanner registers a scan handler by name and settings check only,
// for a process that checks config.yml but runs no handler (the receiver).
func (r *Registry) CheckScanner(name string, check Checker) {
	r.scanners[name] = nil
	r.checks[roleScan+"/"+name] = check
}

// CheckOutput registers an output handler by name and settings check only.
func (r *Registry) CheckOutput(name string, check Checker) {
	r.outputs[name] = nil
	r.checks[roleOutput+"/"+name] = check
}

// CheckNotifier registers a notification handler by name and settings
// check only.
func (r *Registry) CheckNotifier(name string, check Checker) {
	r.notifiers[name] = nil
	r.checks[roleNotification+"/"+name] = check
}

// Names lists the registered handler names of each role, sorted.
func (r *Registry) Names() (scanners, outputs, notifiers []string) {
	return slices.Sorted(maps.Keys(r.scanners)), slices.Sorted(maps.Keys(r.outputs)), slices.Sorted(maps.Keys(r.notifiers))
}

// Handlers are the built handlers of the components jobs use, by
// component name.
type Handlers struct {
	Components map[string]config.Component
	Scanners   map[string]Scanner
	Outputs    map[string]Output
	Notifiers  map[string]Notifier
}

// The roles a component plays in a job.
const (
	roleScan         = "scan"
	roleOutput       = "output"
	roleNotification = "notification"
)

// use is a component in the role a job uses it in.
type use struct {
	role string
	c    config.Component
}

// uses lists each component the jobs use, once per role, in the order the
// jobs name them. Components config.yml got wrong are left out: the
// file's own problems report them.
func uses(f *config.File) []use {
	var list []use
	seen := map[string]bool{}
	for _, job := range f.Jobs {
		for _, group := range []struct {
			role  string
			names []string
		}{{roleScan, job.Scans}, {roleOutput, job.Outputs}, {roleNotification, job.Notifications}} {
			for _, name := range group.names {
				c, ok := f.Components[name]
				key := group.role + "/" + name
				if !ok || seen[key] {
					continue
				}
				seen[key] = true
				list = append(list, use{role: group.role, c: c})
			}
		}
	}
	return list
}

// Check checks, without building anything, that every component the jobs
// use names a handler of its role and that the handler takes its
// settings; every mistake is reported at once, each at its line.
func (r *Registry) Check(f *config.File) error {
	var errs []error
	for _, u := range uses(f) {
		var err error
		switch u.role {
		case roleScan:
			err = check(r, u, r.scanners)
		case roleOutput:
			err = check(r, u, r.outputs)
		default:
			err = check(r, u, r.notifiers)
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func check[T any](r *Registry, u use, factories map[string]func(config.Component) (T, error)) error {
	factory, ok := factories[u.c.HandlerName]
	if !ok {
		return unknownHandler(u, factories)
	}
	if factory != nil {
		_, err := factory(u.c)
		return u.c.Fault(err)
	}
	if c := r.checks[u.role+"/"+u.c.HandlerName]; c != nil {
		return u.c.Fault(c(u.c))
	}
	return nil
}

// Build makes a handler for every component the jobs use, in the role they
// use it in. Every mistake is reported at once, each at its line.
func (r *Registry) Build(f *config.File) (*Handlers, error) {
	h := &Handlers{Components: f.Components, Scanners: map[string]Scanner{}, Outputs: map[string]Output{}, Notifiers: map[string]Notifier{}}
	var errs []error
	for _, u := range uses(f) {
		switch u.role {
		case roleScan:
			errs = append(errs, build(u, r.scanners, h.Scanners))
		case roleOutput:
			errs = append(errs, build(u, r.outputs, h.Outputs))
		default:
			errs = append(errs, build(u, r.notifiers, h.Notifiers))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return h, nil
}

func build[T any](u use, factories map[string]func(config.Component) (T, error), built map[string]T) error {
	if _, ok := built[u.c.Name]; ok {
		return nil
	}
	factory, ok := factories[u.c.HandlerName]
	if !ok {
		return unknownHandler(u, factories)
	}
	if factory == nil {
		return u.c.Problem("handler_name", fmt.Sprintf("handler %q is known by name only in this process", u.c.HandlerName))
	}
	handler, err := factory(u.c)
	if err != nil {
		return u.c.Fault(err)
	}
	built[u.c.Name] = handler
	return nil
}

// unknownHandler names the handlers of the role that there are.
func unknownHandler[F any](u use, factories map[string]F) error {
	known := slices.Sorted(maps.Keys(factories))
	list := "none yet"
	if len(known) > 0 {
		list = strings.Join(known, ", ")
	}
	return u.c.Problem("handler_name", fmt.Sprintf("%q is not a known %s handler (%s handlers: %s)", u.c.HandlerName, u.role, u.role, list))
}
