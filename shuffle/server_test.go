package shuffle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// testNode is a shuffle directory with one map attempt's output of three
// partitions, served on loopback.
type testNode struct {
	store  Store
	secret string
	srv    *httptest.Server
	data   []byte
	segs   []Segment
}

func newTestNode(t *testing.T, job, attempt string) *testNode {
	t.Helper()
	n := &testNode{store: Store{Dir: t.TempDir()}}
	n.secret, _ = NewSecret()
	n.data = []byte("aaaa" + "bbbbbbbb" + "" + "cc")
	n.segs = []Segment{{0, 4}, {4, 8}, {12, 0}, {12, 2}}
	n.addAttempt(t, job, attempt)
	n.srv = httptest.NewServer(&Server{Store: n.store, Log: t.Logf})
	t.Cleanup(n.srv.Close)
	return n
}

func (n *testNode) addAttempt(t *testing.T, job, attempt string) {
	tmp, err := n.store.StartAttempt(job, attempt, n.secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, OutputFile), n.data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := n.store.FinishAttempt(job, attempt, tmp, n.segs); err != nil {
		t.Fatal(err)
	}
}

func (n *testNode) addr() string { return strings.TrimPrefix(n.srv.URL, "http://") }

// get sends a raw request line, so that paths reach the server as written.
func (n *testNode) get(t *testing.T, method, path, secret, rng string) (int, string) {
	t.Helper()
	c, err := net.Dial("tcp", n.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n", method, path)
	if secret != "" {
		fmt.Fprintf(c, "%s: %s\r\n", SignatureHeader, Sign(secret, method, path))
	}
	if rng != "" {
		fmt.Fprintf(c, "Range: %s\r\n", rng)
	}
	fmt.Fprint(c, "\r\n")
	resp, err := http.ReadResponse(bufioReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServerServesAndRefuses(t *testing.T) {
	n := newTestNode(t, "j1", "a1")
	other, _ := NewSecret()
	p := PartitionPath("j1", "a1", 1)
	cases := []struct {
		name, method, path, secret, rng string
		status                          int
		body                            string
	}{
		{"partition", "GET", p, n.secret, "", 200, "bbbbbbbb"},
		{"range", "GET", p, n.secret, "bytes=2-4", 206, "bbb"},
		{"empty partition", "GET", PartitionPath("j1", "a1", 2), n.secret, "", 200, ""},
		{"last partition", "GET", PartitionPath("j1", "a1", 3), n.secret, "", 200, "cc"},
		{"no secret", "GET", p, "", "", 403, ""},
		{"another job's secret", "GET", p, other, "", 403, ""},
		{"unknown job", "GET", PartitionPath("j2", "a1", 1), n.secret, "", 404, ""},
		{"unknown attempt", "GET", PartitionPath("j1", "a2", 1), n.secret, "", 404, ""},
		{"partition past the last", "GET", PartitionPath("j1", "a1", 4), n.secret, "", 404, ""},
		{"dot-dot", "GET", "/v1/jobs/j1/maps/../partitions/1", n.secret, "", 400, ""},
		{"escaped dot-dot", "GET", "/v1/jobs/%2e%2e/maps/a1/partitions/1", n.secret, "", 400, ""},
		{"range past the end", "GET", p, n.secret, "bytes=8-", 416, ""},
		{"bad range", "GET", p, n.secret, "bytes=x", 400, ""},
		{"delete a partition", "DELETE", p, n.secret, "", 405, ""},
		{"get a job", "GET", JobPath("j1"), n.secret, "", 405, ""},
		{"delete with another secret", "DELETE", JobPath("j1"), other, "", 403, ""},
	}
	for _, c := range cases {
		status, body := n.get(t, c.method, c.path, c.secret, c.rng)
		if status != c.status {
			t.Errorf("%s: status %d (%q), want %d", c.name, status, body, c.status)
		}
		if c.status >= 300 && strings.Contains(body, "bbb") {
			t.Errorf("%s: refusal carries data: %q", c.name, body)
		}
		if c.status < 300 && body != c.body {
			t.Errorf("%s: body %q, want %q", c.name, body, c.body)
		}
	}
	if status, _ := n.get(t, "DELETE", JobPath("j1"), n.secret, ""); status != 204 {
		t.Errorf("signed delete: status %d, want 204", status)
	}
	if _, err := os.Stat(n.store.JobDir("j1")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the job's data is still there after its delete: %v", err)
	}
}

func TestSweepRemovesOldJobs(t *testing.T) {
	n := newTestNode(t, "old", "a")
	n.addAttempt(t, "new", "a")
	past := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(n.store.JobDir("old"), past, past); err != nil {
		t.Fatal(err)
	}
	removed, err := n.store.Sweep(time.Now(), time.Hour)
	if err != nil || len(removed) != 1 || removed[0] != "old" {
		t.Fatalf("Sweep = %v, %v; want [old]", removed, err)
	}
	if _, err := os.Stat(n.store.JobDir("new")); err != nil {
		t.Errorf("a recent job was swept: %v", err)
	}
}

func TestDecide(t *testing.T) {
	for _, c := range []struct {
		status int
		err    error
		want   Outcome
	}{
		{0, errors.New("connection refused"), Retry},
		{500, errors.New("x"), Retry},
		{503, errors.New("x"), Retry},
		{200, errors.New("short body"), Retry},
		{404, errors.New("x"), Lost},
		{403, errors.New("x"), Fatal},
		{400, errors.New("x"), Fatal},
		{416, errors.New("x"), Fatal},
		{0, errSink{errors.New("disk full")}, Fatal},
	} {
		if got := Decide(c.status, c.err); got != c.want {
			t.Errorf("Decide(%d, %v) = %v, want %v", c.status, c.err, got, c.want)
		}
	}
}

// collect is a sink that keeps each map's segment.
type collect struct {
	mu  sync.Mutex
	got map[int][]byte
}

func (c *collect) sink(src Source, r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.got == nil {
		c.got = map[int][]byte{}
	}
	c.got[src.Map] = b
	return nil
}

func TestFetcher(t *testing.T) {
	n := newTestNode(t, "j", "a1")
	n.addAttempt(t, "j", "a2")
	// A closed listener: nothing answers there.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := l.Addr().String()
	l.Close()
	f := &Fetcher{Job: "j", Secret: n.secret, Backoff: time.Millisecond}
	srcs := []Source{
		{Map: 0, Addr: n.addr(), Attempt: "a1", Length: 8},
		{Map: 1, Addr: n.addr(), Attempt: "a2", Length: 8},
	}
	var c collect
	if err := f.Fetch(context.Background(), 1, srcs, c.sink); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c.got[0], []byte("bbbbbbbb")) || !bytes.Equal(c.got[1], []byte("bbbbbbbb")) {
		t.Errorf("fetched %q and %q", c.got[0], c.got[1])
	}
	lostSrcs := append(slices.Clone(srcs), Source{Map: 2, Addr: dead, Attempt: "a1", Length: 8},
		Source{Map: 3, Addr: n.addr(), Attempt: "gone", Length: 8})
	err := f.Fetch(context.Background(), 1, lostSrcs, (&collect{}).sink)
	var lost *LostError
	if !errors.As(err, &lost) || fmt.Sprint(lost.Maps) != "[2 3]" {
		t.Errorf("fetch from a dead node and of gone output: %v, want maps [2 3] lost", err)
	}
	short := []Source{{Map: 0, Addr: n.addr(), Attempt: "a1", Length: 9}}
	if err := f.Fetch(context.Background(), 1, short, (&collect{}).sink); !errors.As(err, &lost) {
		t.Errorf("a segment shorter than its manifest says: %v, want lost", err)
	}
	wrong := &Fetcher{Job: "j", Secret: strings.Repeat("0", 64), Backoff: time.Millisecond}
	if err := wrong.Fetch(context.Background(), 1, srcs, (&collect{}).sink); err == nil || errors.As(err, &lost) {
		t.Errorf("fetch with a wrong secret: %v, want a failure that is not lost output", err)
	}
}
