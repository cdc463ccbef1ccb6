// Command dockmr-driver is the Nomad task driver plugin that runs each task
// as a host-networked Docker container. Nomad starts it from the agent's
// plugin_dir when the agent config has a `plugin "dockmr-driver"` block.
package main

import (
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/nomad/plugins"

	"github.com/dockmr/dockmr/driver"
)

func main() {
	driver.RunFIFOKeeperIfRequested()
	plugins.Serve(func(logger hclog.Logger) interface{} {
		return driver.New(logger)
	})
}
