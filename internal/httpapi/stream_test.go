package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/secbot/secbot/internal/metrics"
)

// streamingApp serves /upload as a stream of up to 1 KiB and /json from
// memory, up to 100 bytes; both answer how many bytes they read.
func streamingApp(t *testing.T) string {
	return "http://" + serveCounting(t, Options{BodyLimit: 100, StreamPaths: []string{"/upload"}, StreamLimit: 1024})
}

// serveCounting serves, with o (its service, log, metrics and probe
// filled in), /upload as a stream and /json from memory, each answering
// how many bytes it read; it returns the listener's address.
func serveCounting(t *testing.T, o Options) string {
	t.Helper()
	o.Service, o.Log, o.Metrics = "test", slog.New(slog.DiscardHandler), metrics.New()
	o.Ready = func(context.Context) error { return nil }
	app := New(o)
	app.Post("/upload", func(c *fiber.Ctx) error {
		n, err := io.Copy(io.Discard, BodyStream(c))
		if err != nil {
			return err
		}
		return c.SendString(strconv.FormatInt(n, 10))
	})
	app.Post("/json", func(c *fiber.Ctx) error { return c.SendString(strconv.Itoa(len(c.Body()))) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })
	return ln.Addr().String()
}

// onlyReader hides strings.Reader's length, so the request is chunked.
type onlyReader struct{ io.Reader }

func TestStreamedBodiesAreBounded(t *testing.T) {
	url := streamingApp(t)
	for _, tt := range []struct {
		name    string
		path    string
		size    int
		chunked bool
		code    int
	}{
		{"upload under the limit", "/upload", 1000, false, 200},
		{"upload under the limit, chunked", "/upload", 1000, true, 200},
		{"upload over the limit", "/upload", 5000, false, 413},
		{"upload over the limit, chunked", "/upload", 5000, true, 413},
		{"small JSON", "/json", 80, false, 200},
		{"JSON over its limit", "/json", 200, false, 413},
		{"JSON over its limit, chunked", "/json", 200, true, 413},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader = strings.NewReader(strings.Repeat("x", tt.size))
			if tt.chunked {
				body = onlyReader{body}
			}
			resp, err := http.Post(url+tt.path, "application/octet-stream", body)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.code {
				t.Fatalf("got %d %s, want %d", resp.StatusCode, got, tt.code)
			}
			if tt.code == 200 && string(got) != strconv.Itoa(tt.size) {
				t.Fatalf("handler read %s bytes, want %d", got, tt.size)
			}
			if tt.code == 413 && !strings.Contains(string(got), "PAYLOAD_TOO_LARGE") {
				t.Fatalf("413 body = %s", got)
			}
		})
	}
}
