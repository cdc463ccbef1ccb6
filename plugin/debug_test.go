package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/internal/procstat"
)

func TestParseDebugAddr(t *testing.T) {
	for in, want := range map[string]debugAddr{
		"127.0.0.1:0":                   {"tcp", "127.0.0.1:0"},
		"localhost:6060":                {"tcp", "localhost:6060"},
		"[::1]:6060":                    {"tcp", "[::1]:6060"},
		"unix:/run/dockmr/driver.sock":  {"unix", "/run/dockmr/driver.sock"},
		"unix:/tmp/d/driver-{pid}.sock": {"unix", "/tmp/d/driver-4242.sock"},
		"unix:/tmp/{pid}/{pid}.sock":    {"unix", "/tmp/4242/4242.sock"},
	} {
		got, err := parseDebugAddr(in, 4242)
		must.NoError(t, err, must.Sprint(in))
		must.Eq(t, want, got, must.Sprint(in))
	}
}

func TestParseDebugAddrRejectsBadValues(t *testing.T) {
	for in, want := range map[string]string{
		"6060":                              "not a host:port",
		":6060":                             "no host; name one, such as 127.0.0.1",
		"127.0.0.1:http":                    `port "http" is not a number from 0 to 65535`,
		"127.0.0.1:70000":                   `port "70000" is not a number from 0 to 65535`,
		"unix:driver.sock":                  "the socket path is not absolute",
		"unix:/" + strings.Repeat("d", 120): "more than a unix socket takes (107)",
	} {
		_, err := parseDebugAddr(in, 1)
		must.ErrorContains(t, err, want, must.Sprint(in))
		must.ErrorContains(t, err, `DOCKMR_DRIVER_DEBUG_ADDR="`+in+`"`)
		must.ErrorContains(t, err, "want host:port (port 0 for any) or unix:/absolute/path")
	}
}

// TestDebugServer serves pprof on a unix socket, replacing a stale socket
// file, and is read the way the scale tests read the plugin; closing it
// removes the socket.
func TestDebugServer(t *testing.T) {
	dir := t.TempDir()
	addr, err := parseDebugAddr("unix:"+filepath.Join(dir, "driver-{pid}.sock"), os.Getpid())
	must.NoError(t, err)

	stale, err := startDebugServer(addr, hclog.NewNullLogger())
	must.NoError(t, err)
	stale.listener.(interface{ SetUnlinkOnClose(bool) }).SetUnlinkOnClose(false)
	stale.close()
	_, err = os.Stat(addr.address)
	must.NoError(t, err, must.Sprint("a stale socket file, as a killed plugin leaves"))

	s, err := startDebugServer(addr, hclog.NewNullLogger())
	must.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := procstat.ReadDebug(ctx, addr.String())
	must.NoError(t, err)
	must.Greater(t, 1, d.Goroutines)
	must.Positive(t, d.HeapAlloc)
	s.close()
	_, err = os.Stat(addr.address)
	must.True(t, os.IsNotExist(err), must.Sprintf("socket kept after close: %v", err))
}

// TestDebugServerTCP takes a free port and answers on it.
func TestDebugServerTCP(t *testing.T) {
	addr, err := parseDebugAddr("127.0.0.1:0", 1)
	must.NoError(t, err)
	s, err := startDebugServer(addr, hclog.NewNullLogger())
	must.NoError(t, err)
	defer s.close()
	resp, err := http.Get("http://" + s.listener.Addr().String() + "/debug/pprof/goroutine?debug=1")
	must.NoError(t, err)
	defer resp.Body.Close()
	must.Eq(t, http.StatusOK, resp.StatusCode)
}
