// Package dockerdtest runs a private Docker daemon for tests that stop,
// restart or break the daemon: the machine's shared daemon serves every
// other test and must never be touched.
//
// The daemon listens on its own socket and keeps its images, containers,
// containerd and runtime state in a directory of its own. It has no
// bridge network and leaves iptables alone: dockmr's containers use the
// host's network only.
package dockerdtest

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
}

// Daemon is a private dockerd.
type Daemon struct {
	opts Options
	dir  string
	args []string

	cmd    *exec.Cmd
	exited chan struct{}
}

// Start starts a private daemon in a new temporary directory and waits
// until it answers. Close stops it and removes the directory.
func Start(ctx context.Context, opts Options) (*Daemon, error) {
	if opts.Binary == "" {
		p, err := exec.LookPath("dockerd")
		if err != nil {
			return nil, fmt.Errorf("no dockerd on the PATH: install Docker's engine (Debian: apt-get install docker.io): %w", err)
		}
		opts.Binary = p
	}
	// A short path: the daemon's and containerd's sockets live under it,
	// and a unix socket path has at most 107 bytes.
	dir, err := os.MkdirTemp("", "dockerd-")
	if err != nil {
		return nil, fmt.Errorf("create the daemon's directory: %w", err)
	}
	d := &Daemon{opts: opts, dir: dir}
	d.args = []string{
		"--host", d.Endpoint(),
		"--data-root", filepath.Join(dir, "data"),
		"--exec-root", filepath.Join(dir, "exec"),
		"--pidfile", filepath.Join(dir, "docker.pid"),
		"--bridge=none", "--iptables=false", "--ip6tables=false",
		// Its own containerd namespaces, should it ever share a
		// system containerd with the machine's daemon.
		"--containerd-namespace", "dockerdtest",
		"--containerd-plugins-namespace", "dockerdtest-plugins",
	}
	if opts.LiveRestore {
		d.args = append(d.args, "--live-restore")
	}
	if err := d.Start(ctx); err != nil {
		return nil, errors.Join(err, d.Close())
	}
	return d, nil
}

// Endpoint is the daemon's address, for DOCKER_HOST or a driver's
// endpoint setting.
func (d *Daemon) Endpoint() string { return "unix://" + filepath.Join(d.dir, "docker.sock") }

// Dir is the daemon's directory; its log is dockerd.log there.
func (d *Daemon) Dir() string { return d.dir }

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
	cmd := exec.Command(d.opts.Binary, d.args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid: true,
		// A test process that dies outright takes its daemon along.
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

// Restart stops the daemon and starts it again.
func (d *Daemon) Restart(ctx context.Context) error {
	if err := d.Stop(); err != nil {
		return err
	}
	return d.Start(ctx)
}

// Close stops the daemon and removes its directory, unmounting what the
// daemon left mounted there (its network namespace file).
func (d *Daemon) Close() error {
	err := d.Stop()
	mounts, merr := mountinfo.Under(d.dir)
	var uerrs []error
	for _, m := range mounts {
		// EINVAL, ENOENT: no longer a mount point.
		if uerr := syscall.Unmount(m, syscall.MNT_DETACH); uerr != nil && !errors.Is(uerr, syscall.EINVAL) && !errors.Is(uerr, syscall.ENOENT) {
			uerrs = append(uerrs, fmt.Errorf("unmount %s: %w", m, uerr))
		}
	}
	if rerr := os.RemoveAll(d.dir); rerr != nil {
		// What could not be unmounted explains what could not be removed.
		err = errors.Join(err, merr, errors.Join(uerrs...), fmt.Errorf("remove %s: %w", d.dir, rerr))
	}
	return err
}

// LoadImage copies the image ref from the daemon of from into this one,
// as `docker save | docker load` does: nothing is pulled.
func (d *Daemon) LoadImage(ctx context.Context, from *client.Client, ref string) error {
	rc, err := from.ImageSave(ctx, []string{ref})
	if err != nil {
		return fmt.Errorf("save image %s: %w", ref, err)
	}
	defer rc.Close()
	cli, err := d.Client()
	if err != nil {
		return err
	}
	defer cli.Close()
	resp, err := cli.ImageLoad(ctx, rc, client.ImageLoadWithQuiet(true))
	if err != nil {
		return fmt.Errorf("load image %s into dockerd at %s: %w", ref, d.Endpoint(), err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return fmt.Errorf("load image %s: %w", ref, err)
	}
	if _, err := cli.ImageInspect(ctx, ref); err != nil {
		return fmt.Errorf("image %s not there after loading it: %w", ref, err)
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
