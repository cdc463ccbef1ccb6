package driver

import (
	"context"
	"fmt"
	"time"

	"github.com/docker/docker/client"
	"github.com/hashicorp/nomad/plugins/drivers"
	pstructs "github.com/hashicorp/nomad/plugins/shared/structs"

	"github.com/dockmr/dockmr/contract"
)

// Fingerprint periods: a healthy daemon is checked now and then; an
// unreachable one often, so the node takes tasks again soon after the
// daemon is back.
var (
	fingerprintHealthyPeriod   = 15 * time.Second
	fingerprintUnhealthyPeriod = 2 * time.Second
)

// Fingerprint reports the driver's health and the Docker daemon's
// version, API version and cgroup version as node attributes.
func (d *Driver) Fingerprint(ctx context.Context) (<-chan *drivers.Fingerprint, error) {
	ch := make(chan *drivers.Fingerprint)
	go d.fingerprintLoop(ctx, ch)
	return ch, nil
}

func (d *Driver) fingerprintLoop(ctx context.Context, ch chan<- *drivers.Fingerprint) {
	defer close(ch)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.ctx.Done():
			return
		case <-timer.C:
		case <-d.recheck:
		}
		fp := d.fingerprint(ctx)
		select {
		case ch <- fp:
		case <-ctx.Done():
			return
		case <-d.ctx.Done():
			return
		}
		if fp.Health == drivers.HealthStateHealthy {
			timer.Reset(fingerprintHealthyPeriod)
		} else {
			timer.Reset(fingerprintUnhealthyPeriod)
		}
	}
}

// recheckHealth has the fingerprint loop check the daemon at once. A task
// that finds the daemon gone calls it: until the node reports the driver
// unhealthy, Nomad goes on placing tasks there, each of which fails and
// uses up an attempt.
func (d *Driver) recheckHealth() {
	select {
	case d.recheck <- struct{}{}:
	default: // one is pending already
	}
}

func (d *Driver) fingerprint(ctx context.Context) *drivers.Fingerprint {
	_, docker, _ := d.current()
	if docker == nil {
		return &drivers.Fingerprint{Health: drivers.HealthStateUndetected, HealthDescription: "driver is not configured yet"}
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	attrs, err := dockerAttributes(ctx, docker)
	if err != nil {
		return &drivers.Fingerprint{
			Health:            drivers.HealthStateUnhealthy,
			HealthDescription: fmt.Sprintf("Docker daemon at %s is unreachable: %v", docker.DaemonHost(), err),
		}
	}
	return &drivers.Fingerprint{
		Attributes:        attrs,
		Health:            drivers.HealthStateHealthy,
		HealthDescription: drivers.DriverHealthy,
	}
}

// dockerAttributes reads what jobs may constrain on: the engine version,
// API version and cgroup version of the node's daemon.
func dockerAttributes(ctx context.Context, docker *client.Client) (map[string]*pstructs.Attribute, error) {
	version, err := docker.ServerVersion(ctx)
	if err != nil {
		return nil, err
	}
	info, err := docker.Info(ctx)
	if err != nil {
		return nil, err
	}
	prefix := "driver." + contract.DriverName + "."
	attrs := map[string]*pstructs.Attribute{
		"driver." + contract.DriverName: pstructs.NewBoolAttribute(true),
		prefix + "version":              pstructs.NewStringAttribute(version.Version),
		prefix + "api_version":          pstructs.NewStringAttribute(version.APIVersion),
		prefix + "cgroup_version":       pstructs.NewStringAttribute(info.CgroupVersion),
		prefix + "cgroup_driver":        pstructs.NewStringAttribute(info.CgroupDriver),
		prefix + "plugin_version":       pstructs.NewStringAttribute(PluginVersion),
	}
	return attrs, nil
}
