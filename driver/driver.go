// Package driver is dockmr-driver, a Nomad task driver that runs every task
// as one host-networked Docker container. It is the container executor of
// dockmr: Nomad schedules map and reduce tasks, this driver runs them.
package driver

import (
	"context"
	"fmt"
	"sync"

	"github.com/docker/docker/client"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/nomad/client/lib/cpustats"
	"github.com/hashicorp/nomad/drivers/shared/eventer"
	"github.com/hashicorp/nomad/plugins/base"
	"github.com/hashicorp/nomad/plugins/drivers"
	"github.com/hashicorp/nomad/plugins/drivers/fsisolation"
	"github.com/hashicorp/nomad/plugins/shared/hclspec"

	"github.com/dockmr/dockmr/contract"
)

const (
	// PluginVersion is reported to Nomad in the plugin info.
	PluginVersion = "0.1.0"

	// taskHandleVersion versions the saved driver state.
	taskHandleVersion = 1
)

var pluginInfo = &base.PluginInfoResponse{
	Type:              base.PluginTypeDriver,
	PluginApiVersions: []string{drivers.ApiVersion010},
	PluginVersion:     PluginVersion,
	Name:              contract.DriverName,
}

// capabilities: a container has its own filesystem from its image, and
// shares the host's network namespace, which is the only network mode
// offered so that shuffle traffic runs at host speed.
var capabilities = &drivers.Capabilities{
	SendSignals:          true,
	Exec:                 true,
	FSIsolation:          fsisolation.Image,
	NetIsolationModes:    []drivers.NetIsolationMode{drivers.NetIsolationModeHost},
	MountConfigs:         drivers.MountConfigSupportAll,
	DisableLogCollection: false,
}

// Driver is the dockmr-driver plugin.
type Driver struct {
	eventer *eventer.Eventer
	logger  hclog.Logger

	// ctx is cancelled when the plugin shuts down, stopping background
	// loops (fingerprint, reconciler); running containers are left alone.
	ctx    context.Context
	cancel context.CancelFunc

	tasks  *taskStore
	keeper *fifoKeeper

	mu         sync.RWMutex
	config     *PluginConfig
	docker     *client.Client
	images     *imageCoordinator
	nodeID     string
	compute    cpustats.Compute
	reconciler *reconciler

	// recheck asks the fingerprint loop to check the daemon now rather
	// than at the end of its healthy period.
	recheck chan struct{}
}

// New returns the driver; Nomad then calls SetConfig before anything else.
func New(logger hclog.Logger) drivers.DriverPlugin {
	ctx, cancel := context.WithCancel(context.Background())
	logger = logger.Named(contract.DriverName)
	d := &Driver{
		eventer: eventer.NewEventer(ctx, logger),
		logger:  logger,
		ctx:     ctx,
		cancel:  cancel,
		tasks:   newTaskStore(),
		keeper:  newFIFOKeeper(defaultKeeperSocket()),
		config:  &PluginConfig{},
		recheck: make(chan struct{}, 1),
	}
	d.registerRunningGauge()
	return d
}

// PluginInfo describes the plugin to Nomad.
func (d *Driver) PluginInfo() (*base.PluginInfoResponse, error) { return pluginInfo, nil }

// ConfigSchema is the schema of the agent's plugin config block.
func (d *Driver) ConfigSchema() (*hclspec.Spec, error) { return configSpec, nil }

// TaskConfigSchema is the schema of a task's config block.
func (d *Driver) TaskConfigSchema() (*hclspec.Spec, error) { return taskConfigSpec, nil }

// Capabilities advertises host networking only.
func (d *Driver) Capabilities() (*drivers.Capabilities, error) { return capabilities, nil }

// TaskEvents streams driver events (pull progress, container started).
func (d *Driver) TaskEvents(ctx context.Context) (<-chan *drivers.TaskEvent, error) {
	return d.eventer.TaskEvents(ctx)
}

// SetConfig decodes and validates the plugin config and connects to Docker.
func (d *Driver) SetConfig(cfg *base.Config) error {
	var config PluginConfig
	if len(cfg.PluginConfig) != 0 {
		if err := base.MsgPackDecode(cfg.PluginConfig, &config); err != nil {
			return fmt.Errorf("decode plugin config: %w", err)
		}
	}
	if err := config.validate(); err != nil {
		return fmt.Errorf("plugin %q config: %w", contract.DriverName, err)
	}

	docker, err := newDockerClient(config.Endpoint)
	if err != nil {
		return err
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	if d.reconciler != nil {
		d.reconciler.stop()
	}
	d.config = &config
	if cfg.AgentConfig != nil {
		d.compute = cfg.AgentConfig.Compute()
	}
	d.docker = docker
	d.images = newImageCoordinator(docker, d.logger)
	d.reconciler = newReconciler(d, docker, config.GC.DanglingContainers)
	d.reconciler.start(d.ctx)
	return nil
}

// Shutdown stops the plugin's background work. Containers keep running:
// a restarted plugin recovers them.
func (d *Driver) Shutdown() {
	d.cancel()
	d.tasks.each(func(h *taskHandle) { h.detach() })
}

// newDockerClient connects to endpoint, or to what Docker's environment
// (DOCKER_HOST, DOCKER_CERT_PATH, …) names when endpoint is empty. The API
// version is negotiated so one plugin build works with old and new daemons.
func newDockerClient(endpoint string) (*client.Client, error) {
	opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation(), client.WithTraceOptions(dockerCallFilter)}
	if endpoint != "" {
		opts = append(opts, client.WithHost(endpoint))
	}
	c, err := client.NewClientWithOpts(opts...)
	if err != nil {
		return nil, fmt.Errorf("endpoint: cannot use Docker endpoint %q: %w", endpoint, err)
	}
	return c, nil
}

// current returns the config, client and image coordinator together, as
// SetConfig may replace them.
func (d *Driver) current() (*PluginConfig, *client.Client, *imageCoordinator) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.config, d.docker, d.images
}

// learnNodeID records the node this plugin serves. Nomad does not hand it
// to plugins at start, so it comes from the first task; until then the
// reconciler removes nothing.
func (d *Driver) learnNodeID(id string) {
	if id == "" {
		return
	}
	d.mu.Lock()
	d.nodeID = id
	d.mu.Unlock()
}

func (d *Driver) knownNodeID() string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.nodeID
}

func (d *Driver) nodeCompute() cpustats.Compute {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.compute
}
