package httpapi

import (
	"bytes"
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// streamKey holds a streaming route's bounded body reader in c.Locals.
type streamKey struct{}

// limitBodies bounds request bodies on an app that streams them (fasthttp
// then no longer refuses large bodies itself): a declared length over the
// limit is refused at once; bodies of streaming paths are handed to the
// handler as a reader that fails past StreamLimit; others are read whole,
// up to BodyLimit, so their handlers use c.Body as usual. A connection
// whose body may be left partly unread is closed after the answer, or its
// rest would be read as the next request.
func limitBodies(o Options) fiber.Handler {
	return func(c *fiber.Ctx) error {
		stream := c.Context().RequestBodyStream()
		if stream == nil {
			return c.Next()
		}
		limit, streamed := o.BodyLimit, false
		for _, p := range o.StreamPaths {
			if strings.HasPrefix(c.Path(), p) {
				limit, streamed = o.StreamLimit, true
			}
		}
		if c.Request().Header.ContentLength() > limit {
			c.Context().SetConnectionClose()
			return fiber.ErrRequestEntityTooLarge
		}
		if streamed {
			// The handler may answer before reading it all (a bad token).
			c.Context().SetConnectionClose()
			c.Locals(streamKey{}, &limitedReader{r: stream, left: int64(limit)})
			return c.Next()
		}
		body, err := io.ReadAll(io.LimitReader(stream, int64(limit)+1))
		if err != nil {
			c.Context().SetConnectionClose()
			return fiber.NewError(fiber.StatusBadRequest, "reading the request body: "+err.Error())
		}
		if len(body) > limit {
			c.Context().SetConnectionClose()
			return fiber.ErrRequestEntityTooLarge
		}
		c.Request().SetBodyRaw(body)
		return c.Next()
	}
}

// BodyStream returns the request body as a reader. On a streaming path it
// reads from the connection and fails with fiber.ErrRequestEntityTooLarge
// past the limit; elsewhere it reads the body in memory.
func BodyStream(c *fiber.Ctx) io.Reader {
	if r, ok := c.Locals(streamKey{}).(*limitedReader); ok {
		return r
	}
	return bytes.NewReader(c.Body())
}

// limitedReader is io.LimitReader that says when the limit was passed.
type limitedReader struct {
	r    io.Reader
	left int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, fiber.ErrRequestEntityTooLarge
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n, fiber.ErrRequestEntityTooLarge
	}
	return n, err
}
