package driver

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/nomad/plugins/drivers"
	"github.com/shoenig/test/must"
)

// daemonProxy stands between the driver and the Docker daemon so a test
// can make the daemon "go away" and "come back" for this driver alone,
// without disturbing anything else using the machine's daemon.
type daemonProxy struct {
	t      *testing.T
	path   string
	target string

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
}

func newDaemonProxy(t *testing.T) *daemonProxy {
	target := "/var/run/docker.sock"
	if h := os.Getenv("DOCKER_HOST"); strings.HasPrefix(h, "unix://") {
		target = strings.TrimPrefix(h, "unix://")
	}
	p := &daemonProxy{t: t, path: filepath.Join(t.TempDir(), "docker.sock"), target: target}
	p.up()
	t.Cleanup(p.down)
	return p
}

func (p *daemonProxy) endpoint() string { return "unix://" + p.path }

func (p *daemonProxy) up() {
	ln, err := net.Listen("unix", p.path)
	must.NoError(p.t, err)
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
}

func (p *daemonProxy) forward(c net.Conn) {
	d, err := net.Dial("unix", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns = append(p.conns, c, d)
	p.mu.Unlock()
	go func() { _, _ = io.Copy(d, c); d.Close() }()
	_, _ = io.Copy(c, d)
	c.Close()
}

// down closes the socket and every connection through it.
func (p *daemonProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
	_ = os.Remove(p.path)
}

func TestFingerprint_HealthFollowsDaemon(t *testing.T) {
	proxy := newDaemonProxy(t)
	td := newTestDriver(t, &PluginConfig{Endpoint: proxy.endpoint()})
	old := fingerprintUnhealthyPeriod
	fingerprintUnhealthyPeriod = 100 * time.Millisecond
	t.Cleanup(func() { fingerprintUnhealthyPeriod = old })

	// Each Fingerprint call checks the daemon first thing; a fresh stream
	// per phase avoids waiting out the healthy period.
	next := func() *drivers.Fingerprint {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		ch, err := td.Fingerprint(ctx)
		must.NoError(t, err)
		return <-ch
	}

	fp := next()
	must.Eq(t, drivers.HealthStateHealthy, fp.Health, must.Sprint(fp.HealthDescription))
	for _, attr := range []string{"version", "api_version", "cgroup_version"} {
		v, ok := fp.Attributes["driver.dockmr-driver."+attr]
		must.True(t, ok, must.Sprintf("attribute %s missing", attr))
		s, _ := v.GetString()
		must.NotEq(t, "", s, must.Sprintf("attribute %s empty", attr))
	}

	proxy.down()
	fp = next()
	must.Eq(t, drivers.HealthStateUnhealthy, fp.Health)
	must.StrContains(t, fp.HealthDescription, proxy.endpoint())

	// While the daemon is away, a task fails with a clear message.
	task := newTask(t, TaskConfig{Command: "true"})
	cleanup := td.MkAllocDir(task, false)
	defer cleanup()
	_, _, err := td.StartTask(task)
	must.ErrorContains(t, err, "does not answer")

	proxy.up()
	fp = next()
	must.Eq(t, drivers.HealthStateHealthy, fp.Health, must.Sprint(fp.HealthDescription))
}

func TestFingerprint_StreamTurnsHealthyAgain(t *testing.T) {
	proxy := newDaemonProxy(t)
	td := newTestDriver(t, &PluginConfig{Endpoint: proxy.endpoint()})
	old := fingerprintUnhealthyPeriod
	fingerprintUnhealthyPeriod = 100 * time.Millisecond
	t.Cleanup(func() { fingerprintUnhealthyPeriod = old })

	proxy.down()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ch, err := td.Fingerprint(ctx)
	must.NoError(t, err)
	must.Eq(t, drivers.HealthStateUnhealthy, (<-ch).Health)

	proxy.up()
	for fp := range ch {
		if fp.Health == drivers.HealthStateHealthy {
			return
		}
	}
	t.Fatal("fingerprint stream ended without turning healthy")
}

// A task that finds the daemon gone has the stream report the driver
// unhealthy at once, not at the end of the healthy period, so that Nomad
// stops placing tasks on the node.
func TestFingerprint_FailedStartRechecksAtOnce(t *testing.T) {
	proxy := newDaemonProxy(t)
	td := newTestDriver(t, &PluginConfig{Endpoint: proxy.endpoint()})
	old := fingerprintHealthyPeriod
	fingerprintHealthyPeriod = time.Hour
	t.Cleanup(func() { fingerprintHealthyPeriod = old })

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ch, err := td.Fingerprint(ctx)
	must.NoError(t, err)
	must.Eq(t, drivers.HealthStateHealthy, (<-ch).Health)

	proxy.down()
	task := newTask(t, TaskConfig{Command: "true"})
	cleanup := td.MkAllocDir(task, false)
	defer cleanup()
	_, _, err = td.StartTask(task)
	must.ErrorContains(t, err, "does not answer")
	fp, ok := <-ch
	must.True(t, ok, must.Sprint("the stream ended"))
	must.Eq(t, drivers.HealthStateUnhealthy, fp.Health, must.Sprint(fp.HealthDescription))
}
