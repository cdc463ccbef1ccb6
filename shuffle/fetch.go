package shuffle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Source is one map's segment of a reduce's partition, as the map's
// committed manifest names it.
type Source struct {
	Map     int    // the map task's index
	Addr    string // host:port of the shuffle server on the map's node
	Attempt string // the committed attempt
	Length  int64  // the segment's length
}

// Fetcher fetches a reduce's partition from the maps' nodes (Hadoop's
// Fetcher with its parallel copiers).
type Fetcher struct {
	// Client sends the requests; nil uses a client with sane timeouts.
	Client *http.Client
	// Job and Secret are the job's ID and its shuffle secret.
	Job, Secret string
	// Parallel is how many fetches are in flight at once (Hadoop's
	// mapreduce.reduce.shuffle.parallelcopies, 5); 0 means 5.
	Parallel int
	// Tries is how many times a segment is asked for before its map is
	// reported lost; 0 means 4.
	Tries int
	// Backoff is the wait before the second try, doubled for each next
	// one; 0 means 250ms.
	Backoff time.Duration
}

// DefaultParallel and DefaultTries are the Fetcher's defaults.
const (
	DefaultParallel = 5
	DefaultTries    = 4
)

// LostError names the maps whose output could not be fetched, for the job
// to run them again.
type LostError struct {
	Maps  []int
	Cause error // the last failure, for people
}

func (e *LostError) Error() string {
	return fmt.Sprintf("map output lost: could not fetch the output of maps %v: %v", e.Maps, e.Cause)
}

func (e *LostError) Unwrap() error { return e.Cause }

// Sink takes the body of one source's segment. It is called again, with
// the whole segment from its start, when a try fails, so it must drop
// what an earlier call of the same source took.
type Sink func(src Source, body io.Reader) error

// Fetch fetches partition p of every source, Parallel at a time, handing
// each body to sink. Sources whose fetch keeps failing as a node or its
// data would (refused connections, timeouts, short bodies, 404, 5xx) make
// a *LostError naming their maps; a refusal that running the map again
// cannot cure (403, 400, 416) or a sink's own error stops the fetch.
func (f *Fetcher) Fetch(ctx context.Context, p int, srcs []Source, sink Sink) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	work := make(chan Source)
	var mu sync.Mutex
	lost := &LostError{}
	var wg sync.WaitGroup
	for range min(f.parallel(), max(len(srcs), 1)) {
		wg.Go(func() {
			for src := range work {
				err := f.fetchOne(ctx, p, src, sink)
				var le *LostError
				switch {
				case err == nil:
				case errors.As(err, &le):
					mu.Lock()
					lost.Maps = append(lost.Maps, src.Map)
					lost.Cause = le.Cause
					mu.Unlock()
				default:
					cancel(err)
				}
			}
		})
	}
feed:
	for _, s := range srcs {
		select {
		case work <- s:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	if len(lost.Maps) > 0 {
		slices.Sort(lost.Maps)
		return lost
	}
	return nil
}

func (f *Fetcher) parallel() int {
	if f.Parallel > 0 {
		return f.Parallel
	}
	return DefaultParallel
}

// fetchOne fetches one segment, with retries.
func (f *Fetcher) fetchOne(ctx context.Context, p int, src Source, sink Sink) error {
	tries := f.Tries
	if tries <= 0 {
		tries = DefaultTries
	}
	backoff := f.Backoff
	if backoff <= 0 {
		backoff = 250 * time.Millisecond
	}
	var last error
	for try := 1; try <= tries; try++ {
		status, err := f.try(ctx, p, src, sink)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		last = err
		switch Decide(status, err) {
		case Fatal:
			return err
		case Lost:
			return &LostError{Maps: []int{src.Map}, Cause: err}
		}
		if try < tries {
			select {
			case <-time.After(backoff << (try - 1)):
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		}
	}
	return &LostError{Maps: []int{src.Map}, Cause: fmt.Errorf("%d tries: %w", tries, last)}
}

// errSink marks a sink's own failure, which no retry cures.
type errSink struct{ error }

func (e errSink) Unwrap() error { return e.error }

// try makes one request; status is the HTTP status, 0 when none came.
func (f *Fetcher) try(ctx context.Context, p int, src Source, sink Sink) (int, error) {
	path := PartitionPath(f.Job, src.Attempt, p)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+src.Addr+path, nil)
	if err != nil {
		return 0, errSink{fmt.Errorf("map %d: %w", src.Map, err)}
	}
	req.Header.Set(SignatureHeader, Sign(f.Secret, http.MethodGet, path))
	resp, err := f.client().Do(req)
	if err != nil {
		return 0, fmt.Errorf("fetch map %d from %s: %w", src.Map, src.Addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return resp.StatusCode, fmt.Errorf("fetch map %d from %s: %s: %s", src.Map, src.Addr, resp.Status, strings.TrimSpace(string(msg)))
	}
	if resp.ContentLength != src.Length {
		return resp.StatusCode, fmt.Errorf("fetch map %d from %s: %d bytes served, the manifest says %d", src.Map, src.Addr, resp.ContentLength, src.Length)
	}
	body := &countingReader{r: resp.Body}
	if err := sink(src, body); err != nil {
		if body.err != nil { // the network failed, not the sink
			return 0, fmt.Errorf("fetch map %d from %s: %w", src.Map, src.Addr, body.err)
		}
		return 0, errSink{err}
	}
	if body.n != src.Length {
		return 0, fmt.Errorf("fetch map %d from %s: body ended after %d of %d bytes", src.Map, src.Addr, body.n, src.Length)
	}
	return resp.StatusCode, nil
}

func (f *Fetcher) client() *http.Client {
	if f.Client != nil {
		return f.Client
	}
	return defaultClient
}

// dialTimeout bounds a connection to a node: one that is down or cut off
// costs a few seconds per try, not TCP's two minutes.
const dialTimeout = 3 * time.Second

var defaultClient = &http.Client{Transport: &http.Transport{
	Proxy:                 nil, // the maps' nodes, never a proxy
	DialContext:           (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
	MaxIdleConnsPerHost:   DefaultParallel,
	ResponseHeaderTimeout: 30 * time.Second,
	IdleConnTimeout:       30 * time.Second,
	DisableCompression:    true,
}}

// countingReader counts what it reads and keeps the read error.
type countingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		c.err = err
	}
	return n, err
}

// Outcome is what a failed try leads to.
type Outcome int

// The outcomes of a failed try.
const (
	// Retry tries again after a backoff: the node may be restarting.
	Retry Outcome = iota
	// Lost reports the map's output as lost at once: the node answered
	// that it does not hold it.
	Lost
	// Fatal fails the fetch: running the map again would not help.
	Fatal
)

// Decide says what a failed try leads to, from its status (0 when no
// answer came) and error.
func Decide(status int, err error) Outcome {
	var se errSink
	switch {
	case errors.As(err, &se):
		return Fatal
	case status == http.StatusNotFound:
		return Lost
	case status == 0, status >= 500, status == http.StatusOK:
		return Retry
	}
	return Fatal
}
