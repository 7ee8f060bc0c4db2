package gitserver

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Project is a project of the stand-in's API. A project whose bare
// repository is under the server's root (Path + ".git") has the branches
// of that repository; any other has none.
type Project struct {
	ID            int64
	Path          string // group/subgroup/name
	DefaultBranch string
	Archived      bool
	Empty         bool
}

// Projects stands in for the project listing of GitLab's REST API v4:
// GET /projects, /groups/:id/projects (include_subgroups), /projects/:id
// and /projects/:id/repository/branches/:branch, with GitLab's offset
// pagination headers (X-Page, X-Per-Page, X-Next-Page, X-Prev-Page,
// X-Total, X-Total-Pages, Link) and, with a limit set, GitLab's rate
// limit headers (RateLimit-Limit, -Observed, -Remaining, -Reset); past the
// limit, or when told to (Throttle), it answers 429 with Retry-After.
type Projects struct {
	root, token, base string

	mu       sync.Mutex
	projects []Project
	// limit requests per window (0: no limit), windows starting on
	// whole seconds as RateLimit-Reset (a Unix time) counts them.
	limit  int
	window time.Time
	used   int
	// throttle is how many requests are still to be answered 429 with
	// Retry-After: retryAfter, whatever the limit.
	throttle   int
	retryAfter int
	// throttled counts those 429s, overLimit the 429s of requests past the
	// limit; requests lists each request's path and query.
	throttled, overLimit int
	requests             []string
}

// NewProjects returns the listing of a stand-in serving the bare
// repositories under root at base (its URL), accepting token in
// PRIVATE-TOKEN.
func NewProjects(root, base, token string) *Projects {
	return &Projects{root: root, base: strings.TrimSuffix(base, "/"), token: token}
}

// SetLimit allows n requests a second (0: no limit).
func (p *Projects) SetLimit(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.limit = n
}

// Throttle answers the next n requests 429 with Retry-After: seconds, as
// GitLab does when another client spent the limit.
func (p *Projects) Throttle(n, seconds int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.throttle, p.retryAfter = n, seconds
}

// OverLimit is how many requests came past the limit (and got 429).
func (p *Projects) OverLimit() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.overLimit
}

// SetBase sets the stand-in's URL, once it is known (before requests).
func (p *Projects) SetBase(base string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.base = strings.TrimSuffix(base, "/")
}

// Add adds projects to the listing.
func (p *Projects) Add(list ...Project) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.projects = append(p.projects, list...)
	slices.SortFunc(p.projects, func(a, b Project) int { return int(a.ID - b.ID) })
}

// Throttled is how many requests Throttle answered 429.
func (p *Projects) Throttled() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.throttled
}

// Requests lists the requests received (path?query, with " 429" after
// those refused), oldest first.
func (p *Projects) Requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.requests)
}

// Register adds the listing's routes to mux.
func (p *Projects) Register(mux *http.ServeMux) {
	mux.Handle("GET /api/v4/projects", p.guard(p.list))
	mux.Handle("GET /api/v4/groups/{id}/projects", p.guard(p.list))
	mux.Handle("GET /api/v4/projects/{id}", p.guard(p.get))
	mux.Handle("GET /api/v4/projects/{id}/repository/branches/{branch}", p.guard(p.branch))
}

// guard checks the token and the rate limit, and sets the rate limit
// headers.
func (p *Projects) guard(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Private-Token") != p.token {
			answerJSON(w, http.StatusUnauthorized, map[string]string{"message": "401 Unauthorized"})
			return
		}
		p.mu.Lock()
		seen := r.URL.Path + "?" + r.URL.RawQuery
		now := time.Now()
		if start := now.Truncate(time.Second); !start.Equal(p.window) {
			p.window, p.used = start, 0
		}
		p.used++
		limit, used, reset := p.limit, p.used, p.window.Add(time.Second)
		over := limit > 0 && used > limit
		injected, retry := p.throttle > 0, p.retryAfter
		switch {
		case injected:
			p.throttle--
			p.throttled++
		case over:
			p.overLimit++
		}
		if injected || over {
			seen += " 429"
		}
		p.requests = append(p.requests, seen)
		p.mu.Unlock()
		if limit > 0 {
			h := w.Header()
			h.Set("RateLimit-Limit", strconv.Itoa(limit))
			h.Set("RateLimit-Observed", strconv.Itoa(used))
			h.Set("RateLimit-Remaining", strconv.Itoa(max(0, limit-used)))
			h.Set("RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
			h.Set("RateLimit-ResetTime", reset.UTC().Format(http.TimeFormat))
		}
		switch {
		case injected:
			w.Header().Set("Retry-After", strconv.Itoa(retry))
			answerJSON(w, http.StatusTooManyRequests, map[string]string{"message": "Retry later"})
			return
		case over:
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(time.Until(reset).Seconds()))))
			answerJSON(w, http.StatusTooManyRequests, map[string]string{"message": "Retry later"})
			return
		}
		next(w, r)
	})
}

// project is a project as the API answers it (the fields SecBot reads).
type project struct {
	ID                int64  `json:"id"`
	Name              string `json:"name"`
	Path              string `json:"path"`
	PathWithNamespace string `json:"path_with_namespace"`
	DefaultBranch     string `json:"default_branch,omitempty"`
	Archived          bool   `json:"archived"`
	EmptyRepo         bool   `json:"empty_repo"`
	HTTPURLToRepo     string `json:"http_url_to_repo"`
	SSHURLToRepo      string `json:"ssh_url_to_repo"`
	WebURL            string `json:"web_url"`
}

