package nomadtest

import (
	"fmt"
	"strings"
	"text/template"
)

// Options configure a test cluster. The zero value is usable: it loads the
// driver with its default configuration and waits for it to be healthy.
type Options struct {
	// Binaries locates nomad and the plugin; zero means FindBinaries.
	Binaries Binaries
	// DriverConfig is the HCL body of `plugin "dockmr-driver" { config { ... } }`.
	DriverConfig string
	// DockerConfig is the HCL body of Nomad's `plugin "docker" { config { ... } }`;
	// empty means DefaultDockerConfig.
	DockerConfig string
	// WaitDrivers are the drivers that must be detected and healthy before
	// Start returns; nil means just dockmr-driver.
	WaitDrivers []string
	// ExtraConfig is appended verbatim to the agent configuration.
	ExtraConfig string
}

// DefaultDockerConfig keeps Nomad's docker driver from deleting images and
// from reaping containers it does not track: tests on the same Docker daemon
// share the test image, and other agents' containers are not ours to remove.
const DefaultDockerConfig = `gc {
      image = false
      dangling_containers {
        enabled = false
      }
    }`

// ports are an agent's listeners; they are chosen once so that a restarted
// agent comes back on the same addresses.
type ports struct {
	HTTP, RPC, Serf int
}

// agentConfig is everything rendered into an agent's HCL file.
type agentConfig struct {
	Name    string
	DataDir string
	Ports   ports

	// Client agents only.
	ServerRPC    int
	PluginDir    string
	DriverName   string
	DriverConfig string
	DockerConfig string
	ExtraConfig  string
}

const commonTemplate = `name                 = "{{.Name}}"
data_dir             = "{{.DataDir}}"
bind_addr            = "127.0.0.1"
log_level            = "DEBUG"
disable_update_check = true

advertise {
  http = "127.0.0.1"
  rpc  = "127.0.0.1"
  serf = "127.0.0.1"
}

ports {
  http = {{.Ports.HTTP}}
  rpc  = {{.Ports.RPC}}
  serf = {{.Ports.Serf}}
}
`

// The cluster's server and client are separate agents rather than one -dev
// agent: -dev keeps all state in memory, so a restarted agent would forget
// its jobs and could not recover running tasks; and a combined server+client
// agent's first registration races the server's keyring, costing a 15-30 s
// retry on every start.
var (
	serverTemplate = template.Must(template.New("server").Parse(commonTemplate + `
server {
  enabled          = true
  bootstrap_expect = 1
}
`))

	clientTemplate = template.Must(template.New("client").Parse(commonTemplate + `
plugin_dir = "{{.PluginDir}}"

client {
  enabled           = true
  servers           = ["127.0.0.1:{{.ServerRPC}}"]
  network_interface = "lo"
  gc_interval       = "1h"
  options = {
    # The cloud fingerprinters fail to start in an agent built from source.
    "fingerprint.denylist" = "env_aws,env_gce,env_azure,env_digitalocean"
  }
}

# Nomad collects task stats (and serves them from the allocation stats API)
# only when it publishes allocation metrics; -dev turns this on implicitly.
telemetry {
  publish_allocation_metrics = true
  collection_interval        = "1s"
}

plugin "{{.DriverName}}" {
  config {
    {{.DriverConfig}}
  }
}

plugin "docker" {
  config {
    {{.DockerConfig}}
  }
}
{{.ExtraConfig}}
`))
)

// renderServerConfig returns the configuration file of the server agent.
func renderServerConfig(c agentConfig) (string, error) { return render(serverTemplate, c) }

// renderClientConfig returns the configuration file of the client agent.
func renderClientConfig(c agentConfig) (string, error) { return render(clientTemplate, c) }

func render(t *template.Template, c agentConfig) (string, error) {
	for field, v := range map[string]string{"name": c.Name, "data_dir": c.DataDir, "plugin_dir": c.PluginDir} {
		if strings.ContainsAny(v, "\"\\\n$") {
			return "", fmt.Errorf("agent %s %q contains a character that HCL strings would need escaped", field, v)
		}
	}
	var b strings.Builder
	if err := t.Execute(&b, c); err != nil {
		return "", fmt.Errorf("render %s agent config: %w", t.Name(), err)
	}
	return b.String(), nil
}
