// Package dockerd runs a private Docker daemon: its own socket, data root,
// exec root, pid file and containerd namespaces, no bridge network and no
// iptables rules, as dockmr's containers use the host's network only. It
// can run inside a network namespace (entered with nsenter, as `ip netns
// exec` remounts /sys and breaks dockerd), which is how `dockmr dev
// --hosts` gives every host a daemon of its own, and it is what tests that
// stop, restart or break a daemon use instead of the machine's shared one
// (through internal/dockerdtest).
package dockerd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/docker/docker/client"

	"github.com/dockmr/dockmr/internal/mountinfo"
)

// startTimeout bounds Start and Restart when their context has no
// deadline; a daemon comes up in a second or two.
const startTimeout = time.Minute

// stopTimeout is how long Stop lets the daemon shut down before killing
// it. Without live-restore it stops its containers first, each within its
// stop timeout (10 s unless the container says otherwise).
const stopTimeout = 45 * time.Second

// Options configure a Daemon.
type Options struct {
	// LiveRestore keeps containers running while the daemon is down,
	// Docker's live-restore setting. Without it a daemon that stops kills
	// its containers, and so does one that restarts after a crash.
	LiveRestore bool
	// Binary is the dockerd to run; empty means dockerd on the PATH.
	Binary string
	// Dir is the daemon's directory: socket, data and exec roots, pid
	// file and log. Empty means a new temporary directory. Either way
	// Close removes it. Its path must be short: the daemon's and
	// containerd's sockets live under it, and a unix socket path has at
	// most 107 bytes.
	Dir string
	// NetNS is the path of a network namespace to run the daemon in
	// (/run/netns/NAME); empty means this process's own.
	NetNS string
	// Namespace names the daemon's containerd namespaces (Namespace and
	// Namespace-plugins); empty means "dockerd". Daemons that could share
	// a containerd need different ones.
	Namespace string
	// Env is added to the daemon's environment, for instance a marker
	// by which its processes are found later.
	Env []string
}

// Daemon is a private dockerd.
type Daemon struct {
	opts Options
	dir  string
	args []string

	cmd    *exec.Cmd
	exited chan struct{}
}

// Start starts a private daemon and waits until it answers. Close stops
// it and removes its directory.
func Start(ctx context.Context, opts Options) (*Daemon, error) {
	d, err := New(opts)
	if err != nil {
		return nil, err
	}
	if err := d.Start(ctx); err != nil {
		return nil, errors.Join(err, d.Close())
	}
	return d, nil
}

// New prepares a daemon, creating its directory, without starting it.
func New(opts Options) (*Daemon, error) {
	if opts.Binary == "" {
		p, err := exec.LookPath("dockerd")
		if err != nil {
			return nil, fmt.Errorf("no dockerd on the PATH: install Docker's engine (Debian: apt-get install docker.io): %w", err)
		}
		opts.Binary = p
	}
	if opts.Namespace == "" {
		opts.Namespace = "dockerd"
	}
	dir := opts.Dir
	var err error
	if dir == "" {
		dir, err = os.MkdirTemp("", "dockerd-")
	} else {
		err = os.MkdirAll(dir, 0o700)
	}
	if err != nil {
		return nil, fmt.Errorf("create the daemon's directory: %w", err)
	}
	d := &Daemon{opts: opts, dir: dir}
	d.args = []string{
		"--host", d.Endpoint(),
		"--data-root", filepath.Join(dir, "data"),
		"--exec-root", d.ExecRoot(),
		"--pidfile", filepath.Join(dir, "docker.pid"),
		"--bridge=none", "--iptables=false", "--ip6tables=false",
		"--containerd-namespace", opts.Namespace,
		"--containerd-plugins-namespace", opts.Namespace + "-plugins",
	}
	if opts.LiveRestore {
		d.args = append(d.args, "--live-restore")
	}
	if n := len(d.Endpoint()) - len("unix://"); n > 100 {
		return nil, fmt.Errorf("daemon directory %s is too long for its socket (%d bytes, at most 100): choose a shorter one", dir, n)
	}
	return d, nil
}

// Endpoint is the daemon's address, for DOCKER_HOST or a driver's
// endpoint setting.
func (d *Daemon) Endpoint() string { return "unix://" + filepath.Join(d.dir, "docker.sock") }

// Dir is the daemon's directory; its log is dockerd.log there.
func (d *Daemon) Dir() string { return d.dir }

// ExecRoot is the daemon's exec root, where it keeps its runtime state
// and the nsfs mounts of its containers' network namespaces.
func (d *Daemon) ExecRoot() string { return filepath.Join(d.dir, "exec") }

// LogPath is the daemon's log file, appended to by every start.
func (d *Daemon) LogPath() string { return filepath.Join(d.dir, "dockerd.log") }

// PID is the daemon's process ID, or 0 when it is not running.
func (d *Daemon) PID() int {
	if !d.Running() {
		return 0
	}
	return d.cmd.Process.Pid
}

// Running reports whether the daemon process is alive.
func (d *Daemon) Running() bool {
	if d.cmd == nil {
		return false
	}
	select {
	case <-d.exited:
		return false
	default:
		return true
	}
}

// Client returns a client of the daemon; the caller closes it.
func (d *Daemon) Client() (*client.Client, error) {
	cli, err := client.NewClientWithOpts(client.WithHost(d.Endpoint()), client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("client of %s: %w", d.Endpoint(), err)
	}
	return cli, nil
}

