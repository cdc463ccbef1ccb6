package devcluster

import (
	"fmt"
	"strings"
	"text/template"
)

// ports are an agent's listeners, chosen once so that they stay the same
// for the life of the cluster.
type ports struct {
	HTTP, RPC, Serf int
}

// agentConfig is what an agent's HCL configuration file is made of.
type agentConfig struct {
	Name string
	// Addr is the address the agent binds and advertises: 127.0.0.1, or
	// its host's address on a network of hosts.
	Addr     string
	DataDir  string
	LogLevel string
	Ports    ports
	ACL      bool

	// Client agents only.
	Servers []string // RPC addresses, host:port
	// Interface is the network interface the client fingerprints: lo,
	// or its host's eth0.
	Interface    string
	PluginDir    string
	AllowedMount string // empty leaves allowed_mounts out
	// ShuffleDir and ShuffleAddr, when set, give the node a shuffle
	// server: node meta, and the directory in allowed_mounts.
	ShuffleDir   string
	ShuffleAddr  string
	TaskRuntime  string // empty leaves task_runtime out
	TaskUser     string // empty leaves default_user out
	DriverConfig string
	DockerConfig string
	// DockerEndpoint is both docker drivers' endpoint; empty leaves it
	// out, for DOCKER_HOST or Docker's default socket.
	DockerEndpoint string
}

const commonTemplate = `# Written by dockmr dev; rewritten on every start.
name                 = "{{.Name}}"
data_dir             = "{{.DataDir}}"
bind_addr            = "{{.Addr}}"
log_level            = "{{.LogLevel}}"
disable_update_check = true

advertise {
  http = "{{.Addr}}"
  rpc  = "{{.Addr}}"
  serf = "{{.Addr}}"
}

ports {
  http = {{.Ports.HTTP}}
  rpc  = {{.Ports.RPC}}
  serf = {{.Ports.Serf}}
}
{{- if .ACL}}

acl {
  enabled = true
}
{{- end}}
`

var (
	serverTemplate = template.Must(template.New("server").Parse(commonTemplate + `
server {
  enabled          = true
  bootstrap_expect = 1

  # A task's memory_max lets it use more than it reserves. A map or reduce
  # streams files far larger than its memory, and in cgroup v1 the page
  # cache of those files counts against the container's limit: at the bare
  # reservation the kernel throttles the task's writes.
  default_scheduler_config {
    memory_oversubscription_enabled = true
  }
}
`))

	clientTemplate = template.Must(template.New("client").Parse(commonTemplate + `
plugin_dir = "{{.PluginDir}}"

client {
  enabled           = true
  servers           = [{{range $i, $s := .Servers}}{{if $i}}, {{end}}"{{$s}}"{{end}}]
  network_interface = "{{.Interface}}"

{{- if .ShuffleDir}}

  meta {
    dockmr_shuffle_dir  = "{{.ShuffleDir}}"
    dockmr_shuffle_addr = "{{.ShuffleAddr}}"
  }
{{- end}}

  options = {
    # The agent built from the dockmr module cannot set up the cloud
    # metadata clients, and its client fails to start while they are on.
    "fingerprint.denylist" = "env_aws,env_gce,env_azure,env_digitalocean"
  }
}

# Task stats reach the allocation stats API only when allocation metrics
# are published.
telemetry {
  publish_allocation_metrics = true
  collection_interval        = "1s"
}

plugin "dockmr-driver" {
  config {
{{- if .AllowedMount}}
    allowed_mounts = ["{{.AllowedMount}}"{{if .ShuffleDir}}, "{{.ShuffleDir}}"{{end}}]
{{- end}}
{{- if .TaskRuntime}}
    task_runtime   = "{{.TaskRuntime}}"
{{- end}}
{{- if .TaskUser}}
    default_user   = "{{.TaskUser}}"
{{- end}}
{{- if .DockerEndpoint}}
    endpoint       = "{{.DockerEndpoint}}"
{{- end}}
    {{.DriverConfig}}
  }
}

plugin "docker" {
  config {
{{- if .DockerEndpoint}}
    endpoint = "{{.DockerEndpoint}}"
{{- end}}
    {{.DockerConfig}}
  }
}
`))
)

// renderServer returns the server agent's configuration file.
func renderServer(c agentConfig) (string, error) { return render(serverTemplate, c) }

// renderClient returns a client agent's configuration file.
func renderClient(c agentConfig) (string, error) { return render(clientTemplate, c) }

func render(t *template.Template, c agentConfig) (string, error) {
	if c.Addr == "" {
		c.Addr = "127.0.0.1"
	}
	if c.Interface == "" {
		c.Interface = "lo"
	}
	for field, v := range map[string]string{
		"name": c.Name, "data_dir": c.DataDir, "plugin_dir": c.PluginDir,
		"allowed_mounts": c.AllowedMount, "task_runtime": c.TaskRuntime,
		"endpoint": c.DockerEndpoint, "dockmr_shuffle_dir": c.ShuffleDir,
	} {
		if err := checkHCLString("agent "+field, v); err != nil {
			return "", err
		}
	}
	var b strings.Builder
	if err := t.Execute(&b, c); err != nil {
		return "", fmt.Errorf("render %s agent configuration: %w", t.Name(), err)
	}
	return b.String(), nil
}
