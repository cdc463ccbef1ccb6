package driver

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Nomad's log collector reads a task's output from two FIFOs and stops for
// good at end-of-file, which a FIFO reports as soon as its last writer
// closes. If the plugin process is killed, its writers close, and a
// recovered plugin would write into FIFOs nobody reads any more.
//
// The FIFO keeper is one small process per machine, shared by every task
// and every agent on it, that keeps a second writer open on each task's
// FIFOs (it never writes). Log collection thus survives a plugin restart
// without a logger process per task. The plugin starts the keeper on demand;
// the keeper exits on its own once it holds nothing.

// keeperEnv, when set in the environment of the plugin binary, makes it run
// as the FIFO keeper listening on the socket it names.
const keeperEnv = "DOCKMR_FIFO_KEEPER_SOCKET"

// keeperIdleExit is how long a keeper holding no FIFO waits before exiting.
var keeperIdleExit = time.Minute

// RunFIFOKeeperIfRequested runs the FIFO keeper and exits when the process
// was started as one; otherwise it returns at once. The plugin's main calls
// it first thing.
func RunFIFOKeeperIfRequested() {
	socket := os.Getenv(keeperEnv)
	if socket == "" {
		return
	}
	if err := runKeeper(socket); err != nil {
		fmt.Fprintf(os.Stderr, "dockmr-driver fifo keeper: %v\n", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// defaultKeeperSocket is per user, so a keeper never holds another user's
// files.
func defaultKeeperSocket() string {
	return filepath.Join(os.TempDir(), fmt.Sprintf("dockmr-fifo-keeper-%d.sock", os.Getuid()))
}

// fifoKeeper is the plugin's client of the keeper process.
type fifoKeeper struct {
	socket string
	// exe is the binary started as keeper: the plugin's own.
	exe string

	spawnMu sync.Mutex
}

func newFIFOKeeper(socket string) *fifoKeeper {
	exe, _ := os.Executable()
	return &fifoKeeper{socket: socket, exe: exe}
}

// hold asks the keeper to keep paths open for writing.
func (k *fifoKeeper) hold(paths ...string) error {
	return k.request("hold", paths)
}

// release lets the keeper close paths, so the reader sees end-of-file once
// the plugin closes its own writers.
func (k *fifoKeeper) release(paths ...string) error {
	return k.request("release", paths)
}

func (k *fifoKeeper) request(op string, paths []string) error {
	conn, err := k.dial(op == "hold")
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	for _, p := range paths {
		if strings.ContainsAny(p, "\n") {
			return fmt.Errorf("fifo keeper: path %q contains a newline", p)
		}
		if _, err := fmt.Fprintf(conn, "%s %s\n", op, p); err != nil {
			return fmt.Errorf("fifo keeper: send: %w", err)
		}
		reply, err := r.ReadString('\n')
		if err != nil {
			return fmt.Errorf("fifo keeper: read reply: %w", err)
		}
		if reply = strings.TrimSpace(reply); reply != "ok" {
			return fmt.Errorf("fifo keeper: %s %s: %s", op, p, strings.TrimPrefix(reply, "error "))
		}
	}
	return nil
}

// dial connects to the keeper, starting one if none answers and start is
// set (a release needs no keeper that is not already there).
func (k *fifoKeeper) dial(start bool) (net.Conn, error) {
	conn, err := net.Dial("unix", k.socket)
	if err == nil || !start {
		return conn, err
	}
	k.spawnMu.Lock()
	defer k.spawnMu.Unlock()
	if conn, err := net.Dial("unix", k.socket); err == nil {
		return conn, nil
	}
	if err := k.spawn(); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		conn, err := net.Dial("unix", k.socket)
		if err == nil {
			return conn, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("fifo keeper did not come up on %s: %w", k.socket, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// spawn starts the keeper in its own session so that it outlives the
// plugin, whatever signal takes the plugin down.
func (k *fifoKeeper) spawn() error {
	if k.exe == "" {
		return errors.New("fifo keeper: cannot find the plugin's own executable")
	}
	cmd := exec.Command(k.exe)
	cmd.Env = append(os.Environ(), keeperEnv+"="+k.socket)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start fifo keeper: %w", err)
	}
	// Reap it if it exits while the plugin lives (idle exit), so it does
	// not linger as a zombie.
	go func() { _ = cmd.Wait() }()
	return nil
}

// runKeeper serves hold and release requests until it has held nothing
// for keeperIdleExit.
func runKeeper(socket string) error {
	if conn, err := net.Dial("unix", socket); err == nil {
		conn.Close()
		return nil // another keeper is already serving
	}
	_ = os.Remove(socket) // a dead keeper's socket
	ln, err := net.Listen("unix", socket)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", socket, err)
	}
	defer ln.Close()
	_ = os.Chmod(socket, 0o600)

	ks := &keeperState{held: map[string]*os.File{}, lastActive: time.Now()}
	go ks.exitWhenIdle(ln)
	for {
		conn, err := ln.Accept()
		if err != nil {
			return nil // listener closed by exitWhenIdle
		}
		go ks.serve(conn)
	}
}

type keeperState struct {
	mu         sync.Mutex
	held       map[string]*os.File
	lastActive time.Time
}

func (ks *keeperState) serve(conn net.Conn) {
	defer conn.Close()
	sc := bufio.NewScanner(conn)
	for sc.Scan() {
		op, path, _ := strings.Cut(sc.Text(), " ")
		var err error
		switch op {
		case "hold":
			err = ks.hold(path)
		case "release":
			ks.release(path)
		default:
			err = fmt.Errorf("unknown request %q", op)
		}
		reply := "ok\n"
		if err != nil {
			reply = "error " + strings.ReplaceAll(err.Error(), "\n", " ") + "\n"
		}
		if _, err := conn.Write([]byte(reply)); err != nil {
			return
		}
	}
}

func (ks *keeperState) hold(path string) error {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.lastActive = time.Now()
	if _, ok := ks.held[path]; ok {
		return nil
	}
	// Non-blocking: the plugin asks only once the reader is there, and a
	// keeper must never hang on a FIFO nobody reads.
	f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return err
	}
	ks.held[path] = f
	return nil
}

func (ks *keeperState) release(path string) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.lastActive = time.Now()
	if f, ok := ks.held[path]; ok {
		f.Close()
		delete(ks.held, path)
	}
}

// exitWhenIdle also drops FIFOs whose file is gone (the allocation was
// garbage-collected while no plugin was there to release them).
func (ks *keeperState) exitWhenIdle(ln net.Listener) {
	for range time.Tick(keeperIdleExit / 4) {
		ks.mu.Lock()
		for path, f := range ks.held {
			if _, err := os.Stat(path); err != nil {
				f.Close()
				delete(ks.held, path)
			}
		}
		idle := len(ks.held) == 0 && time.Since(ks.lastActive) > keeperIdleExit
		ks.mu.Unlock()
		if idle {
			ln.Close()
			return
		}
	}
}
