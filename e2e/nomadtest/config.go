package nomadtest

import "github.com/dockmr/dockmr/devcluster"

// Options configure a test cluster. The zero value is usable: it loads the
// driver with its default configuration and waits for it to be healthy.
type Options struct {
	// Binaries locates nomad and the plugin; zero means FindBinaries.
	Binaries Binaries
	// DriverConfig is the whole HCL body of `plugin "dockmr-driver" {
	// config { ... } }`: tests choose every driver setting themselves.
	DriverConfig string
	// DockerConfig is the HCL body of Nomad's `plugin "docker" { config { ... } }`;
	// empty means DefaultDockerConfig.
	DockerConfig string
	// WaitDrivers are the drivers that must be detected and healthy before
	// Start returns; nil means just dockmr-driver.
	WaitDrivers []string
	// ExtraConfig is more client agent configuration, which Nomad merges
	// over the configuration the cluster writes.
	ExtraConfig string
}

// DefaultDockerConfig keeps Nomad's docker driver from deleting images and
// from reaping containers it does not track: tests on the same Docker daemon
// share the test image, and other agents' containers are not ours to remove.
const DefaultDockerConfig = devcluster.DefaultDockerConfig

// clientConfig keeps the client from collecting terminal allocations while
// a test still inspects them.
const clientConfig = `client {
  gc_interval = "1h"
}
`

// devOptions are the development cluster options that opts stand for: one
// client, on free ports, logging at DEBUG level to one file.
func (opts Options) devOptions() devcluster.Options {
	return devcluster.Options{
		Clients:         1,
		HTTPPort:        devcluster.AnyHTTPPort,
		Binaries:        opts.Binaries,
		DriverConfig:    opts.DriverConfig,
		OwnDriverConfig: true,
		DockerConfig:    opts.DockerConfig,
		ClientConfig:    clientConfig + opts.ExtraConfig,
		WaitDrivers:     opts.WaitDrivers,
		LogLevel:        "DEBUG",
		LogFile:         "nomad.log",
	}
}
