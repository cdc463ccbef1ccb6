// Package dockerdtest runs a private Docker daemon for tests that stop,
// restart or break the daemon: the machine's shared daemon serves every
// other test and must never be touched. The daemon itself is
// internal/dockerd's; this package adds what tests need around it.
package dockerdtest

import (
	"context"

	"github.com/dockmr/dockmr/internal/dockerd"
)

// Options configure a Daemon.
type Options = dockerd.Options

// Daemon is a private dockerd.
type Daemon = dockerd.Daemon

// Start starts a private daemon in a new temporary directory (unless
// opts.Dir names one) and waits until it answers. Close stops it and
// removes the directory.
func Start(ctx context.Context, opts Options) (*Daemon, error) {
	// Its own containerd namespaces, should it ever share a system
	// containerd with the machine's daemon.
	if opts.Namespace == "" {
		opts.Namespace = "dockerdtest"
	}
	return dockerd.Start(ctx, opts)
}
