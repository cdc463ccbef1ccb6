package procstat

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// maxProfile bounds what is read of a profile; the figures come first
// (goroutines) or after the stacks (heap), and either is far smaller.
const maxProfile = 64 << 20

// Debug is what a process's net/http/pprof listener tells of it.
type Debug struct {
	Goroutines int
	// HeapAlloc is the live heap in bytes right after a garbage
	// collection: unlike RSS, it does not lag behind while the runtime
	// returns freed memory to the system.
	HeapAlloc uint64
}

// ReadDebug asks the net/http/pprof listener at addr for its process's
// goroutine count and live heap. addr is "host:port" or
// "unix:/path/to/socket", the forms of dockmr-driver's
// DOCKMR_DRIVER_DEBUG_ADDR. The heap profile is taken with gc=1, so the
// process runs a collection first.
func ReadDebug(ctx context.Context, addr string) (Debug, error) {
	client, err := debugClient(addr)
	if err != nil {
		return Debug{}, err
	}
	defer client.CloseIdleConnections()
	var d Debug
	if d.Goroutines, err = goroutines(ctx, client, addr); err != nil {
		return Debug{}, err
	}
	heap, err := get(ctx, client, addr, "/debug/pprof/heap?gc=1&debug=1")
	if err != nil {
		return Debug{}, err
	}
	if d.HeapAlloc, err = ParseHeapProfile(heap); err != nil {
		return Debug{}, fmt.Errorf("%s: %w", addr, err)
	}
	return d, nil
}

// Goroutines asks the net/http/pprof listener at addr for its process's
// goroutine count alone: cheaper than ReadDebug, which makes the process
// collect garbage, so fit for sampling often.
func Goroutines(ctx context.Context, addr string) (int, error) {
	client, err := debugClient(addr)
	if err != nil {
		return 0, err
	}
	defer client.CloseIdleConnections()
	return goroutines(ctx, client, addr)
}

func goroutines(ctx context.Context, client *http.Client, addr string) (int, error) {
	b, err := get(ctx, client, addr, "/debug/pprof/goroutine?debug=1")
	if err != nil {
		return 0, err
	}
	n, err := ParseGoroutineProfile(b)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", addr, err)
	}
	return n, nil
}

func get(ctx context.Context, client *http.Client, addr, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://debug"+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("get %s from %s: %w", path, addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("get %s from %s: %s", path, addr, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxProfile))
	if err != nil {
		return nil, fmt.Errorf("get %s from %s: %w", path, addr, err)
	}
	return b, nil
}

// ParseGoroutineProfile reads the total from the first line of a goroutine
// profile in text form (debug=1): "goroutine profile: total N".
func ParseGoroutineProfile(b []byte) (int, error) {
	const prefix = "goroutine profile: total "
	line, _, _ := bytes.Cut(b, []byte("\n"))
	rest, ok := bytes.CutPrefix(bytes.TrimSpace(line), []byte(prefix))
	if !ok {
		return 0, fmt.Errorf("goroutine profile starts %q, want %q followed by a count", truncate(line), prefix)
	}
	n, err := strconv.Atoi(string(rest))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("goroutine profile total %q: want a non-negative integer", rest)
	}
	return n, nil
}

// ParseHeapProfile reads "# HeapAlloc = N" from the runtime.MemStats that
// a heap profile in text form (debug=1) ends with.
func ParseHeapProfile(b []byte) (uint64, error) {
	const prefix = "# HeapAlloc = "
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), prefix)
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSpace(rest), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("heap profile HeapAlloc %q: want a non-negative integer", rest)
		}
		return n, nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("heap profile: %w", err)
	}
	return 0, fmt.Errorf("heap profile has no %q line: was it asked for with debug=1?", strings.TrimSpace(prefix))
}

// debugClient is an HTTP client that reaches addr whatever the request's
// host: a TCP address or a unix socket.
func debugClient(addr string) (*http.Client, error) {
	network, address := "tcp", addr
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		network, address = "unix", path
	}
	if address == "" {
		return nil, fmt.Errorf("debug address %q: want host:port or unix:/path", addr)
	}
	var d net.Dialer
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, address)
		},
	}}, nil
}
