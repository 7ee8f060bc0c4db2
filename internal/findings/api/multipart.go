package api

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"os"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/secbot/secbot/internal/httpapi"
)

// Bounds on the form fields beside the report, which are small in every
// DefectDojo client.
const (
	maxFieldBytes = 64 << 10
	maxFields     = 256
)

// received is a multipart import request read from the connection: its
// text fields, and its report spooled to a temporary file, so a large
// report is never held in memory.
type received struct {
	values map[string][]string
	// fileName is the report's name as the client sent it; "" when the
	// request has no file field with a file name.
	fileName string
	report   *os.File
	// size is the report's size in bytes.
	size int64
}

// Close removes the spooled report.
func (r *received) Close() {
	if r.report != nil {
		r.report.Close()
		os.Remove(r.report.Name())
	}
}

// errSpool is a failure to keep the report on this machine's disk: the
// server's fault, not the client's.
var errSpool = errors.New("spooling the report")

// errMalformed is a body that is not the multipart form it claims to be.
type errMalformed struct{ err error }

func (e errMalformed) Error() string {
	return "Send the report as multipart/form-data: " + e.err.Error()
}

// receive reads a multipart/form-data body in one pass, in whatever order
// its parts come (curl sends fields after the file when asked to).
func receive(c *fiber.Ctx) (*received, error) {
	_, params, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || params["boundary"] == "" {
		return nil, errMalformed{errors.New("the Content-Type is not multipart/form-data with a boundary")}
	}
	mr := multipart.NewReader(httpapi.BodyStream(c), params["boundary"])
	r := &received{values: map[string][]string{}}
	for fields := 0; ; fields++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return r, nil
		}
		if err == nil && fields >= maxFields {
			err = fmt.Errorf("more than %d form fields", maxFields)
		}
		if err == nil {
			err = r.readPart(part)
		}
		if err != nil {
			r.Close()
			if errors.Is(err, fiber.ErrRequestEntityTooLarge) || errors.Is(err, errSpool) {
				return nil, err
			}
			return nil, errMalformed{err}
		}
	}
}

func (r *received) readPart(part *multipart.Part) error {
	defer part.Close()
	name := part.FormName()
	if part.FileName() == "" {
		value, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
		if err != nil {
			return err
		}
		if len(value) > maxFieldBytes {
			return fmt.Errorf("field %q is longer than %d bytes", name, maxFieldBytes)
		}
		r.values[name] = append(r.values[name], string(value))
		return nil
	}
	if name != "file" || r.report != nil {
		_, err := io.Copy(io.Discard, part) // other files are not read
		return err
	}
	f, err := os.CreateTemp("", "secbot-report-*")
	if err != nil {
		return fmt.Errorf("%w: %w", errSpool, err)
	}
	r.report, r.fileName = f, part.FileName()
	w := bufio.NewWriterSize(f, 64<<10)
	if r.size, err = w.ReadFrom(part); err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return fmt.Errorf("%w: %w", errSpool, err)
		}
		return err // the body: too large, cut short, malformed
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("%w: %w", errSpool, err)
	}
	if _, err = f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("%w: %w", errSpool, err)
	}
	return nil
}

// baseName keeps only the last element of a client's file name: the name
// is only ever used for its extension, and never as a path.
func baseName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		return name[i+1:]
	}
	return name
}
