package hosts

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
)

// Options configure a network.
type Options struct {
	// Hosts are the names of the hosts, one namespace each, addressed in
	// this order from the second address of the subnet on (the first is
	// the machine's). A name is a lower-case letter, then up to 19
	// lower-case letters, digits or '-'.
	Hosts []string
	// Subnet is the test network; the zero prefix means the first /24 of
	// TestRange that no route of the machine overlaps. A subnet given
	// here must overlap no route either.
	Subnet netip.Prefix
	// Logf, when set, is told what leftovers of killed runs were removed.
	Logf func(format string, args ...any)
	// recordDir is where the record goes; empty means RecordDir. Tests
	// change it.
	recordDir string
}

// Network is a private network of hosts on this machine.
type Network struct {
	id        string
	subnet    netip.Prefix
	machine   netip.Addr
	recordDir string
	hosts     []*Host

	mu  sync.Mutex // guards rec and the hosts' removed flags
	rec record

	closeOnce sync.Once
	closeErr  error
}

// Host is one host of a network: a network namespace with an interface,
// eth0, on the network's bridge, and its loopback.
type Host struct {
	net     *Network
	index   int
	name    string
	addr    netip.Addr
	removed bool
}

// Create makes a network: it removes the leftovers of killed runs, picks
// or checks the subnet, makes the switch, the hosts and the machine's
// interface, and makes sure every host address is routed through that
// interface. It needs root. On failure it removes what it made.
func Create(ctx context.Context, opts Options) (*Network, error) {
	if err := checkOptions(opts); err != nil {
		return nil, err
	}
	if opts.recordDir == "" {
		opts.recordDir = RecordDir
	}
	// One lock for every network of the machine, wherever its record
	// goes: two runs must not pick the same subnet.
	unlock, err := lock(RecordDir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.recordDir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", opts.recordDir, err)
	}
	defer unlock()
	cleaned, err := cleanLeftovers(ctx, opts.recordDir)
	if opts.Logf != nil && len(cleaned) > 0 {
		opts.Logf("removed the leftovers of %d killed run(s): %v", len(cleaned), cleaned)
	}
	if err != nil {
		return nil, fmt.Errorf("remove the leftovers of a killed run: %w", err)
	}
	n, err := plan(ctx, opts)
	if err != nil {
		return nil, err
	}
	if err := n.rec.write(n.recordDir); err != nil {
		return nil, err
	}
	if err := n.make(ctx); err != nil {
		return nil, errors.Join(err, n.Close())
	}
	return n, nil
}

// checkOptions refuses options that cannot make a network, and a caller
// that is not root.
func checkOptions(opts Options) error {
	if os.Geteuid() != 0 {
		return errors.New("hosts need root: every host is a network namespace with its own Docker daemon; run as root, or use clients on 127.0.0.1 instead")
	}
	if missing := missingTools(); len(missing) > 0 {
		return fmt.Errorf("hosts need %v on the PATH: install iproute2 and util-linux", missing)
	}
	if len(opts.Hosts) == 0 {
		return errors.New("no hosts: name at least one")
	}
	seen := map[string]bool{}
	for _, h := range opts.Hosts {
		if err := checkHostName(h); err != nil {
			return err
		}
		if seen[h] {
			return fmt.Errorf("host name %q is given twice", h)
		}
		seen[h] = true
	}
	return nil
}

// plan chooses the network's ID and subnet and makes its record.
func plan(ctx context.Context, opts Options) (*Network, error) {
	rs, err := routes(ctx)
	if err != nil {
		return nil, err
	}
	subnet := opts.Subnet
	if subnet.IsValid() {
		err = CheckSubnet(subnet, len(opts.Hosts), rs)
	} else {
		subnet, err = PickSubnet(rs)
		if err == nil {
			err = CheckSubnet(subnet, len(opts.Hosts), rs)
		}
	}
	if err != nil {
		return nil, err
	}
	id, err := unusedID()
	if err != nil {
		return nil, err
	}
	machine, addrs := Addresses(subnet, len(opts.Hosts))
	n := &Network{id: id, subnet: subnet, machine: machine, recordDir: opts.recordDir}
	n.rec = record{
		ID: id, PID: os.Getpid(), Start: startTime(os.Getpid()), Subnet: subnet.String(),
		Link: linkName(id), Switch: nsName(id, switchName),
	}
	for i, name := range opts.Hosts {
		n.hosts = append(n.hosts, &Host{net: n, index: i, name: name, addr: addrs[i]})
		n.rec.Hosts = append(n.rec.Hosts, recordHost{Name: name, NetNS: nsName(id, name), Addr: addrs[i].String()})
	}
	return n, nil
}

// unusedID returns an ID whose names nothing on the machine has.
func unusedID() (string, error) {
	for range 20 {
		id := newID()
		matches, _ := filepath.Glob(filepath.Join(netnsDir, nsPrefix+id+"-*"))
		if _, err := os.Stat("/sys/class/net/" + linkName(id)); len(matches) == 0 && os.IsNotExist(err) {
			return id, nil
		}
	}
	return "", errors.New("no unused network ID found")
}

