package nomadtest

import (
	"context"
	"fmt"

	"github.com/hashicorp/nomad/api"
)

// waitNode waits for the node to be ready with every driver in
// opts.WaitDrivers detected and healthy.
func (c *Cluster) waitNode(ctx context.Context) error {
	return waitFor(ctx, "node "+c.name+" to be ready", func() (bool, string, error) {
		if !c.client.running() {
			return false, "", c.client.exitError()
		}
		nodes, _, err := c.API.Nodes().List(nil)
		if err != nil {
			return false, err.Error(), nil
		}
		for _, n := range nodes {
			if n.Name != c.name {
				continue
			}
			c.NodeID = n.ID
			if n.Status != api.NodeStatusReady {
				return false, "node status " + n.Status, nil
			}
			for _, d := range c.opts.WaitDrivers {
				if info := n.Drivers[d]; info == nil || !info.Detected || !info.Healthy {
					return false, fmt.Sprintf("driver %s: %s", d, describeDriver(info)), nil
				}
			}
			return true, "", nil
		}
		return false, "node not registered", nil
	})
}

func describeDriver(info *api.DriverInfo) string {
	if info == nil {
		return "not loaded"
	}
	return fmt.Sprintf("detected=%t healthy=%t %q", info.Detected, info.Healthy, info.HealthDescription)
}

// Driver returns what the node currently reports about a driver.
func (c *Cluster) Driver(name string) (*api.DriverInfo, error) {
	node, _, err := c.API.Nodes().Info(c.NodeID, nil)
	if err != nil {
		return nil, fmt.Errorf("read node %s: %w", c.NodeID, err)
	}
	info := node.Drivers[name]
	if info == nil {
		return nil, fmt.Errorf("node %s has no driver %s", c.NodeID, name)
	}
	return info, nil
}

// WaitDriver waits until the node reports the driver as healthy or, with
// healthy false, as unhealthy; it returns the last report.
func (c *Cluster) WaitDriver(ctx context.Context, name string, healthy bool) (*api.DriverInfo, error) {
	var info *api.DriverInfo
	err := waitFor(ctx, fmt.Sprintf("driver %s healthy=%t", name, healthy), func() (bool, string, error) {
		var err error
		if info, err = c.Driver(name); err != nil {
			return false, err.Error(), nil
		}
		return info.Detected && info.Healthy == healthy, describeDriver(info), nil
	})
	return info, err
}
