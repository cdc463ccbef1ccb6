package hosts

import (
	"context"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shoenig/test/must"
)

// needRoot skips a test that makes namespaces under -short or without
// root.
func needRoot(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("makes network namespaces")
	}
	if os.Geteuid() != 0 {
		t.Skip("makes network namespaces: needs root")
	}
}

// TestNetwork makes a network of two hosts: each sees only its own
// address, reaches the other and the machine; a cut host reaches no one
// until restored; a removed host's namespace is gone; Close leaves
// nothing.
func TestNetwork(t *testing.T) {
	needRoot(t)
	ctx := context.Background()
	n, err := Create(ctx, Options{Hosts: []string{"a", "b"}, recordDir: t.TempDir()})
	must.NoError(t, err)
	t.Cleanup(func() { n.Close() })
	a, b := n.Host("a"), n.Host("b")

	out := run(t, a.Command("ip", "-4", "-o", "addr", "show"))
	must.StrContains(t, out, a.Addr().String())
	must.StrNotContains(t, out, b.Addr().String())
	must.StrNotContains(t, out, n.MachineAddr().String())

	reach(t, a.Command("busybox", "ping", "-c1", "-W2", b.Addr().String()), true)
	reach(t, b.Command("busybox", "ping", "-c1", "-W2", n.MachineAddr().String()), true)
	must.NoError(t, a.Cut(ctx))
	reach(t, b.Command("busybox", "ping", "-c1", "-W1", a.Addr().String()), false)
	must.NoError(t, a.Restore(ctx))
	reach(t, b.Command("busybox", "ping", "-c1", "-W2", a.Addr().String()), true)

	sleeper := a.Command("sleep", "300")
	must.NoError(t, sleeper.Start())
	// nsenter enters the namespace, then execs the command.
	for inNS := false; !inNS; {
		pids, err := a.Processes()
		must.NoError(t, err)
		inNS = slices.Contains(pids, sleeper.Process.Pid)
	}
	must.NoError(t, a.Remove(ctx))
	_ = sleeper.Wait() // killed: the error says so
	_, err = os.Stat(a.NetNSPath())
	must.True(t, os.IsNotExist(err))
	must.ErrorContains(t, a.Cut(ctx), "was removed")

	must.NoError(t, n.Close())
	assertGone(t, n)
}

// TestLeftoversOfAKilledRun makes a network, forgets it as a killed run
// would (its record names a process that has ended), and has the next
// cleaning remove it; a live run's network is left alone.
func TestLeftoversOfAKilledRun(t *testing.T) {
	needRoot(t)
	ctx := context.Background()
	dir := t.TempDir()
	n, err := Create(ctx, Options{Hosts: []string{"a"}, recordDir: dir})
	must.NoError(t, err)
	t.Cleanup(func() { n.Close() })
	daemonDir := filepath.Join(t.TempDir(), "daemon")
	must.NoError(t, os.MkdirAll(daemonDir, 0o755))
	must.NoError(t, n.AddDir(daemonDir))

	cleaned, err := cleanLeftovers(ctx, dir)
	must.NoError(t, err)
	must.SliceEmpty(t, cleaned, must.Sprint("the network's process runs"))

	dead := exec.Command("true")
	must.NoError(t, dead.Run())
	n.rec.PID = dead.Process.Pid
	must.NoError(t, n.rec.write(dir))
	cleaned, err = cleanLeftovers(ctx, dir)
	must.NoError(t, err)
	must.Eq(t, []string{n.ID()}, cleaned)
	assertGone(t, n)
	_, err = os.Stat(daemonDir)
	must.True(t, os.IsNotExist(err))
}

// TestCreateRefusesATakenSubnet gives a subnet one of the machine's
// routes covers: nothing is made.
func TestCreateRefusesATakenSubnet(t *testing.T) {
	needRoot(t)
	ctx := context.Background()
	rs, err := routes(ctx)
	must.NoError(t, err)
	var taken netip.Prefix
	for _, r := range rs {
		if p, ok := routePrefix(r); ok && p.Bits() <= 24 && !p.Addr().IsLoopback() {
			taken = netip.PrefixFrom(p.Addr(), 24).Masked()
			break
		}
	}
	if !taken.IsValid() {
		t.Skip("no route of this machine to collide with")
	}
	dir := t.TempDir()
	_, err = Create(ctx, Options{Hosts: []string{"a"}, Subnet: taken, recordDir: dir})
	must.ErrorContains(t, err, "overlaps the route")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	must.SliceEmpty(t, files)
}

func run(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	out, err := cmd.CombinedOutput()
	must.NoError(t, err, must.Sprint(string(out)))
	return string(out)
}

// reach runs a ping and checks whether it got an answer; one that should
// is given a few tries, as the first packet may go while the neighbour's
// address is still being resolved.
func reach(t *testing.T, cmd *exec.Cmd, want bool) {
	t.Helper()
	tries := 1
	if want {
		tries = 5
	}
	var out []byte
	var err error
	for range tries {
		c := exec.Command(cmd.Path, cmd.Args[1:]...)
		if out, err = c.CombinedOutput(); err == nil {
			break
		}
	}
	must.Eq(t, want, err == nil, must.Sprintf("%s: %s", strings.Join(cmd.Args, " "), out))
}

// assertGone checks that nothing of the network is left.
func assertGone(t *testing.T, n *Network) {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(netnsDir, nsPrefix+n.ID()+"-*"))
	must.SliceEmpty(t, matches)
	_, err := os.Stat("/sys/class/net/" + n.Link())
	must.True(t, os.IsNotExist(err))
	_, err = os.Stat(n.rec.path(n.recordDir))
	must.True(t, os.IsNotExist(err))
}