// make builds the switch, the machine's interface, then the hosts, and
// checks the routes.
func (n *Network) make(ctx context.Context) error {
	sw, link := n.rec.Switch, n.rec.Link
	bits := n.subnet.Bits()
	if err := ipAll(ctx,
		[]string{"netns", "add", sw},
		[]string{"-n", sw, "link", "add", bridgeName, "type", "bridge"},
		[]string{"-n", sw, "link", "set", bridgeName, "up"},
		[]string{"link", "add", link, "type", "veth", "peer", "name", uplinkName, "netns", sw},
		[]string{"-n", sw, "link", "set", uplinkName, "master", bridgeName, "up"},
		[]string{"addr", "add", fmt.Sprintf("%s/%d", n.machine, bits), "dev", link},
		[]string{"link", "set", link, "up"},
	); err != nil {
		return fmt.Errorf("make the switch of network %s: %w", n.id, err)
	}
	for _, h := range n.hosts {
		ns := h.NetNS()
		if err := ipAll(ctx,
			[]string{"netns", "add", ns},
			[]string{"-n", sw, "link", "add", portName(h.index), "type", "veth", "peer", "name", hostIface, "netns", ns},
			[]string{"-n", sw, "link", "set", portName(h.index), "master", bridgeName, "up"},
			[]string{"-n", ns, "addr", "add", fmt.Sprintf("%s/%d", h.addr, bits), "dev", hostIface},
			[]string{"-n", ns, "link", "set", hostIface, "up"},
			[]string{"-n", ns, "link", "set", "lo", "up"},
		); err != nil {
			return fmt.Errorf("make host %s: %w", h.name, err)
		}
	}
	return n.checkRoutes(ctx)
}

// checkRoutes makes sure the kernel sends every host address through the
// network's own interface, before anything is sent to one.
func (n *Network) checkRoutes(ctx context.Context) error {
	for _, h := range n.hosts {
		dev, err := routeDev(ctx, h.addr.String())
		if err != nil {
			return fmt.Errorf("check the route to host %s: %w", h.name, err)
		}
		if dev != n.rec.Link {
			return fmt.Errorf("refusing to use network %s: host %s's address %s is routed through %s, not through the network's own interface %s; another route of this machine covers %s: choose another subnet",
				n.subnet, h.name, h.addr, dev, n.rec.Link, n.subnet)
		}
	}
	return nil
}

// ID is the network's ID, which every name it makes carries.
func (n *Network) ID() string { return n.id }

// Subnet is the network's subnet.
func (n *Network) Subnet() netip.Prefix { return n.subnet }

// MachineAddr is the address of the machine's own interface on the
// network, from which the shell reaches the hosts.
func (n *Network) MachineAddr() netip.Addr { return n.machine }

// Link is the name of the machine's interface on the network.
func (n *Network) Link() string { return n.rec.Link }

// Hosts are the network's hosts, in the order of Options.Hosts.
func (n *Network) Hosts() []*Host { return slices.Clone(n.hosts) }

// Host returns the host of that name, or nil.
func (n *Network) Host(name string) *Host {
	for _, h := range n.hosts {
		if h.name == name {
			return h
		}
	}
	return nil
}

// AddDir records a directory to remove with the network, after
// unmounting what is below it: a Docker daemon's that runs on one of its
// hosts, whose exec root holds nsfs mounts of the host's namespace. A run
// killed before removing it leaves it to the next run's cleaning.
func (n *Network) AddDir(dir string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.rec.Dirs = append(n.rec.Dirs, filepath.Clean(dir))
	if err := n.rec.check(); err != nil {
		n.rec.Dirs = n.rec.Dirs[:len(n.rec.Dirs)-1]
		return err
	}
	return n.rec.write(n.recordDir)
}

// Name is the host's name.
func (h *Host) Name() string { return h.name }

// Addr is the host's address.
func (h *Host) Addr() netip.Addr { return h.addr }

// NetNS is the name of the host's network namespace.
func (h *Host) NetNS() string { return nsName(h.net.id, h.name) }

// NetNSPath is the file of the host's network namespace, for nsenter
// --net or setns.
func (h *Host) NetNSPath() string { return filepath.Join(netnsDir, h.NetNS()) }

// Command returns a command that runs name with args inside the host's
// network namespace. It enters with nsenter, which leaves the mount
// namespace alone (`ip netns exec` remounts /sys, which breaks dockerd):
// the host sees the machine's files at the same paths.
func (h *Host) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("nsenter", append([]string{"--net=" + h.NetNSPath(), "--", name}, args...)...)
}

// Processes returns the IDs of the processes running on the host.
func (h *Host) Processes() ([]int, error) { return ProcessesIn(h.NetNSPath()) }