// command is the daemon's command line: dockerd, entered into its
// network namespace by nsenter when it has one. nsenter execs dockerd,
// so the process started is the daemon itself.
func (d *Daemon) command() *exec.Cmd {
	if d.opts.NetNS == "" {
		return exec.Command(d.opts.Binary, d.args...)
	}
	args := append([]string{"--net=" + d.opts.NetNS, "--", d.opts.Binary}, d.args...)
	return exec.Command("nsenter", args...)
}

// Start starts the daemon, first or again after Stop, on the same
// directory, and waits until it answers.
func (d *Daemon) Start(ctx context.Context) error {
	if d.Running() {
		return fmt.Errorf("start dockerd at %s: it is running already", d.Endpoint())
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, startTimeout)
		defer cancel()
	}
	log, err := os.OpenFile(d.LogPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open dockerd log: %w", err)
	}
	defer log.Close()
	cmd := d.command()
	cmd.Env = append(os.Environ(), d.opts.Env...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid: true,
		// A process that dies outright takes its daemon along.
		Pdeathsig: syscall.SIGTERM,
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", d.opts.Binary, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait() // how it ended is in cmd.ProcessState
		close(exited)
	}()
	d.cmd, d.exited = cmd, exited
	if err := d.waitReady(ctx); err != nil {
		return fmt.Errorf("%w\n%s", err, d.logTail())
	}
	return nil
}

// waitReady polls the daemon until it answers, it exits, or ctx ends.
func (d *Daemon) waitReady(ctx context.Context) error {
	cli, err := d.Client()
	if err != nil {
		return err
	}
	defer cli.Close()
	var last error
	for {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, last = cli.Ping(pctx)
		cancel()
		if last == nil {
			return nil
		}
		select {
		case <-d.exited:
			return fmt.Errorf("dockerd at %s exited while starting (%s)", d.Endpoint(), d.cmd.ProcessState)
		case <-ctx.Done():
			return fmt.Errorf("dockerd at %s did not answer: %w; last: %w", d.Endpoint(), ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Stop shuts the daemon down with SIGTERM, as `systemctl stop docker`
// does, and waits until it has exited; past stopTimeout it is killed.
func (d *Daemon) Stop() error {
	if !d.Running() {
		return nil
	}
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop dockerd: %w", err)
	}
	select {
	case <-d.exited:
		return nil
	case <-time.After(stopTimeout):
	}
	_ = d.cmd.Process.Kill() // it may have exited since; the wait below tells
	<-d.exited
	return fmt.Errorf("dockerd at %s did not stop within %s and was killed", d.Endpoint(), stopTimeout)
}

// Kill kills the daemon with SIGKILL, as a crash would, and waits until
// it is gone. Its containerd and containers are not its to stop then.
func (d *Daemon) Kill() error {
	if !d.Running() {
		return nil
	}
	if err := d.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill dockerd: %w", err)
	}
	<-d.exited
	return nil
}

// Restart stops the daemon and starts it again.
func (d *Daemon) Restart(ctx context.Context) error {
	if err := d.Stop(); err != nil {
		return err
	}
	return d.Start(ctx)
}

// Close stops the daemon and removes its directory, unmounting what the
// daemon left mounted there (the nsfs mounts of network namespaces under
// its exec root).
func (d *Daemon) Close() error {
	err := d.Stop()
	if rerr := RemoveDir(d.dir); rerr != nil {
		err = errors.Join(err, rerr)
	}
	return err
}

// RemoveDir unmounts whatever is mounted at or below dir, deepest first,
// and removes dir: what is left of a daemon's directory once it has
// stopped.
func RemoveDir(dir string) error {
	mounts, merr := mountinfo.Under(dir)
	var uerrs []error
	for _, m := range mounts {
		// EINVAL, ENOENT: no longer a mount point.
		if uerr := syscall.Unmount(m, syscall.MNT_DETACH); uerr != nil && !errors.Is(uerr, syscall.EINVAL) && !errors.Is(uerr, syscall.ENOENT) {
			uerrs = append(uerrs, fmt.Errorf("unmount %s: %w", m, uerr))
		}
	}
	if rerr := os.RemoveAll(dir); rerr != nil {
		// What could not be unmounted explains what could not be removed.
		return errors.Join(merr, errors.Join(uerrs...), fmt.Errorf("remove %s: %w", dir, rerr))
	}
	return nil
}

// LoadImage copies the image ref from the daemon of from into this one,
// as `docker save | docker load` does: nothing is pulled.
func (d *Daemon) LoadImage(ctx context.Context, from *client.Client, ref string) error {
	cli, err := d.Client()
	if err != nil {
		return err
	}
	defer cli.Close()
	return CopyImage(ctx, from, cli, ref)
}

// CopyImage copies the image ref from one daemon to another, as `docker
// save | docker load` does, and checks that it arrived.
func CopyImage(ctx context.Context, from, to *client.Client, ref string) error {
	rc, err := from.ImageSave(ctx, []string{ref})
	if err != nil {
		return fmt.Errorf("save image %s: %w", ref, err)
	}
	defer rc.Close()
	resp, err := to.ImageLoad(ctx, rc, client.ImageLoadWithQuiet(true))
	if err != nil {
		return fmt.Errorf("load image %s into dockerd at %s: %w", ref, to.DaemonHost(), err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return fmt.Errorf("load image %s: %w", ref, err)
	}
	if _, err := to.ImageInspect(ctx, ref); err != nil {
		return fmt.Errorf("image %s not there after loading it into %s: %w", ref, to.DaemonHost(), err)
	}
	return nil
}

// logTail is the end of the daemon's log, for errors.
func (d *Daemon) logTail() string {
	b, err := os.ReadFile(d.LogPath())
	if err != nil {
		return ""
	}
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return "dockerd log " + d.LogPath() + " ends with:\n" + string(b)
}
