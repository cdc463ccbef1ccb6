package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strconv"
	"strings"

	"github.com/hashicorp/go-hclog"
)

// debugAddrEnv, when set, makes the plugin serve net/http/pprof on the
// address it names: "host:port" (port 0 picks a free one, which the plugin
// logs) or "unix:/path/to/socket". The plugin's goroutines, heap and
// stacks can then be read while it runs, which is how the scale tests
// check that nothing is left behind once tasks are gone. Off by default:
// nothing listens unless asked.
const debugAddrEnv = "DOCKMR_DRIVER_DEBUG_ADDR"

// pidPlaceholder in a socket path is replaced by the plugin's process ID,
// so that the plugins of several agents sharing one environment each get
// their own socket.
const pidPlaceholder = "{pid}"

// debugAddr is a parsed DOCKMR_DRIVER_DEBUG_ADDR.
type debugAddr struct {
	network, address string
}

func (a debugAddr) String() string {
	if a.network == "unix" {
		return "unix:" + a.address
	}
	return a.address
}

// parseDebugAddr checks the value of DOCKMR_DRIVER_DEBUG_ADDR and puts pid
// in place of {pid}. The error names the variable, the value and the
// forms accepted.
func parseDebugAddr(value string, pid int) (debugAddr, error) {
	bad := func(why string) error {
		return fmt.Errorf("%s=%q: %s; want host:port (port 0 for any) or unix:/absolute/path (%s is replaced by the process ID)",
			debugAddrEnv, value, why, pidPlaceholder)
	}
	if path, ok := strings.CutPrefix(value, "unix:"); ok {
		path = strings.ReplaceAll(path, pidPlaceholder, strconv.Itoa(pid))
		if !strings.HasPrefix(path, "/") {
			return debugAddr{}, bad("the socket path is not absolute")
		}
		// sun_path holds 108 bytes with the terminating NUL.
		if len(path) > 107 {
			return debugAddr{}, bad(fmt.Sprintf("the socket path is %d bytes long, more than a unix socket takes (107)", len(path)))
		}
		return debugAddr{network: "unix", address: path}, nil
	}
	host, port, err := net.SplitHostPort(value)
	if err != nil {
		return debugAddr{}, bad("not a host:port")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return debugAddr{}, bad(fmt.Sprintf("port %q is not a number from 0 to 65535", port))
	}
	if host == "" {
		// An empty host would listen on every interface; a debug
		// endpoint that shows stacks must be asked for explicitly.
		return debugAddr{}, bad("no host; name one, such as 127.0.0.1")
	}
	return debugAddr{network: "tcp", address: value}, nil
}

// debugServer is the running pprof listener.
type debugServer struct {
	srv      *http.Server
	listener net.Listener
}

// startDebugServer listens on addr and serves net/http/pprof there. A
// stale socket file left by a killed plugin whose PID came round again is
// replaced.
func startDebugServer(addr debugAddr, logger hclog.Logger) (*debugServer, error) {
	if addr.network == "unix" {
		if fi, err := os.Lstat(addr.address); err == nil && fi.Mode().Type() == fs.ModeSocket {
			_ = os.Remove(addr.address)
		}
	}
	l, err := net.Listen(addr.network, addr.address)
	if err != nil {
		return nil, fmt.Errorf("%s: listen on %s: %w", debugAddrEnv, addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	s := &debugServer{srv: &http.Server{Handler: mux}, listener: l}
	go func() {
		if err := s.srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Warn("debug listener stopped", "error", err)
		}
	}()
	where := addr.String()
	if addr.network == "tcp" {
		where = l.Addr().String()
	}
	logger.Info("serving net/http/pprof", "address", where, "pid", os.Getpid())
	return s, nil
}

// close stops the listener; a unix socket's file is removed with it.
func (s *debugServer) close() {
	if s != nil {
		_ = s.srv.Close()
	}
}
