// Package verifytest stands in for the providers SecBot's verifiers ask:
// an HTTPS intercepting proxy (CONNECT, a certificate per host signed by a
// test CA) that answers for each provider's fixed host as the provider
// documents (paths, headers, status codes, bodies; the AWS one checks the
// SigV4 signature), records every request it sees, and is told per token
// how to answer. GitLab, whose URL is configurable, is a plain handler
// (GitLab) served at its own URL.
package verifytest

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Providers is the intercepting proxy and its providers' stand-ins.
type Providers struct {
	// URL is the proxy's address (http://127.0.0.1:port), for HTTPS_PROXY.
	URL    string
	caPEM  string // file
	pool   *x509.CertPool
	caCert *x509.Certificate
	caKey  *ecdsa.PrivateKey
	leaves sync.Map // host → *tls.Certificate
	inner  *http.Server
	conns  *connListener
	done   chan struct{}
	rec    recorder
	tokens tokens
	hosts  map[string]http.Handler
}

// New starts the proxy; it stops when the test ends.
func New(t testing.TB) *Providers {
	t.Helper()
	p := &Providers{done: make(chan struct{}), conns: newConnListener()}
	p.tokens.m = map[string]Token{}
	p.newCA(t)
	p.hosts = p.routes()
	p.inner = &http.Server{Handler: http.HandlerFunc(p.serveTLS), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.inner.Serve(p.conns) }()
	outer := httptest.NewServer(http.HandlerFunc(p.serveProxy))
	p.URL = outer.URL
	t.Cleanup(func() {
		close(p.done)
		outer.Close()
		_ = p.inner.Close()
	})
	return p
}

// Client is an HTTP client that sends HTTPS requests through the proxy
// and trusts its CA; like HTTPS_PROXY, it sends plain HTTP and loopback
// requests (the GitLab stand-in) directly.
func (p *Providers) Client() *http.Client {
	u, _ := url.Parse(p.URL)
	return &http.Client{Transport: &http.Transport{
		Proxy: func(r *http.Request) (*url.URL, error) {
			if ip := net.ParseIP(r.URL.Hostname()); r.URL.Scheme != "https" || r.URL.Hostname() == "localhost" || (ip != nil && ip.IsLoopback()) {
				return nil, nil
			}
			return u, nil
		},
		TLSClientConfig: &tls.Config{RootCAs: p.pool, MinVersion: tls.VersionTLS12},
	}}
}

// Env is the environment that points a process's default HTTP client at
// the proxy: HTTPS_PROXY, and SSL_CERT_FILE naming the CA's PEM file.
func (p *Providers) Env() []string {
	return []string{"HTTPS_PROXY=" + p.URL, "https_proxy=" + p.URL, "NO_PROXY=", "no_proxy=", "SSL_CERT_FILE=" + p.caPEM}
}

// CAFile is the path of the test CA's certificate (PEM).
func (p *Providers) CAFile() string { return p.caPEM }

func (p *Providers) newCA(t testing.TB) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "verifytest CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	p.caCert, _ = x509.ParseCertificate(der)
	p.caKey = key
	p.pool = x509.NewCertPool()
	p.pool.AddCert(p.caCert)
	p.caPEM = filepath.Join(t.TempDir(), "verifytest-ca.pem")
	if err := os.WriteFile(p.caPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// leaf is host's certificate, signed by the CA (made once per host).
func (p *Providers) leaf(host string) (*tls.Certificate, error) {
	if c, ok := p.leaves.Load(host); ok {
		return c.(*tls.Certificate), nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: host},
		DNSNames:     []string{host},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.caCert, &key.PublicKey, p.caKey)
	if err != nil {
		return nil, err
	}
	c := &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	actual, _ := p.leaves.LoadOrStore(host, c)
	return actual.(*tls.Certificate), nil
}

// serveProxy answers CONNECT: the tunnel ends here, in a TLS server
// presenting the target host's certificate.
func (p *Providers) serveProxy(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		p.rec.add(r, nil)
		http.Error(w, "verifytest: only CONNECT (HTTPS) is proxied", http.StatusMethodNotAllowed)
		return
	}
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	p.rec.connect(r.Host)
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "verifytest: cannot hijack", http.StatusInternalServerError)
		return
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	if _, err := conn.Write([]byte("HTTP/1.1 200 Connection Established\r\n\r\n")); err != nil {
		conn.Close()
		return
	}
	tc := tls.Server(&bufferedConn{Conn: conn, r: buf.Reader}, &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"http/1.1"},
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			name := hello.ServerName
			if name == "" {
				name = host
			}
			return p.leaf(name)
		},
	})
	p.conns.push(tc)
}

// serveTLS records a request that came through a tunnel and routes it to
// its host's stand-in.
func (p *Providers) serveTLS(w http.ResponseWriter, r *http.Request) {
	p.rec.add(r, nil)
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	h, ok := p.hosts[host]
	if !ok {
		http.Error(w, "verifytest: no stand-in for "+host, http.StatusBadGateway)
		return
	}
	end := p.rec.enter(host)
	defer end()
	h.ServeHTTP(w, r)
}

// bufferedConn reads what the proxy's reader already buffered first.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// connListener hands the tunnels' TLS connections to the inner server.
type connListener struct {
	ch   chan net.Conn
	once sync.Once
	done chan struct{}
}

func newConnListener() *connListener {
	return &connListener{ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *connListener) push(c net.Conn) {
	select {
	case l.ch <- c:
	case <-l.done:
		c.Close()
	}
}

func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *connListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *connListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }
