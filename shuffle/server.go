package shuffle

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strconv"
	"strings"
)

// Server serves a node's map output over HTTP. It implements
// http.Handler; every answer but a served partition carries a short text
// reason and none of the job's data.
type Server struct {
	Store Store
	// Log receives one line per refused request and per removed job; nil
	// discards them.
	Log func(format string, args ...any)
}

// ServeHTTP answers GET and HEAD of a partition and DELETE of a job.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	status, msg := s.serve(w, r)
	if status == 0 {
		return
	}
	if s.Log != nil {
		s.Log("shuffle: %s %s: %d %s", r.Method, r.RequestURI, status, msg)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	fmt.Fprintln(w, msg)
}

// serve handles a request; a non-zero status is a refusal still to send.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) (int, string) {
	// The path as sent: escapes such as %2e%2e stay as they are and are
	// refused by ParsePath, which accepts no '%'.
	raw, _, _ := strings.Cut(r.RequestURI, "?")
	req, err := ParsePath(raw)
	if err != nil {
		return http.StatusBadRequest, err.Error()
	}
	fetch := req.Attempt != ""
	switch {
	case fetch && r.Method != http.MethodGet && r.Method != http.MethodHead,
		!fetch && r.Method != http.MethodDelete:
		w.Header().Set("Allow", map[bool]string{true: "GET, HEAD", false: "DELETE"}[fetch])
		return http.StatusMethodNotAllowed, fmt.Sprintf("method %s is not allowed on %s", r.Method, raw)
	}
	secret, err := s.Store.Secret(req.Job)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return http.StatusNotFound, fmt.Sprintf("job %s has no shuffle data on this node", req.Job)
	case err != nil:
		return http.StatusInternalServerError, "cannot read the job's secret"
	}
	if !Verify(secret, r.Method, raw, r.Header.Get(SignatureHeader)) {
		return http.StatusForbidden, "the request is not signed with the job's secret"
	}
	if !fetch {
		if err := s.Store.RemoveJob(req.Job); err != nil {
			return http.StatusInternalServerError, err.Error()
		}
		if s.Log != nil {
			s.Log("shuffle: removed the data of job %s", req.Job)
		}
		w.WriteHeader(http.StatusNoContent)
		return 0, ""
	}
	return s.sendPartition(w, r, req)
}

// sendPartition sends the requested range of one partition of a map
// attempt's output, straight from the file so that net/http can use the
// kernel's sendfile.
func (s *Server) sendPartition(w http.ResponseWriter, r *http.Request, req Request) (int, string) {
	segs, err := s.Store.Index(req.Job, req.Attempt)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return http.StatusNotFound, fmt.Sprintf("no output of map attempt %s of job %s on this node", req.Attempt, req.Job)
	case err != nil:
		return http.StatusInternalServerError, "cannot read the map attempt's index"
	case req.Partition >= len(segs):
		return http.StatusNotFound, fmt.Sprintf("partition %d: the map output has %d partitions", req.Partition, len(segs))
	}
	seg := segs[req.Partition]
	start, length, partial, err := ParseRange(r.Header.Get("Range"), seg.Length)
	switch {
	case errors.Is(err, ErrRangeNotSatisfiable):
		w.Header().Set("Content-Range", "bytes */"+strconv.FormatInt(seg.Length, 10))
		return http.StatusRequestedRangeNotSatisfiable, err.Error()
	case err != nil:
		return http.StatusBadRequest, err.Error()
	}
	f, err := os.Open(s.Store.OutputPath(req.Job, req.Attempt))
	if errors.Is(err, fs.ErrNotExist) {
		return http.StatusNotFound, fmt.Sprintf("no output of map attempt %s of job %s on this node", req.Attempt, req.Job)
	} else if err != nil {
		return http.StatusInternalServerError, "cannot open the map output"
	}
	defer f.Close()
	if _, err := f.Seek(seg.Offset+start, io.SeekStart); err != nil {
		return http.StatusInternalServerError, "cannot read the map output"
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Accept-Ranges", "bytes")
	h.Set("Content-Length", strconv.FormatInt(length, 10))
	status := http.StatusOK
	if partial {
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, start+length-1, seg.Length))
		status = http.StatusPartialContent
	}
	w.WriteHeader(status)
	if r.Method == http.MethodHead || length == 0 {
		return 0, ""
	}
	// A short copy (a truncated file, a gone client) shows as a short
	// body: the fetcher checks the length and retries.
	_, _ = io.CopyN(w, f, length)
	return 0, ""
}
