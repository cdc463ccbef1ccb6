package procstat

import (
	"context"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoenig/test/must"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	must.NoError(t, err)
	return b
}

// The fixture's command name holds spaces and parentheses.
func TestParseStat(t *testing.T) {
	st, err := ParseStat(readFixture(t, "stat"))
	must.NoError(t, err)
	must.Eq(t, 3*time.Second, st.CPU)
	must.Eq(t, 17, st.Threads)
}

func TestParseStatRejectsMalformed(t *testing.T) {
	for in, want := range map[string]string{
		"12 cat R 1 2":     "no command name in parentheses",
		"12 (cat) R 1 2 3": "4 fields after the command name, want at least 18",
		"12 (cat) R 1 1 1 0 -1 1 1 0 0 0 x 5 0 0 20 0 1 0": `stat field 14 "x": want a non-negative integer`,
	} {
		_, err := ParseStat([]byte(in))
		must.ErrorContains(t, err, want)
	}
}

func TestParseRollup(t *testing.T) {
	rss, pss, err := ParseRollup(readFixture(t, "smaps_rollup"))
	must.NoError(t, err)
	must.Eq(t, uint64(1732*1024), rss)
	must.Eq(t, uint64(299*1024), pss)

	_, _, err = ParseRollup([]byte("Rss: 1 kB\n"))
	must.ErrorContains(t, err, "no Rss or Pss line")
	_, _, err = ParseRollup([]byte("Rss: 1 kB\nPss: many kB\n"))
	must.ErrorContains(t, err, `smaps_rollup Pss: "many": want a number of kB`)
}

func TestParseGoroutineProfile(t *testing.T) {
	n, err := ParseGoroutineProfile(readFixture(t, "goroutine.txt"))
	must.NoError(t, err)
	must.Eq(t, 6, n)

	_, err = ParseGoroutineProfile([]byte("heap profile: 1: 2 [3: 4] @ heap/1048576\n"))
	must.ErrorContains(t, err, `want "goroutine profile: total " followed by a count`)
	_, err = ParseGoroutineProfile([]byte("goroutine profile: total -3\n"))
	must.ErrorContains(t, err, `total "-3": want a non-negative integer`)
}

func TestParseHeapProfile(t *testing.T) {
	n, err := ParseHeapProfile(readFixture(t, "heap.txt"))
	must.NoError(t, err)
	must.Eq(t, uint64(155200), n)

	_, err = ParseHeapProfile(readFixture(t, "goroutine.txt"))
	must.ErrorContains(t, err, `no "# HeapAlloc =" line`)
}

// TestReadFakeProc reads a process from a proc tree made of the fixtures.
func TestReadFakeProc(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "7410")
	must.NoError(t, os.MkdirAll(filepath.Join(dir, "fd"), 0o755))
	for _, f := range []string{"stat", "smaps_rollup"} {
		must.NoError(t, os.WriteFile(filepath.Join(dir, f), readFixture(t, f), 0o644))
	}
	for _, fd := range []string{"0", "1", "2", "5"} {
		must.NoError(t, os.WriteFile(filepath.Join(dir, "fd", fd), nil, 0o644))
	}
	s, err := Read(root, 7410)
	must.NoError(t, err)
	must.Eq(t, Sample{PID: 7410, RSS: 1732 * 1024, PSS: 299 * 1024, CPU: 3 * time.Second, Threads: 17, FDs: 4}, s)

	_, err = Read(root, 7411)
	must.ErrorContains(t, err, "process 7411")
}

// TestTakeSelf samples this test process through /proc and a pprof
// listener on a unix socket, as the scale tests sample the plugin.
func TestTakeSelf(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "debug.sock")
	l, err := net.Listen("unix", sock)
	must.NoError(t, err)
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(l) }() // ends with ErrServerClosed on Close
	t.Cleanup(func() { srv.Close() })

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Take(ctx, os.Getpid(), "unix:"+sock)
	must.NoError(t, err)
	must.Positive(t, s.PSS)
	must.LessEq(t, s.RSS, s.PSS)
	must.Positive(t, s.Threads)
	must.Greater(t, 3, s.FDs, must.Sprint("stdio and the listener"))
	must.Greater(t, 1, s.Goroutines, must.Sprint("the test and the server at least"))
	must.Positive(t, s.HeapAlloc)
	must.StrContains(t, s.String(), "goroutines")
	n, err := Goroutines(ctx, "unix:"+sock)
	must.NoError(t, err)
	must.Greater(t, 1, n)

	_, err = Take(ctx, os.Getpid(), "unix:"+filepath.Join(t.TempDir(), "none.sock"))
	must.ErrorContains(t, err, "none.sock")
	_, err = ReadDebug(ctx, "unix:")
	must.ErrorContains(t, err, `debug address "unix:": want host:port or unix:/path`)
}

func TestCost(t *testing.T) {
	before := Sample{PSS: 30 << 20, RSS: 40 << 20, HeapAlloc: 4 << 20, Goroutines: 40, FDs: 20, Threads: 10, CPU: time.Second}
	peak := Sample{PSS: 50 << 20, RSS: 60 << 20, HeapAlloc: 14 << 20, Goroutines: 840, FDs: 420, Threads: 12, CPU: 5 * time.Second}
	after := Sample{PSS: 45 << 20, HeapAlloc: 4 << 20, Goroutines: 42, FDs: 20, Threads: 12, CPU: 21 * time.Second}
	per, err := Cost(before, peak, after, 200)
	must.NoError(t, err)
	must.Eq(t, float64(20<<20)/200, per.PSS)
	must.Eq(t, float64(10<<20)/200, per.HeapAlloc)
	must.Eq(t, 4.0, per.Goroutines)
	must.Eq(t, 2.0, per.FDs)
	must.Eq(t, 100*time.Millisecond, per.CPU)
	must.StrContains(t, per.String(), "4.00 goroutines, 2.00 fds")

	_, err = Cost(before, peak, after, 0)
	must.ErrorContains(t, err, "tasks 0: want at least 1")
}

func TestExcess(t *testing.T) {
	before := Sample{Goroutines: 40, FDs: 20, HeapAlloc: 4 << 20}
	slack := Slack{Goroutines: 10, FDs: 4, HeapAlloc: 2 << 20}
	must.Eq(t, "", Excess(before, Sample{Goroutines: 50, FDs: 24, HeapAlloc: 6 << 20}, slack))
	got := Excess(before, Sample{Goroutines: 51, FDs: 25, HeapAlloc: 7 << 20}, slack)
	for _, want := range []string{"goroutines 40 → 51 (slack 10)", "file descriptors 20 → 25 (slack 4)", "live heap 4.0 MiB → 7.0 MiB (slack 2.0 MiB)"} {
		must.StrContains(t, got, want)
	}
	must.Eq(t, 3, len(strings.Split(got, "; ")))
}

func TestSampleString(t *testing.T) {
	s := Sample{PID: 7, PSS: 3 << 20, RSS: 4 << 20, CPU: 1500 * time.Millisecond, Goroutines: 25, Threads: 8, FDs: 18}
	must.Eq(t, "pid 7: PSS 3.0 MiB, RSS 4.0 MiB, CPU 1.50 s, 25 goroutines, 8 threads, 18 fds", s.String())
	s.HeapAlloc = 1 << 20
	must.StrContains(t, s.String(), "RSS 4.0 MiB, heap 1.0 MiB, CPU")
}
