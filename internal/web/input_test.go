package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Audit item 7: ids past PostgreSQL's integer, page numbers that overflow
// and text PostgreSQL cannot hold are the client's mistake (404 or 400
// with what is wrong), never a 500.
func TestPagesRefuseBadInput(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	b := s.browser(t)
	b.login()
	product := fmt.Sprintf("/product/%d", s.product)
	for _, tt := range []struct {
		path string
		code int
		want string
	}{
		{"/finding/2147483648", 404, "There is no finding with this id."},
		{"/finding/99999999999999999999", 404, "There is no finding with this id."},
		{"/product/2147483648", 404, "There is no product with this id."},
		{"/check/secbot_%00", 404, "SecBot has not seen this check"},
		{"/check/secbot_%FF", 404, "SecBot has not seen this check"},
		{product + "?page=368934881474191034", 400, "page: Ensure this value is less than or equal to 2147483647."},
		{product + "?page=x", 400, "page: A valid integer is required."},
		{product + "?q=%00", 400, "q: Null characters are not allowed."},
		{product + "?scanner=%FF", 400, "scanner: "},
		{product + "?severity=%00", 400, "severity: Null characters are not allowed."},
		{product + "?page=2147483647", 200, "No findings match these filters."},
	} {
		t.Run(tt.path, func(t *testing.T) {
			if p := b.get(tt.path); p.code != tt.code || !strings.Contains(p.body, tt.want) {
				t.Fatalf("%s: %d, want %d with %q\n%s", tt.path, p.code, tt.code, tt.want, p.body)
			}
		})
	}
	token := csrf(t, b.get(fmt.Sprintf("/finding/%d", s.finding)).body)
	if p := b.do(http.MethodPost, "/finding/2147483648/triage", url.Values{"action": {"reopen"}, "csrf": {token}}, nil); p.code != http.StatusNotFound {
		t.Fatalf("triage of finding 2147483648: %d, want 404", p.code)
	}
	for _, name := range []string{"admin\x00", "\xffadmin"} {
		p := s.browser(t).signIn(name, password, nil)
		if p.code != http.StatusBadRequest || !strings.Contains(p.body, "Username: ") {
			t.Fatalf("sign-in as %q: %d\n%s", name, p.code, p.body)
		}
	}
}
