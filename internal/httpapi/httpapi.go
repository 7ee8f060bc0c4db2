// Package httpapi is the HTTP plumbing every SecBot process shares: the
// fiber app with its limits and error envelope, health and readiness
// probes, Prometheus metrics, and the OpenAPI document with its docs page.
package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/pprof"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/secbot/secbot/internal/metrics"
)

// Options configure the shared parts of a service.
type Options struct {
	// Service names the process in logs and on the docs page.
	Service string
	Log     *slog.Logger
	Metrics *metrics.Metrics
	// Ready reports whether the service's dependencies answer.
	Ready func(context.Context) error
	// OpenAPI is the service's OpenAPI document; nil serves none.
	OpenAPI     []byte
	DocsEnabled bool
	// BodyLimit bounds a request body in bytes.
	BodyLimit int
	// StreamPaths are path prefixes whose handlers read the body as a
	// stream (BodyStream) instead of from memory, up to StreamLimit bytes:
	// report uploads. Other bodies are still read whole, up to BodyLimit.
	StreamPaths []string
	StreamLimit int
	// Pprof serves Go's profiles at /debug/pprof/.
	Pprof bool
	// HeaderTimeout bounds reading a request's line and headers, and then
	// again its body (default DefaultHeaderTimeout), so a slow client
	// cannot hold a connection long (see timeouts.go).
	HeaderTimeout time.Duration
	// UploadTimeout bounds reading a body on StreamPaths once its headers
	// are in (default DefaultUploadTimeout): large reports take minutes.
	UploadTimeout time.Duration
	// Context is the process's context; requests see it (through
	// c.UserContext) end when the process stops.
	Context context.Context
	// TrustedProxies are the addresses and CIDR ranges of the reverse
	// proxies whose X-Forwarded-Host, -Proto and -For headers count
	// (SECBOT_TRUSTED_PROXIES); from anyone else they are ignored. Empty:
	// no one's count.
	TrustedProxies []string
}

// Envelope is the error body of SecBot's own API (/v1).
type Envelope struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details any    `json:"details"`
}

// Error answers with the error envelope.
func Error(c *fiber.Ctx, status int, code, message string, details any) error {
	return c.Status(status).JSON(Envelope{Code: code, Message: message, Details: details})
}

// New builds a fiber app with timeouts, limits, panic recovery, the error
// envelope and the shared endpoints.
func New(o Options) *fiber.App {
	if o.HeaderTimeout <= 0 {
		o.HeaderTimeout = DefaultHeaderTimeout
	}
	if o.UploadTimeout <= 0 {
		o.UploadTimeout = DefaultUploadTimeout
	}
	streaming := len(o.StreamPaths) > 0
	app := fiber.New(fiber.Config{
		AppName:           "secbot-" + o.Service,
		BodyLimit:         o.BodyLimit,
		StreamRequestBody: streaming,
		// Parsing a multipart body before the handler runs would spool
		// any size to disk; the streaming handlers do it themselves.
		DisablePreParseMultipartForm: streaming,
		ReadTimeout:                  o.HeaderTimeout,
		WriteTimeout:                 30 * time.Second,
		IdleTimeout:                  90 * time.Second,
		ReadBufferSize:               16 << 10, // bounds the request line and headers
		DisableStartupMessage:        true,
		ErrorHandler:                 errorHandler(o.Log),
		// Hostname, Protocol and BaseURL believe X-Forwarded-* from the
		// trusted proxies only; ClientIP reads X-Forwarded-For by the same
		// list.
		EnableTrustedProxyCheck: true,
		TrustedProxies:          o.TrustedProxies,
	})
	// ReadTimeout is the read deadline while the request line and headers
	// arrive; once they are in, bodyTimeouts sets the body's.
	app.Server().HeaderReceived = bodyTimeouts(o)
	app.Use(recover.New())
	// Handlers take contexts from c.UserContext, never from c.Context:
	// fasthttp's request context races with server shutdown.
	base := o.Context
	if base == nil {
		base = context.Background()
	}
	app.Use(func(c *fiber.Ctx) error {
		c.SetUserContext(base)
		return c.Next()
	})
	if streaming {
		app.Use(limitBodies(o))
	}
	if o.Pprof {
		app.Use(pprof.New())
	}
	app.Get("/ping", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"ping": "pong"}) })
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	app.Get("/readyz", func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.UserContext(), 3*time.Second)
		defer cancel()
		if err := o.Ready(ctx); err != nil {
			o.Log.Warn("not ready", "error", err)
			return Error(c, fiber.StatusServiceUnavailable, "NOT_READY", err.Error(), nil)
		}
		return c.JSON(fiber.Map{"status": "ok"})
	})
	app.Get("/metrics", adaptor.HTTPHandler(promhttp.HandlerFor(o.Metrics.Registry, promhttp.HandlerOpts{})))
	if o.DocsEnabled && o.OpenAPI != nil {
		docs := renderDocs(o.Service, o.OpenAPI)
		app.Get("/openapi.json", func(c *fiber.Ctx) error {
			c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
			return c.Send(o.OpenAPI)
		})
		app.Get("/docs", func(c *fiber.Ctx) error {
			c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
			return c.Send(docs)
		})
	}
	return app
}

// errorHandler turns errors that escape handlers into the envelope. Client
// errors keep fiber's message; server errors are logged and answered
// generically.
func errorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		var fe *fiber.Error
		if errors.As(err, &fe) {
			code := "HTTP_ERROR"
			switch fe.Code {
			case fiber.StatusRequestEntityTooLarge:
				code = "PAYLOAD_TOO_LARGE"
			case fiber.StatusNotFound:
				code = "NOT_FOUND"
			case fiber.StatusMethodNotAllowed:
				code = "METHOD_NOT_ALLOWED"
			}
			if fe.Code < 500 {
				return Error(c, fe.Code, code, fe.Message, nil)
			}
		}
		log.Error("request failed", "method", c.Method(), "path", c.Path(), "error", err)
		return Error(c, fiber.StatusInternalServerError, "INTERNAL", "internal error", nil)
	}
}

// Serve runs app on addr until ctx ends, then shuts it down gracefully.
func Serve(ctx context.Context, app *fiber.App, addr string) error {
	errc := make(chan error, 1)
	go func() { errc <- app.Listen(addr) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		return app.ShutdownWithTimeout(20 * time.Second)
	}
}
