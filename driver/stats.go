package driver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/nomad/client/lib/cpustats"
	"github.com/hashicorp/nomad/plugins/drivers"

	"github.com/dockmr/dockmr/driver/cgstats"
)

// hostRoot is where the host's /proc and /sys are seen from the plugin.
const hostRoot = "/"

// statsCollector produces a task's resource usage at the interval Nomad
// asks. It reads the container's cgroup and /proc directly (a few small
// file reads per sample, with the PIDs of every process in the container);
// only when those are not readable, as with a remote Docker endpoint, does
// it fall back to one-shot Docker stats calls. No stats stream is kept open.
type statsCollector struct {
	docker      *client.Client
	logger      hclog.Logger
	containerID string
	pid         int
	compute     cpustats.Compute
}

func newStatsCollector(docker *client.Client, logger hclog.Logger, id string, pid int, compute cpustats.Compute) *statsCollector {
	return &statsCollector{docker: docker, logger: logger.Named("stats"), containerID: id, pid: pid, compute: compute}
}

// sampleFunc returns one usage reading.
type sampleFunc func(now time.Time) (*drivers.TaskResourceUsage, error)

// stream sends a reading every interval until ctx ends or the container's
// cgroup is gone.
func (s *statsCollector) stream(ctx context.Context, interval time.Duration, done <-chan struct{}) <-chan *drivers.TaskResourceUsage {
	ch := make(chan *drivers.TaskResourceUsage)
	go func() {
		defer close(ch)
		sample, closeSampler := s.sampler()
		defer closeSampler()
		ticker := time.NewTicker(interval)
		defer ticker.Stop()
		for {
			began := time.Now()
			usage, err := sample(began)
			recordStats(time.Since(began))
			switch {
			case errors.Is(err, cgstats.ErrGone):
				return
			case err != nil:
				s.logger.Debug("stats sample failed", "error", err)
			default:
				select {
				case ch <- usage:
				case <-ctx.Done():
					return
				}
			}
			select {
			case <-ticker.C:
			case <-ctx.Done():
				return
			case <-done:
				return
			}
		}
	}()
	return ch
}

// sampler picks the cgroup reader, or the API fallback when the cgroup of
// the container's init process cannot be read from here. The returned
// function releases the files the cgroup reader keeps open.
func (s *statsCollector) sampler() (sampleFunc, func()) {
	if s.pid <= 0 {
		// The container exited before its PID could be read.
		return func(time.Time) (*drivers.TaskResourceUsage, error) { return nil, cgstats.ErrGone }, func() {}
	}
	cg, err := cgstats.NewSampler(hostRoot, s.pid, s.compute)
	if err == nil {
		return func(now time.Time) (*drivers.TaskResourceUsage, error) {
			u, err := cg.Sample(now)
			if err != nil {
				return nil, fmt.Errorf("sample cgroup of container %.12s: %w", s.containerID, err)
			}
			return u, nil
		}, func() { _ = cg.Close() }
	}
	if errors.Is(err, cgstats.ErrGone) {
		return func(time.Time) (*drivers.TaskResourceUsage, error) { return nil, err }, func() {}
	}
	s.logger.Info("container cgroup not readable; using Docker stats calls", "error", err)
	return s.apiSampler(), func() {}
}

// apiSampler takes one-shot stats from the daemon, keeping the previous
// reading for CPU rates.
func (s *statsCollector) apiSampler() sampleFunc {
	var prev *container.StatsResponse
	return func(time.Time) (*drivers.TaskResourceUsage, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		resp, err := s.docker.ContainerStatsOneShot(ctx, s.containerID)
		if err != nil {
			return nil, fmt.Errorf("stats of container %.12s: %w", s.containerID, err)
		}
		defer resp.Body.Close()
		var cur container.StatsResponse
		if err := json.NewDecoder(resp.Body).Decode(&cur); err != nil {
			return nil, fmt.Errorf("decode stats of container %.12s: %w", s.containerID, err)
		}
		usage := cgstats.FromDockerStats(&cur, prev, s.compute)
		prev = &cur
		return usage, nil
	}
}
