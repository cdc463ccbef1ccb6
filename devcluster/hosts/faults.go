package hosts

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Cut takes the host's cable out of the switch: its port goes down, the
// host sees no carrier, and nothing passes between it and the other
// hosts or the machine until Restore. Its processes run on.
func (h *Host) Cut(ctx context.Context) error { return h.setPort(ctx, "down") }

// Restore puts the host's cable back after Cut, and waits until the
// switch forwards the host's frames and the host sees its carrier.
func (h *Host) Restore(ctx context.Context) error {
	if err := h.setPort(ctx, "up"); err != nil {
		return err
	}
	for {
		up, err := h.linkUp(ctx)
		if err != nil || up {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("restore host %s: its link did not come up: %w", h.name, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// linkUp reports whether the host's switch port forwards and its eth0
// has a carrier.
func (h *Host) linkUp(ctx context.Context) (bool, error) {
	var port []struct {
		LinkInfo struct {
			Slave struct {
				State string `json:"state"`
			} `json:"info_slave_data"`
		} `json:"linkinfo"`
	}
	var eth []struct {
		Flags []string `json:"flags"`
	}
	out, err := ip(ctx, "-j", "-d", "-n", h.net.rec.Switch, "link", "show", portName(h.index))
	if err == nil {
		err = json.Unmarshal(out, &port)
	}
	if err == nil {
		out, err = ip(ctx, "-j", "-n", h.NetNS(), "link", "show", hostIface)
	}
	if err == nil {
		err = json.Unmarshal(out, &eth)
	}
	if err != nil {
		return false, fmt.Errorf("host %s's link: %w", h.name, err)
	}
	return len(port) == 1 && port[0].LinkInfo.Slave.State == "forwarding" &&
		len(eth) == 1 && slices.Contains(eth[0].Flags, "LOWER_UP"), nil
}

func (h *Host) setPort(ctx context.Context, state string) error {
	if h.Removed() {
		return fmt.Errorf("host %s was removed", h.name)
	}
	if _, err := ip(ctx, "-n", h.net.rec.Switch, "link", "set", portName(h.index), state); err != nil {
		return fmt.Errorf("set host %s's port %s: %w", h.name, state, err)
	}
	return nil
}

// Remove loses the host for good, as a machine that burns down: every
// process in its namespace is killed, the directories given are
// unmounted and removed (the host's daemon's), and its namespace and
// cable are deleted.
func (h *Host) Remove(ctx context.Context, dirs ...string) error {
	h.net.mu.Lock()
	defer h.net.mu.Unlock()
	if h.removed {
		return nil
	}
	if err := killAllIn(h.NetNSPath()); err != nil {
		return fmt.Errorf("remove host %s: %w", h.name, err)
	}
	for _, d := range dirs {
		if err := removeDir(d); err != nil {
			return fmt.Errorf("remove host %s: %w", h.name, err)
		}
	}
	if err := deleteNetNS(ctx, h.NetNS()); err != nil {
		return fmt.Errorf("remove host %s: %w", h.name, err)
	}
	h.removed = true
	return nil
}

// Removed reports whether Remove has run.
func (h *Host) Removed() bool {
	h.net.mu.Lock()
	defer h.net.mu.Unlock()
	return h.removed
}
