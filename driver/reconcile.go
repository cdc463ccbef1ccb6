package driver

import (
	"context"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
	"github.com/hashicorp/go-hclog"
)

// reconciler removes dangling containers: containers labelled for this
// node that no task of this plugin tracks, such as one created just before
// the plugin crashed. Containers of other nodes sharing the daemon, and
// containers without dockmr's labels, are never touched.
type reconciler struct {
	d      *Driver
	docker *client.Client
	logger hclog.Logger
	config DanglingConfig
	cancel context.CancelFunc
}

func newReconciler(d *Driver, docker *client.Client, config DanglingConfig) *reconciler {
	return &reconciler{d: d, docker: docker, logger: d.logger.Named("reconciler"), config: config}
}

func (r *reconciler) start(parent context.Context) {
	if !r.config.Enabled {
		return
	}
	ctx, cancel := context.WithCancel(parent)
	r.cancel = cancel
	go r.loop(ctx)
}

func (r *reconciler) stop() {
	if r.cancel != nil {
		r.cancel()
	}
}

func (r *reconciler) loop(ctx context.Context) {
	ticker := time.NewTicker(r.config.period)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		if err := r.once(ctx, time.Now()); err != nil {
			r.logger.Warn("dangling container check failed", "error", err)
		}
	}
}

// once removes this node's untracked containers older than the grace
// period, which leaves time for a starting task to be recorded.
func (r *reconciler) once(ctx context.Context, now time.Time) error {
	nodeID := r.d.knownNodeID()
	if nodeID == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	list, err := r.docker.ContainerList(ctx, container.ListOptions{
		All:     true,
		Filters: filters.NewArgs(filters.Arg("label", labelNodeID+"="+nodeID)),
	})
	if err != nil {
		return err
	}
	tracked := r.d.tasks.containerIDs()
	for _, c := range danglingContainers(list, tracked, nodeID, now, r.config.creationGrace) {
		r.logger.Info("removing dangling container", "container_id", c.ID, "names", c.Names, "alloc_id", c.Labels[labelAllocID])
		r.d.removeContainer(r.docker, c.ID)
	}
	return nil
}

// danglingContainers picks, from a daemon's list, the containers to remove.
func danglingContainers(list []container.Summary, tracked map[string]bool, nodeID string, now time.Time, grace time.Duration) []container.Summary {
	var out []container.Summary
	for _, c := range list {
		if c.Labels[labelNodeID] != nodeID || c.Labels[labelAllocID] == "" {
			continue
		}
		if tracked[c.ID] {
			continue
		}
		if now.Sub(time.Unix(c.Created, 0)) < grace {
			continue
		}
		out = append(out, c)
	}
	return out
}
