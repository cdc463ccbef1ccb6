// Package registrytest serves images from the local Docker daemon over the
// registry HTTP API v2, pull side only, so tests can exercise image pulls on
// a machine without access to any registry. It counts the manifest requests
// it answers and can be made to hang, like a registry that stopped
// responding.
package registrytest

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
)

// Server is a pull-only registry on a loopback port. Docker treats registries
// on 127.0.0.0/8 as insecure, so it pulls from it over plain HTTP.
type Server struct {
	srv  *http.Server
	addr string

	mu        sync.Mutex
	manifests map[string][]byte // "repo:tag" -> manifest
	blobs     map[string][]byte // digest -> content
	resolved  map[string]int    // "repo:tag" -> manifest requests by tag
	hang      chan struct{}     // closed when not hanging
}

// Start listens on a free loopback port and serves until Close.
func Start() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	s := &Server{
		addr:      ln.Addr().String(),
		manifests: map[string][]byte{},
		blobs:     map[string][]byte{},
		resolved:  map[string]int{},
		hang:      closedChan(),
	}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serveHTTP)}
	go func() { _ = s.srv.Serve(ln) }() // ends with ErrServerClosed on Close
	return s, nil
}

// Addr is the registry's host:port, the first part of its image references.
func (s *Server) Addr() string { return s.addr }

// Close stops the registry, releasing any hanging request.
func (s *Server) Close() error {
	s.Hang(false)
	return s.srv.Close()
}

// Hang makes manifest requests block, as a registry that accepts
// connections but never answers, until Hang(false) or the client gives up.
func (s *Server) Hang(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.hang:
		if on {
			s.hang = make(chan struct{})
		}
	default:
		if !on {
			close(s.hang)
		}
	}
}

// Resolutions is how many manifest requests named repo:tag by its tag:
// every pull of the tag makes one.
func (s *Server) Resolutions(repo, tag string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resolved[repo+":"+tag]
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "this registry only serves pulls", http.StatusMethodNotAllowed)
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/v2/")
	switch {
	case r.URL.Path == "/v2/" || r.URL.Path == "/v2":
		_, _ = w.Write([]byte("{}"))
	case strings.Contains(path, "/manifests/"):
		repo, ref, _ := cutLast(path, "/manifests/")
		s.serveManifest(w, r, repo, ref)
	case strings.Contains(path, "/blobs/"):
		_, digest, _ := cutLast(path, "/blobs/")
		s.serveBlob(w, r, digest)
	default:
		notFound(w, "NAME_UNKNOWN", r.URL.Path)
	}
}

func (s *Server) serveManifest(w http.ResponseWriter, r *http.Request, repo, ref string) {
	s.mu.Lock()
	hang := s.hang
	s.mu.Unlock()
	select {
	case <-hang:
	case <-r.Context().Done():
		return
	}

	s.mu.Lock()
	m, ok := s.manifests[repo+":"+ref]
	if ok {
		s.resolved[repo+":"+ref]++
	} else {
		// Docker resolves the tag, then fetches by digest (unless it has
		// seen that digest before).
		for k, b := range s.manifests {
			if strings.HasPrefix(k, repo+":") && digestOf(b) == ref {
				m, ok = b, true
			}
		}
	}
	s.mu.Unlock()
	if !ok {
		notFound(w, "MANIFEST_UNKNOWN", repo+":"+ref)
		return
	}
	w.Header().Set("Content-Type", mediaTypeManifest)
	w.Header().Set("Docker-Content-Digest", digestOf(m))
	w.Header().Set("Content-Length", fmt.Sprint(len(m)))
	if r.Method == http.MethodGet {
		_, _ = w.Write(m)
	}
}

func (s *Server) serveBlob(w http.ResponseWriter, r *http.Request, digest string) {
	s.mu.Lock()
	b, ok := s.blobs[digest]
	s.mu.Unlock()
	if !ok {
		notFound(w, "BLOB_UNKNOWN", digest)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Docker-Content-Digest", digest)
	w.Header().Set("Content-Length", fmt.Sprint(len(b)))
	if r.Method == http.MethodGet {
		_, _ = w.Write(b)
	}
}

func notFound(w http.ResponseWriter, code, what string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprintf(w, `{"errors":[{"code":%q,"message":"unknown: %s"}]}`, code, what)
}

// cutLast splits s around the last occurrence of sep.
func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

func closedChan() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}
