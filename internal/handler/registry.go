package handler

import (
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/secbot/secbot/internal/config"
)

// Role is what a component does in a job.
type Role string

// The roles, as config.yml's job keys name them.
const (
	RoleScan         Role = "scan"
	RoleOutput       Role = "output"
	RoleNotification Role = "notification"
)

// Checker checks a component's settings as its handler's constructor
// does, without building the handler (a process that never runs it, the
// receiver, need not load a scanner's rules).
type Checker = func(config.Component) error

// Plugin is one row of the handler table: a handler's name (handler_name
// in config.yml), its role, the check of its settings and its constructor.
type Plugin struct {
	Name  string
	Role  Role
	check Checker
	build func(config.Component) (any, error)
}

// Scan makes the table row of a scan handler. check may be nil when
// building the handler is cheap: the constructor then checks.
func Scan[S Scanner](name string, check Checker, build func(config.Component) (S, error)) Plugin {
	return plugin(name, RoleScan, check, build)
}

// Export makes the table row of an output handler.
func Export[O Output](name string, check Checker, build func(config.Component) (O, error)) Plugin {
	return plugin(name, RoleOutput, check, build)
}

// Notify makes the table row of a notification handler.
func Notify[N Notifier](name string, check Checker, build func(config.Component) (N, error)) Plugin {
	return plugin(name, RoleNotification, check, build)
}

func plugin[T any](name string, role Role, check Checker, build func(config.Component) (T, error)) Plugin {
	p := Plugin{Name: name, Role: role, check: check}
	p.build = func(c config.Component) (any, error) { return build(c) }
	if p.check == nil {
		p.check = func(c config.Component) error { _, err := build(c); return err }
	}
	return p
}

// Registry is the handler table, looked up by role and name.
type Registry struct {
	plugins []Plugin
}

// NewRegistry returns a registry of the plugins. Two of one role and name
// is a programming mistake, and panics.
func NewRegistry(plugins ...Plugin) *Registry {
	for i, p := range plugins {
		for _, q := range plugins[:i] {
			if p.Role == q.Role && p.Name == q.Name {
				panic(fmt.Sprintf("handler: two %s handlers named %q", p.Role, p.Name))
			}
		}
	}
	return &Registry{plugins: plugins}
}

// Names lists the handler names of a role, sorted.
func (r *Registry) Names(role Role) []string {
	var names []string
	for _, p := range r.plugins {
		if p.Role == role {
			names = append(names, p.Name)
		}
	}
	slices.Sort(names)
	return names
}

func (r *Registry) lookup(role Role, name string) (Plugin, bool) {
	for _, p := range r.plugins {
		if p.Role == role && p.Name == name {
			return p, true
		}
	}
	return Plugin{}, false
}

// Handlers are the built handlers of the components jobs use, by
// component name, with the jobs by name (for their gates).
type Handlers struct {
	Jobs       map[string]config.Job
	Components map[string]config.Component
	Scanners   map[string]Scanner
	Outputs    map[string]Output
	Notifiers  map[string]Notifier
}

// use is a component in the role a job uses it in.
type use struct {
	role Role
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
			role  Role
			names []string
		}{{RoleScan, job.Scans}, {RoleOutput, job.Outputs}, {RoleNotification, job.Notifications}} {
			for _, name := range group.names {
				c, ok := f.Components[name]
				key := string(group.role) + "/" + name
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
	for u, p := range r.found(f, &errs) {
		errs = append(errs, u.c.Fault(p.check(u.c)))
	}
	return errors.Join(errs...)
}

// Build makes a handler for every component the jobs use, in the role they
// use it in. Every mistake is reported at once, each at its line.
func (r *Registry) Build(f *config.File) (*Handlers, error) {
	h := &Handlers{Jobs: map[string]config.Job{}, Components: f.Components, Scanners: map[string]Scanner{}, Outputs: map[string]Output{}, Notifiers: map[string]Notifier{}}
	for _, j := range f.Jobs {
		h.Jobs[j.Name] = j
	}
	var errs []error
	for u, p := range r.found(f, &errs) {
		built, err := p.build(u.c)
		if err != nil {
			errs = append(errs, u.c.Fault(err))
			continue
		}
		switch u.role {
		case RoleScan:
			h.Scanners[u.c.Name] = built.(Scanner)
		case RoleOutput:
			h.Outputs[u.c.Name] = built.(Output)
		default:
			h.Notifiers[u.c.Name] = built.(Notifier)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return h, nil
}

// found yields each component the jobs use with its handler's row; a
// component naming no handler of its role adds an error to errs instead.
func (r *Registry) found(f *config.File, errs *[]error) iter.Seq2[use, Plugin] {
	return func(yield func(use, Plugin) bool) {
		for _, u := range uses(f) {
			p, ok := r.lookup(u.role, u.c.HandlerName)
			if !ok {
				*errs = append(*errs, r.unknown(u))
				continue
			}
			if !yield(u, p) {
				return
			}
		}
	}
}

// unknown names the handlers of the role that there are.
func (r *Registry) unknown(u use) error {
	list := "none yet"
	if known := r.Names(u.role); len(known) > 0 {
		list = strings.Join(known, ", ")
	}
	return u.c.Problem("handler_name", fmt.Sprintf("%q is not a known %s handler (%s handlers: %s)", u.c.HandlerName, u.role, u.role, list))
}
