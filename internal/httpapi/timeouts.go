package httpapi

import (
	"bytes"
	"time"

	"github.com/valyala/fasthttp"
)

// Timeouts of reading a request.
const (
	// DefaultHeaderTimeout bounds the request line and headers, and then
	// an ordinary body: clients send both in milliseconds, and a
	// connection that trickles them is closed soon.
	DefaultHeaderTimeout = 10 * time.Second
	// DefaultUploadTimeout bounds a report upload's body.
	DefaultUploadTimeout = 5 * time.Minute
)

// bodyTimeouts is fasthttp's HeaderReceived hook: called once a request's
// headers are in, it moves the connection's read deadline for the body.
// fasthttp sets the server's ReadTimeout (HeaderTimeout) as the deadline
// when a request starts, which bounds the headers alone; without this
// hook, that one deadline would have to be long enough for a report
// upload and would let trickled headers hold a connection as long. Bodies
// of StreamPaths get UploadTimeout, every other body HeaderTimeout again.
func bodyTimeouts(o Options) func(*fasthttp.RequestHeader) fasthttp.RequestConfig {
	return func(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
		timeout := o.HeaderTimeout
		if len(o.StreamPaths) > 0 {
			uri := fasthttp.AcquireURI()
			defer fasthttp.ReleaseURI(uri)
			// The path as fiber routes it (c.Path), so that the paths
			// limitBodies streams are the ones given the long timeout.
			if uri.Parse(h.Host(), h.RequestURI()) == nil {
				for _, p := range o.StreamPaths {
					if bytes.HasPrefix(uri.PathOriginal(), []byte(p)) {
						timeout = o.UploadTimeout
					}
				}
			}
		}
		return fasthttp.RequestConfig{ReadTimeout: timeout}
	}
}