func (p *Projects) view(pr Project) project {
	p.mu.Lock()
	base := p.base
	p.mu.Unlock()
	host := base
	if u, err := url.Parse(base); err == nil {
		host = u.Host
	}
	name := pr.Path[strings.LastIndex(pr.Path, "/")+1:]
	return project{ID: pr.ID, Name: name, Path: name, PathWithNamespace: pr.Path, DefaultBranch: pr.DefaultBranch,
		Archived: pr.Archived, EmptyRepo: pr.Empty, HTTPURLToRepo: base + "/" + pr.Path + ".git",
		SSHURLToRepo: "git@" + host + ":" + pr.Path + ".git", WebURL: base + "/" + pr.Path}
}

// list answers one page of the instance's projects, or a group's (its
// subgroups' too with include_subgroups=true), in id order.
func (p *Projects) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	group := r.PathValue("id")
	p.mu.Lock()
	var all []Project
	for _, pr := range p.projects {
		ns := pr.Path[:max(0, strings.LastIndex(pr.Path, "/"))]
		switch {
		case group == "":
		case ns == group:
		case q.Get("include_subgroups") == "true" && strings.HasPrefix(ns, group+"/"):
		default:
			continue
		}
		if q.Get("archived") != "" && strconv.FormatBool(pr.Archived) != q.Get("archived") {
			continue
		}
		all = append(all, pr)
	}
	p.mu.Unlock()
	if group != "" && !p.groupExists(group) {
		answerJSON(w, http.StatusNotFound, map[string]string{"message": "404 Group Not Found"})
		return
	}
	if q.Get("sort") == "desc" {
		slices.Reverse(all)
	}
	page, per := atLeast(q.Get("page"), 1), min(atLeast(q.Get("per_page"), 20), 100)
	pages := max(1, (len(all)+per-1)/per)
	from, to := min((page-1)*per, len(all)), min(page*per, len(all))
	out := make([]project, 0, to-from)
	for _, pr := range all[from:to] {
		out = append(out, p.view(pr))
	}
	p.mu.Lock()
	base := p.base
	p.mu.Unlock()
	h := w.Header()
	h.Set("X-Page", strconv.Itoa(page))
	h.Set("X-Per-Page", strconv.Itoa(per))
	h.Set("X-Total", strconv.Itoa(len(all)))
	h.Set("X-Total-Pages", strconv.Itoa(pages))
	var links []string
	link := func(rel string, n int) {
		u := *r.URL
		v := u.Query()
		v.Set("page", strconv.Itoa(n))
		u.RawQuery = v.Encode()
		links = append(links, fmt.Sprintf("<%s%s>; rel=\"%s\"", base, u.RequestURI(), rel))
	}
	h.Set("X-Next-Page", "")
	h.Set("X-Prev-Page", "")
	if page < pages {
		h.Set("X-Next-Page", strconv.Itoa(page+1))
		link("next", page+1)
	}
	if page > 1 {
		h.Set("X-Prev-Page", strconv.Itoa(page-1))
		link("prev", page-1)
	}
	link("first", 1)
	link("last", pages)
	h.Set("Link", strings.Join(links, ", "))
	answerJSON(w, http.StatusOK, out)
}

// groupExists reports a group some project is in (or under).
func (p *Projects) groupExists(group string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pr := range p.projects {
		if strings.HasPrefix(pr.Path, group+"/") {
			return true
		}
	}
	return false
}

func atLeast(raw string, def int) int {
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 {
		return def
	}
	return n
}

// find looks a project up by id or full path.
func (p *Projects) find(ref string) (Project, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pr := range p.projects {
		if strconv.FormatInt(pr.ID, 10) == ref || pr.Path == ref {
			return pr, true
		}
	}
	return Project{}, false
}

func (p *Projects) get(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.find(r.PathValue("id"))
	if !ok {
		answerJSON(w, http.StatusNotFound, map[string]string{"message": "404 Project Not Found"})
		return
	}
	answerJSON(w, http.StatusOK, p.view(pr))
}

// branch answers a branch of a project's bare repository with its head.
func (p *Projects) branch(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.find(r.PathValue("id"))
	if !ok {
		answerJSON(w, http.StatusNotFound, map[string]string{"message": "404 Project Not Found"})
		return
	}
	name := r.PathValue("branch")
	out, err := exec.Command("git", "-C", filepath.Join(p.root, pr.Path+".git"), "rev-parse", "--verify", "--quiet", //nolint:gosec // G204: the stand-in's own repositories
		"refs/heads/"+name+"^{commit}").Output()
	sha := strings.TrimSpace(string(out))
	if err != nil || sha == "" || strings.HasPrefix(name, "-") {
		answerJSON(w, http.StatusNotFound, map[string]string{"message": "404 Branch Not Found"})
		return
	}
	answerJSON(w, http.StatusOK, map[string]any{"name": name, "default": name == pr.DefaultBranch,
		"commit": map[string]any{"id": sha, "short_id": sha[:8]}})
}

func answerJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
