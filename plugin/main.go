// Command dockmr-driver is the Nomad task driver plugin that runs each task
// as a host-networked Docker container. Nomad starts it from the agent's
// plugin_dir when the agent config has a `plugin "dockmr-driver"` block.
package main

import (
	"fmt"
	"os"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/nomad/plugins"

	"github.com/dockmr/dockmr/driver"
)

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
}
