package api_test

// The tests in clients_*_test.go replay, request by request, what real
// DefectDojo clients send (dd-import, Dependency-Track, defectdojo-cli and
// the OpenAPI-generated Python client, go-defectdojo, a shared GitLab CI
// template): the same paths and query parameters in the same order, the
// same headers, JSON or multipart bodies written the way each client
// writes them (booleans as "True" from Python, "true" from Java and Go),
// and the same reading of the answers. Each flow runs twice, as two
// pipelines would: the second run must find by name what the first made,
// create no object twice, and a reimport of the same report must create
// no finding.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/secbot/secbot/internal/testenv/fixtures"
)

// wire is one client's connection to the service: the headers it sends
// with every request, and the calls it made, "METHOD /path?query", so a
// test can check them in order.
type wire struct {
	t      *testing.T
	base   string
	header map[string]string
	calls  []string
}

func (s *server) wire(t *testing.T, header map[string]string) *wire {
	return &wire{t: t, base: s.url, header: header}
}

// do sends one request: url is a path, or an absolute URL the service
// gave (a page's next). It returns the status and the body.
func (w *wire) do(method, url, contentType string, body []byte) (int, []byte) {
	w.t.Helper()
	if strings.HasPrefix(url, "/") {
		url = w.base + url
	}
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		w.t.Fatal(err)
	}
	for k, v := range w.header {
		req.Header.Set(k, v)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	w.calls = append(w.calls, method+" "+strings.TrimPrefix(url, w.base))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		w.t.Fatal(err)
	}
	return resp.StatusCode, raw
}

// expect sends a request and decodes its JSON answer into each of outs,
// failing unless the status is want: the clients raise on any other. It
// returns the answer.
func (w *wire) expect(want int, method, url, contentType string, body []byte, outs ...any) []byte {
	w.t.Helper()
	code, raw := w.do(method, url, contentType, body)
	if code != want {
		w.t.Fatalf("%s %s: %d %s, want %d", method, url, code, raw, want)
	}
	for _, out := range outs {
		if err := json.Unmarshal(raw, out); err != nil {
			w.t.Fatalf("%s %s: the answer does not decode as the client reads it: %v\n%s", method, url, err, raw)
		}
	}
	return raw
}

// checkCalls compares the calls made since the last check with want.
func (w *wire) checkCalls(run int, want ...string) {
	w.t.Helper()
	if got := strings.Join(w.calls, "\n"); got != strings.Join(want, "\n") {
		w.t.Errorf("run %d made the calls\n%s\nwant\n%s", run, got, strings.Join(want, "\n"))
	}
	w.calls = nil
}

// formPart is one part of a multipart body, in the order a client writes
// it: a text field, or a file with its part's own headers.
type formPart struct {
	name, value string
	fileName    string
	data        []byte
	header      map[string]string
}

func field(name, value string) formPart { return formPart{name: name, value: value} }

// filePart is a report as a client attaches it; header is the part's
// headers beside Content-Disposition (Content-Type, dd-import's Expires).
func filePart(name, fileName string, data []byte, header map[string]string) formPart {
	return formPart{name: name, fileName: fileName, data: data, header: header}
}

// multipartBody writes the parts in order and returns the body's
// Content-Type and bytes.
func multipartBody(t *testing.T, parts ...formPart) (string, []byte) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		if p.fileName == "" {
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q`, p.name))
		} else {
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, p.name, p.fileName))
		}
		for k, v := range p.header {
			h.Set(k, v)
		}
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		if p.fileName == "" {
			_, err = io.WriteString(pw, p.value)
		} else {
			_, err = pw.Write(p.data)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.FormDataContentType(), body.Bytes()
}

// fixture is a report's bytes.
func fixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := fixtures.ReadFile(dojo + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// importAnswer is the part of an import's or reimport's 201 answer the
// replays check.
type importAnswer struct {
	Test       int `json:"test"`
	Engagement int `json:"engagement_id"`
	Statistics struct {
		Before map[string]map[string]int            `json:"before"`
		Delta  map[string]map[string]map[string]int `json:"delta"`
		After  map[string]map[string]int            `json:"after"`
	} `json:"statistics"`
}

// delta is how many findings a reimport created, closed, reactivated and
// left untouched, "created 0 closed 0 reactivated 0 untouched 3".
func (a importAnswer) delta() string {
	d := a.Statistics.Delta
	return fmt.Sprintf("created %d closed %d reactivated %d untouched %d", d["created"]["total"]["total"],
		d["closed"]["total"]["total"], d["reactivated"]["total"]["total"], d["untouched"]["total"]["total"])
}

// counts is how many objects of each kind the service holds.
func (s *server) counts(t *testing.T) string {
	t.Helper()
	var out []string
	for _, table := range []string{"product_types", "products", "engagements", "tests", "findings", "finding_notes"} {
		out = append(out, fmt.Sprintf("%s %d", table, s.db.Count(t, "SELECT count(*) FROM "+table)))
	}
	return strings.Join(out, ", ")
}

// today is the date clients send as scan_date and target_start. The
// service refuses scan dates after today in UTC, so UTC it is.
func today() string { return time.Now().UTC().Format(time.DateOnly) }

// pyJSON writes a JSON object as Python's json.dumps does (", " and ": "
// separators, keys in the order given), from alternating keys and
// values already written as JSON.
func pyJSON(kv ...string) []byte {
	var parts []string
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, fmt.Sprintf("%q: %s", kv[i], kv[i+1]))
	}
	return []byte("{" + strings.Join(parts, ", ") + "}")
}

// pyQuery writes query parameters as Python's urlencode does: in the
// order given (url.Values would sort them), spaces as "+".
func pyQuery(kv ...string) string {
	var parts []string
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, url.QueryEscape(kv[i])+"="+url.QueryEscape(kv[i+1]))
	}
	return strings.Join(parts, "&")
}

// str is a Go string as a JSON string.
func str(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// page is a list's answer as the clients read it.
type page struct {
	Count   int               `json:"count"`
	Next    *string           `json:"next"`
	Results []json.RawMessage `json:"results"`
}

// named is an object of a list as clients look through it for the one
// they want.
type named struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Title string `json:"title"`
}

func (p page) objects(t *testing.T) []named {
	t.Helper()
	out := make([]named, len(p.Results))
	for i, raw := range p.Results {
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
	}
	return out
}
