package api

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// routes is the /api/v2 group, keeping a list of the paths and methods it
// serves so that a request for any other is answered as DefectDojo
// answers it (see unknown).
type routes struct {
	fiber.Router
	known []route
}

type route struct {
	path    *regexp.Regexp
	methods []string
}

var param = regexp.MustCompile(`:[a-z_]+`)

func (r *routes) add(method, path string) {
	mustRule(method, path)
	expr := "^/api/v2" + param.ReplaceAllString(regexp.QuoteMeta(path), `[^/]+`) + "/?$"
	for i := range r.known {
		if r.known[i].path.String() == expr {
			r.known[i].methods = append(r.known[i].methods, method)
			return
		}
	}
	r.known = append(r.known, route{path: regexp.MustCompile(expr), methods: []string{method}})
}

// Get, Post, Put, Patch and Delete register a route and remember it.
func (r *routes) Get(path string, h fiber.Handler) {
	r.add(fiber.MethodGet, path)
	r.add(fiber.MethodHead, path)
	r.Router.Get(path, h)
}

func (r *routes) Post(path string, h fiber.Handler) {
	r.add(fiber.MethodPost, path)
	r.Router.Post(path, h)
}

func (r *routes) Put(path string, h fiber.Handler) {
	r.add(fiber.MethodPut, path)
	r.Router.Put(path, h)
}

func (r *routes) Patch(path string, h fiber.Handler) {
	r.add(fiber.MethodPatch, path)
	r.Router.Patch(path, h)
}

func (r *routes) Delete(path string, h fiber.Handler) {
	r.add(fiber.MethodDelete, path)
	r.Router.Delete(path, h)
}

// unknown answers a request for a path the API lacks with 404, and one
// with a method its path does not take with 405 and an Allow header,
// before any token is asked for.
func (r *routes) unknown(c *fiber.Ctx) error {
	path := c.Path()
	var allowed []string
	for _, rt := range r.known {
		if !rt.path.MatchString(path) {
			continue
		}
		if slices.Contains(rt.methods, c.Method()) {
			return c.Next()
		}
		allowed = append(allowed, rt.methods...)
	}
	if allowed == nil {
		return detail(c, fiber.StatusNotFound, notFound)
	}
	c.Set(fiber.HeaderAllow, strings.Join(allowed, ", "))
	return detail(c, fiber.StatusMethodNotAllowed, fmt.Sprintf("Method %q not allowed.", c.Method()))
}
