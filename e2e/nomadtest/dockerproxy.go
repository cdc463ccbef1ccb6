package nomadtest

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// DockerProxy serves the Docker API on a Unix socket of its own and forwards
// it to the real daemon. Taking it down plays a daemon that goes away, and
// dropping requests plays one that dies halfway through starting a task,
// without touching the daemon other programs on the machine share.
type DockerProxy struct {
	path    string
	forward *httputil.ReverseProxy

	mu       sync.Mutex
	srv      *http.Server
	hijacked map[net.Conn]struct{}
	drop     func(*http.Request) bool
}

// StartDockerProxy listens on dir/docker.sock and forwards every request to
// the daemon that DOCKER_HOST (else /var/run/docker.sock) names.
func StartDockerProxy(dir string) (*DockerProxy, error) {
	target, err := daemonSocket()
	if err != nil {
		return nil, err
	}
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", target)
	}
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: "docker"})
	rp.Transport = &http.Transport{DialContext: dial, DisableCompression: true}
	// Log follows and event streams must pass through as they come.
	rp.FlushInterval = -1
	// A daemon that goes away mid-request is what the proxy is for.
	rp.ErrorLog = log.New(io.Discard, "", 0)

	p := &DockerProxy{
		path:     filepath.Join(dir, "docker.sock"),
		forward:  rp,
		hijacked: map[net.Conn]struct{}{},
	}
	if err := p.Up(); err != nil {
		return nil, err
	}
	return p, nil
}

func daemonSocket() (string, error) {
	host := os.Getenv("DOCKER_HOST")
	if host == "" {
		return "/var/run/docker.sock", nil
	}
	if path, ok := strings.CutPrefix(host, "unix://"); ok {
		return path, nil
	}
	return "", fmt.Errorf("DOCKER_HOST %q is not a unix:// socket; the Docker proxy forwards Unix sockets only", host)
}

// Endpoint is the proxy's address in the form the driver's endpoint option takes.
func (p *DockerProxy) Endpoint() string { return "unix://" + p.path }

// DropRequests makes the proxy cut the connection, without an answer, of
// every request for which match is true, as a daemon that died would; nil
// forwards everything again.
func (p *DockerProxy) DropRequests(match func(*http.Request) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.drop = match
}

// Up starts serving, after StartDockerProxy or Down.
func (p *DockerProxy) Up() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.srv != nil {
		return nil
	}
	os.Remove(p.path)
	ln, err := net.Listen("unix", p.path)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", p.path, err)
	}
	p.srv = &http.Server{Handler: http.HandlerFunc(p.serveHTTP), ConnState: p.trackHijacked}
	go func() { _ = p.srv.Serve(ln) }() // ends with ErrServerClosed on Close
	return nil
}

// Down closes the socket and every connection, streams included, so the
// daemon looks gone.
func (p *DockerProxy) Down() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.srv == nil {
		return nil
	}
	err := p.srv.Close()
	p.srv = nil
	for c := range p.hijacked {
		c.Close()
		delete(p.hijacked, c)
	}
	os.Remove(p.path)
	return err
}

// Close takes the proxy down for good.
func (p *DockerProxy) Close() error { return p.Down() }

func (p *DockerProxy) serveHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	drop := p.drop != nil && p.drop(r)
	p.mu.Unlock()
	if drop {
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
		return
	}
	p.forward.ServeHTTP(w, r)
}

// trackHijacked remembers connections taken over for attach and exec
// streams, which the HTTP server no longer closes by itself.
func (p *DockerProxy) trackHijacked(c net.Conn, state http.ConnState) {
	if state != http.StateHijacked {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hijacked[c] = struct{}{}
}
