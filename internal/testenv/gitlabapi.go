package testenv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// GitLabAPI stands in for the parts of GitLab's REST API v4 that SecBot
// uses: commit statuses, with GitLab's state machine (a status already
// running cannot be set running again: 400 "Cannot transition status"),
// and merge request notes, paginated. It accepts only its token in the
// Private-Token header and records every request.
type GitLabAPI struct {
	token string
	mu    sync.Mutex
	// statuses by project/sha/name, oldest first.
	statuses map[string][]*CommitStatus
	notes    map[string][]*Note // by project/iid
	requests []string
	bodies   []string
	nextID   int64
	// Fail, when set, may answer a request with that status code instead
	// (0: serve normally), to inject faults.
	Fail func(r *http.Request) int
}

// CommitStatus is one commit status; History lists the states it went
// through.
type CommitStatus struct {
	ID          int64    `json:"id"`
	SHA         string   `json:"sha"`
	Ref         string   `json:"ref"`
	Name        string   `json:"name"`
	Status      string   `json:"status"`
	TargetURL   string   `json:"target_url"`
	Description string   `json:"description"`
	History     []string `json:"-"`
}

// Note is one merge request note.
type Note struct {
	ID        int64  `json:"id"`
	Body      string `json:"body"`
	System    bool   `json:"system"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

// NewGitLabAPI returns a stand-in that accepts token.
func NewGitLabAPI(token string) *GitLabAPI {
	return &GitLabAPI{token: token, statuses: map[string][]*CommitStatus{}, notes: map[string][]*Note{}}
}

// Handler serves the API under /api/v4/.
func (g *GitLabAPI) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v4/projects/{id}/statuses/{sha}", g.setStatus)
	mux.HandleFunc("GET /api/v4/projects/{id}/merge_requests/{iid}/notes", g.listNotes)
	mux.HandleFunc("POST /api/v4/projects/{id}/merge_requests/{iid}/notes", g.createNote)
	mux.HandleFunc("PUT /api/v4/projects/{id}/merge_requests/{iid}/notes/{note}", g.updateNote)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
		g.mu.Lock()
		g.requests = append(g.requests, r.Method+" "+r.URL.Path)
		g.bodies = append(g.bodies, r.URL.RawQuery+"\n"+string(body))
		fail := g.Fail
		g.mu.Unlock()
		if r.Header.Get("Private-Token") != g.token {
			answer(w, http.StatusUnauthorized, map[string]string{"message": "401 Unauthorized"})
			return
		}
		if fail != nil {
			if code := fail(r); code != 0 {
				answer(w, code, map[string]string{"message": http.StatusText(code)})
				return
			}
		}
		mux.ServeHTTP(w, r)
	})
}

func answer(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// params reads a request's fields from its JSON body, as client-go sends
// them, or from its form.
func params(r *http.Request) map[string]string {
	out := map[string]string{}
	if r.Header.Get("Content-Type") == "application/json" {
		var raw map[string]any
		_ = json.NewDecoder(r.Body).Decode(&raw)
		for k, v := range raw {
			out[k] = fmt.Sprint(v)
		}
		return out
	}
	_ = r.ParseForm()
	for k := range r.Form {
		out[k] = r.Form.Get(k)
	}
	return out
}

// transitions are GitLab's commit status events: the states each may
// leave from.
var transitions = map[string][]string{
	"pending":  {"created"},
	"running":  {"pending"},
	"success":  {"created", "pending", "running"},
	"failed":   {"created", "pending", "running"},
	"canceled": {"created", "pending", "running"},
}

var events = map[string]string{"pending": "enqueue", "running": "run", "success": "success", "failed": "drop", "canceled": "cancel"}

func (g *GitLabAPI) setStatus(w http.ResponseWriter, r *http.Request) {
	p := params(r)
	state := p["state"]
	if _, ok := transitions[state]; !ok {
		answer(w, http.StatusBadRequest, map[string]string{"error": "state does not have a valid value"})
		return
	}
	name := p["name"]
	if name == "" {
		name = "default"
	}
	key := r.PathValue("id") + "/" + r.PathValue("sha") + "/" + name
	g.mu.Lock()
	defer g.mu.Unlock()
	// GitLab reuses the status that is pending or running, else starts one.
	var st *CommitStatus
	if list := g.statuses[key]; len(list) > 0 {
		if last := list[len(list)-1]; last.Status == "pending" || last.Status == "running" {
			st = last
		}
	}
	if st == nil {
		g.nextID++
		st = &CommitStatus{ID: g.nextID, SHA: r.PathValue("sha"), Name: name, Status: "created"}
		g.statuses[key] = append(g.statuses[key], st)
	}
	if state == "running" && st.Status == "created" {
		st.Status = "pending" // the API enqueues first
		st.History = append(st.History, "pending")
	}
	if !slices.Contains(transitions[state], st.Status) {
		answer(w, http.StatusBadRequest, map[string]string{"message": fmt.Sprintf(
			"Cannot transition status via :%s from :%s (Reason(s): Status cannot transition via \"%s\")", events[state], st.Status, events[state])})
		return
	}
	st.Status = state
	st.History = append(st.History, state)
	st.Ref, st.TargetURL, st.Description = p["ref"], p["target_url"], p["description"]
	answer(w, http.StatusCreated, st)
}

func (g *GitLabAPI) listNotes(w http.ResponseWriter, r *http.Request) {
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	perPage, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
	page, perPage = max(page, 1), min(max(perPage, 1), 100)
	if r.URL.Query().Get("per_page") == "" {
		perPage = 20
	}
	g.mu.Lock()
	all := g.notes[r.PathValue("id")+"/"+r.PathValue("iid")]
	from, to := min((page-1)*perPage, len(all)), min(page*perPage, len(all))
	list := append([]*Note{}, all[from:to]...)
	g.mu.Unlock()
	w.Header().Set("X-Page", strconv.Itoa(page))
	w.Header().Set("X-Per-Page", strconv.Itoa(perPage))
	w.Header().Set("X-Total", strconv.Itoa(len(all)))
	if to < len(all) {
		w.Header().Set("X-Next-Page", strconv.Itoa(page+1))
	}
	answer(w, http.StatusOK, list)
}

func (g *GitLabAPI) createNote(w http.ResponseWriter, r *http.Request) {
	body := params(r)["body"]
	if body == "" {
		answer(w, http.StatusBadRequest, map[string]string{"error": "body is missing"})
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	answer(w, http.StatusCreated, g.addNote(r.PathValue("id")+"/"+r.PathValue("iid"), body))
}

func (g *GitLabAPI) addNote(key, body string) *Note {
	g.nextID++
	now := time.Now().UTC().Format(time.RFC3339)
	n := &Note{ID: g.nextID, Body: body, CreatedAt: now, UpdatedAt: now}
	g.notes[key] = append(g.notes[key], n)
	return n
}

func (g *GitLabAPI) updateNote(w http.ResponseWriter, r *http.Request) {
	body := params(r)["body"]
	id, _ := strconv.ParseInt(r.PathValue("note"), 10, 64)
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, n := range g.notes[r.PathValue("id")+"/"+r.PathValue("iid")] {
		if n.ID == id {
			n.Body, n.UpdatedAt = body, time.Now().UTC().Format(time.RFC3339)
			answer(w, http.StatusOK, n)
			return
		}
	}
	answer(w, http.StatusNotFound, map[string]string{"message": "404 Not found"})
}

// AddNote adds a note as somebody else would, for tests.
func (g *GitLabAPI) AddNote(project, iid int64, body string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.addNote(fmt.Sprintf("%d/%d", project, iid), body)
}

// Statuses returns copies of the commit's statuses of that name, oldest
// first.
func (g *GitLabAPI) Statuses(project int64, sha, name string) []CommitStatus {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []CommitStatus
	for _, st := range g.statuses[fmt.Sprintf("%d/%s/%s", project, sha, name)] {
		c := *st
		c.History = slices.Clone(st.History)
		out = append(out, c)
	}
	return out
}

// Notes returns copies of the merge request's notes, oldest first.
func (g *GitLabAPI) Notes(project, iid int64) []Note {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []Note
	for _, n := range g.notes[fmt.Sprintf("%d/%d", project, iid)] {
		out = append(out, *n)
	}
	return out
}

// Bodies returns every request's query and body, for searching.
func (g *GitLabAPI) Bodies() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.bodies)
}

// Requests lists "METHOD path" of every request received.
func (g *GitLabAPI) Requests() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.requests)
}
