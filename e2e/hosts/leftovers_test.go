package hosts

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/dockmr/dockmr/devcluster"
	"github.com/dockmr/dockmr/devcluster/hosts"
	"github.com/dockmr/dockmr/internal/mountinfo"
)

// leftovers is what a cluster on hosts made, taken while it runs, so that
// check can tell whether any of it is still there once it is closed.
type leftovers struct {
	id         string
	link       string
	namespaces []string // the hosts' and the switch's namespace files
	nsLinks    []string // the hosts' namespaces as /proc/PID/ns/net shows them
	dirs       []string // the daemons' directory and the state directory
	marker     string   // in the environment of the agents and what they start
}

// snapshot takes what the cluster made.
func snapshot(c *devcluster.Cluster) leftovers {
	l := leftoversOf(c.Network().ID())
	l.marker = c.Marker()
	l.dirs = append(l.dirs, c.StateDir())
	return l
}

// leftoversOf takes what the network id made, as its names show: its
// namespaces, its interface, its daemons' directory.
func leftoversOf(id string) leftovers {
	l := leftovers{id: id, link: "dmr" + id}
	l.namespaces, _ = filepath.Glob(filepath.Join("/run/netns", "dmr-"+id+"-*"))
	for _, ns := range l.namespaces {
		var st syscall.Stat_t
		if syscall.Stat(ns, &st) == nil {
			l.nsLinks = append(l.nsLinks, fmt.Sprintf("net:[%d]", st.Ino))
		}
	}
	// The daemons' directory: /tmp/dmr-ID-xxxx, holding client-N/docker.sock.
	l.dirs, _ = filepath.Glob(filepath.Join(os.TempDir(), "dmr-"+id+"-*"))
	return l
}

// check returns an error naming whatever of the cluster is still there:
// a namespace, the machine's interface, the record, a process in one of
// the namespaces or started by an agent, a mount or a directory.
func (l leftovers) check() error {
	var errs []error
	for _, ns := range l.namespaces {
		if _, err := os.Stat(ns); err == nil {
			errs = append(errs, fmt.Errorf("namespace %s is left", ns))
		}
	}
	if _, err := os.Stat("/sys/class/net/" + l.link); err == nil {
		errs = append(errs, fmt.Errorf("interface %s is left", l.link))
	}
	if _, err := os.Stat(filepath.Join(hosts.RecordDir, l.id+".json")); err == nil {
		errs = append(errs, fmt.Errorf("record %s.json is left", l.id))
	}
	errs = append(errs, l.checkProcesses())
	for _, d := range l.dirs {
		if mounts, _ := mountinfo.Under(d); len(mounts) > 0 {
			errs = append(errs, fmt.Errorf("mounts under %s are left: %v", d, mounts))
		}
		if _, err := os.Stat(d); err == nil {
			errs = append(errs, fmt.Errorf("directory %s is left", d))
		}
	}
	return errors.Join(errs...)
}

// checkProcesses looks for a process in one of the hosts' namespaces
// (agents, daemons, containers), whether or not the namespace file is
// still there, or one with the cluster's marker.
func (l leftovers) checkProcesses() error {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		link, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pid))
		for _, ns := range l.nsLinks {
			if link == ns {
				errs = append(errs, fmt.Errorf("process %d (%s) is left on a host", pid, cmdline(pid)))
			}
		}
	}
	if l.marker == "" {
		return errors.Join(errs...)
	}
	pids, err := devcluster.Processes(l.marker)
	for _, pid := range pids {
		errs = append(errs, fmt.Errorf("process %d (%s) of the cluster's agents is left", pid, cmdline(pid)))
	}
	return errors.Join(append(errs, err)...)
}

func cmdline(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
}
