package driver

import (
	"time"

	"github.com/docker/docker/client"
)

// Removal retries, for a container whose task Nomad destroyed while the
// Docker daemon could not remove it (it was down or restarting): the
// container would otherwise stay, exited, until the dangling-container
// reconciler's next pass, or for good with the reconciler off.
const (
	removalFirstRetry = time.Second
	removalMaxBackoff = 30 * time.Second
	removalGiveUp     = 15 * time.Minute
)

// removeContainerEventually removes a destroyed task's container, and if
// the daemon fails to, keeps trying in the background until it succeeds,
// the plugin shuts down or removalGiveUp passes.
func (d *Driver) removeContainerEventually(docker *client.Client, id string) {
	err := tryRemoveContainer(docker, id)
	if err == nil {
		return
	}
	d.logger.Warn("failed to remove container; retrying in the background", "container", id, "error", err)
	go d.retryRemoval(docker, id, removalFirstRetry, removalGiveUp)
}

func (d *Driver) retryRemoval(docker *client.Client, id string, wait, giveUp time.Duration) {
	deadline := time.Now().Add(giveUp)
	for {
		select {
		case <-d.ctx.Done():
			return
		case <-time.After(wait):
		}
		err := tryRemoveContainer(docker, id)
		if err == nil {
			d.logger.Info("removed container after retrying", "container", id)
			return
		}
		if time.Now().After(deadline) {
			d.logger.Error("gave up removing container; the dangling-container reconciler may still",
				"container", id, "error", err)
			return
		}
		wait = min(2*wait, removalMaxBackoff)
	}
}
