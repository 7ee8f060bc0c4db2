package httpapi

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The app of the timeout tests: headers (and ordinary bodies) within
// headerTimeout, uploads to /upload within uploadTimeout.
const (
	headerTimeout = 500 * time.Millisecond
	uploadTimeout = time.Minute
	// cutBy is a generous bound on when a trickling connection must be
	// closed: many times headerTimeout, well under uploadTimeout (which
	// would be the bound if the headers shared the body's timeout).
	cutBy = 15 * time.Second
)

func timedApp(t *testing.T) string {
	t.Helper()
	return serveCounting(t, Options{BodyLimit: 100, StreamPaths: []string{"/upload"}, StreamLimit: 1 << 20,
		HeaderTimeout: headerTimeout, UploadTimeout: uploadTimeout})
}

// trickle writes head, then one piece of more every 100 ms until the server
// answers or closes the connection, and returns what it answered (nothing
// when it only closed) and how much of more it had sent by then.
func trickle(t *testing.T, addr, head string, more func(i int) string, pieces int) (answer string, sent int) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	closed := make(chan string, 1)
	go func() {
		raw, _ := io.ReadAll(conn) // until the server closes
		closed <- string(raw)
	}()
	deadline := time.After(cutBy)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case answer := <-closed:
			return answer, sent
		case <-deadline:
			t.Fatalf("the connection was still open after %s (%d of %d pieces sent)", cutBy, sent, pieces)
		case <-tick.C:
			if sent < pieces {
				if _, err := io.WriteString(conn, more(sent)); err == nil {
					sent++
				}
			}
		}
	}
}

func TestSlowClientsGetHeaderAndBodyTimeouts(t *testing.T) {
	addr := timedApp(t)

	t.Run("trickled headers are cut at the header timeout", func(t *testing.T) {
		const pieces = 1000 // 100 s of headers, if nothing cut them
		answer, sent := trickle(t, addr, "GET /ping HTTP/1.1\r\nHost: x\r\n",
			func(i int) string { return fmt.Sprintf("X-Slow-%d: a\r\n", i) }, pieces)
		if strings.Contains(answer, "200 OK") || sent >= pieces {
			t.Fatalf("trickled headers were served: %q", answer)
		}
	})

	t.Run("a trickled ordinary body is cut at the header timeout", func(t *testing.T) {
		const size = 100 // 10 s of body, one byte per 100 ms
		answer, sent := trickle(t, addr, fmt.Sprintf("POST /json HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", size),
			func(int) string { return "x" }, size)
		if strings.Contains(answer, "200 OK") || sent >= size {
			t.Fatalf("a body trickled past the header timeout was served: %q", answer)
		}
	})

	t.Run("a slow, steady upload within the upload timeout succeeds", func(t *testing.T) {
		const chunk, chunks = 1024, 24 // 2.4 s: longer than the header timeout
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", chunk*chunks)
		for range chunks {
			time.Sleep(100 * time.Millisecond)
			if _, err := io.WriteString(conn, strings.Repeat("r", chunk)); err != nil {
				t.Fatalf("the upload was cut: %v", err)
			}
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("reading the answer to the slow upload: %v", err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || string(body) != strconv.Itoa(chunk*chunks) {
			t.Fatalf("the slow upload got %d %s, want 200 and all %d bytes read", resp.StatusCode, body, chunk*chunks)
		}
	})
}
