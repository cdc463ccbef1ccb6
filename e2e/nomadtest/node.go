package nomadtest

import (
	"context"
	"fmt"

	"github.com/hashicorp/nomad/api"
)

// describeDriver says what a node reports about a driver, for a wait to quote.
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
