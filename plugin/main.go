// Command dockmr-driver is the Nomad task driver plugin that runs each task
// as a host-networked Docker container. Nomad starts it from the agent's
// plugin_dir when the agent config has a `plugin "dockmr-driver"` block.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/nomad/plugins"

	"github.com/dockmr/dockmr/driver"
	"github.com/dockmr/dockmr/internal/telemetry"
)

// flushTimeout bounds how long a stopping plugin spends exporting its
// last spans and metrics.
const flushTimeout = 5 * time.Second

func main() {
	driver.RunFIFOKeeperIfRequested()

	var debug *debugAddr
	if v := os.Getenv(debugAddrEnv); v != "" {
		addr, err := parseDebugAddr(v, os.Getpid())
		if err != nil {
			fmt.Fprintln(os.Stderr, "dockmr-driver:", err)
			os.Exit(1)
		}
		debug = &addr
	}
	// Telemetry is configured by the agent's OTEL_* environment, which
	// Nomad passes to its plugins. A bad setting must not keep the
	// driver from running tasks: it is reported in the agent's log.
	shutdown, err := telemetry.Setup(context.Background(), telemetry.ServiceDriver)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dockmr-driver: telemetry off: %v\n", err)
		shutdown = func(context.Context) error { return nil }
	}
	var server *debugServer
	plugins.Serve(func(logger hclog.Logger) interface{} {
		if debug != nil {
			var err error
			if server, err = startDebugServer(*debug, logger); err != nil {
				logger.Error("debug listener not started", "error", err)
			}
		}
		return driver.New(logger)
	})
	server.close()
	ctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
	defer cancel()
	_ = shutdown(ctx)
}
