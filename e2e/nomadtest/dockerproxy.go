package nomadtest

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// DockerProxy forwards a Unix socket of its own to the Docker daemon. Taking
// it down plays a daemon that goes away, without touching the real daemon
// that other programs on the machine share.
type DockerProxy struct {
	path   string
	target string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
}

// StartDockerProxy listens on dir/docker.sock and forwards every connection
// to the daemon that DOCKER_HOST (else /var/run/docker.sock) names.
func StartDockerProxy(dir string) (*DockerProxy, error) {
	target, err := daemonSocket()
	if err != nil {
		return nil, err
	}
	p := &DockerProxy{path: filepath.Join(dir, "docker.sock"), target: target, conns: map[net.Conn]struct{}{}}
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

// Up starts accepting connections, after StartDockerProxy or Down.
func (p *DockerProxy) Up() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		return nil
	}
	os.Remove(p.path)
	ln, err := net.Listen("unix", p.path)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", p.path, err)
	}
	p.ln = ln
	go p.serve(ln)
	return nil
}

// Down closes the socket and every open connection, so the daemon looks gone.
func (p *DockerProxy) Down() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		return nil
	}
	err := p.ln.Close()
	p.ln = nil
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
	os.Remove(p.path)
	return err
}

// Close takes the proxy down for good.
func (p *DockerProxy) Close() error { return p.Down() }

func (p *DockerProxy) serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go p.forward(c)
	}
}

func (p *DockerProxy) forward(c net.Conn) {
	upstream, err := net.Dial("unix", p.target)
	if err != nil {
		c.Close()
		return
	}
	if !p.track(c, upstream) {
		c.Close()
		upstream.Close()
		return
	}
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		io.Copy(dst, src)
		// Pass on a half-close so request/response streams end cleanly.
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(upstream, c)
	go pipe(c, upstream)
	<-done
	<-done
	p.untrack(c, upstream)
}

// track records a connection pair unless the proxy went down meanwhile.
func (p *DockerProxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		return false
	}
	for _, c := range conns {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *DockerProxy) untrack(conns ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range conns {
		c.Close()
		delete(p.conns, c)
	}
}
