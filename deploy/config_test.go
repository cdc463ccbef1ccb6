package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/hcl"
	"github.com/shoenig/test/must"
)

// nodeValues are the settings render-config.sh reads, as provision.sh
// passes them.
type nodeValues struct {
	name, ip, server, iface, dataDir, prefix string
	shuffleDir, shufflePort                  string
}

func (v nodeValues) env() []string {
	env := cleanEnv(
		"DOCKMR_NODE_NAME="+v.name,
		"DOCKMR_NODE_IP="+v.ip,
		"DOCKMR_SERVER="+v.server,
		"DOCKMR_INTERFACE="+v.iface,
	)
	// Left unset, the script's defaults apply.
	if v.dataDir != "" {
		env = append(env, "DOCKMR_DATA_DIR="+v.dataDir)
	}
	if v.prefix != "" {
		env = append(env, "DOCKMR_PREFIX="+v.prefix)
	}
	if v.shuffleDir != "" {
		env = append(env, "DOCKMR_SHUFFLE_DIR="+v.shuffleDir)
	}
	if v.shufflePort != "" {
		env = append(env, "DOCKMR_SHUFFLE_PORT="+v.shufflePort)
	}
	return env
}

// testClient differs from every default, so that the checks below see the
// values filled in rather than the template's own.
var testClient = nodeValues{
	name:    "client7",
	ip:      "10.1.2.17",
	server:  "10.1.2.10",
	iface:   "ens7",
	dataDir: "/data/shared",
	prefix:  "/usr/lib/dockmr",
}

var testServer = nodeValues{name: "server", ip: "10.1.2.10"}

// render runs deploy/render-config.sh, which provision.sh uses to write
// /etc/nomad.d/ROLE.hcl.
func render(t *testing.T, role string, v nodeValues) output {
	t.Helper()
	return run(t, v.env(), filepath.Join(repoRoot(t), "deploy", "render-config.sh"), role)
}

// renderFile renders a configuration that must be accepted into a file.
func renderFile(t *testing.T, role string, v nodeValues) string {
	t.Helper()
	out := render(t, role, v)
	must.Eq(t, 0, out.code, out.show())
	must.Eq(t, "", out.stderr)
	path := filepath.Join(t.TempDir(), role+".hcl")
	must.NoError(t, os.WriteFile(path, []byte(out.stdout), 0o644))
	return path
}

// TestAgentConfigsPassNomadValidate parses the rendered configurations with
// the agent built from this module, as `nomad agent -config` would.
func TestAgentConfigsPassNomadValidate(t *testing.T) {
	nomad := nomadBinary(t)
	for role, v := range map[string]nodeValues{"server": testServer, "client": testClient} {
		t.Run(role, func(t *testing.T) {
			path := renderFile(t, role, v)
			out := run(t, cleanEnv(), nomad, "config", "validate", path)
			must.Eq(t, 0, out.code, out.show())
			must.StrContains(t, out.stdout, "Configuration is valid")
		})
	}
	t.Run("a key the agent does not know fails", func(t *testing.T) {
		path := renderFile(t, "client", testClient)
		f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		must.NoError(t, err)
		_, err = f.WriteString("\nclient_pool = \"x\"\n")
		must.NoError(t, err)
		must.NoError(t, f.Close())
		out := run(t, cleanEnv(), nomad, "config", "validate", path)
		must.NotEq(t, 0, out.code, out.show())
		must.StrContains(t, out.stdout+out.stderr, "client_pool")
	})
}

// clientConfig is the part of a client agent's configuration dockmr relies on.
type clientConfig struct {
	Name      string `hcl:"name"`
	BindAddr  string `hcl:"bind_addr"`
	PluginDir string `hcl:"plugin_dir"`
	Advertise struct {
		HTTP string `hcl:"http"`
		RPC  string `hcl:"rpc"`
		Serf string `hcl:"serf"`
	} `hcl:"advertise"`
	Client struct {
		Enabled          bool              `hcl:"enabled"`
		Servers          []string          `hcl:"servers"`
		NetworkInterface string            `hcl:"network_interface"`
		Options          map[string]string `hcl:"options"`
		Meta             map[string]string `hcl:"meta"`
		Reserved         struct {
			ReservedPorts string `hcl:"reserved_ports"`
		} `hcl:"reserved"`
	} `hcl:"client"`
	Server []any `hcl:"server"`
	Plugin map[string]struct {
		Config pluginConfig `hcl:"config"`
	} `hcl:"plugin"`
}

// pluginConfig holds the plugin settings checked below, of dockmr-driver
// and of Nomad's docker driver.
type pluginConfig struct {
	AllowedMounts []string `hcl:"allowed_mounts"`
	TaskRuntime   string   `hcl:"task_runtime"`
	GC            struct {
		Container *bool `hcl:"container"`
		Image     *bool `hcl:"image"`
	} `hcl:"gc"`
}

// placeholder is how the templates in deploy/nomad mark a value to fill in.
var placeholder = regexp.MustCompile(`@[A-Z_]+@`)

// TestClientConfigLoadsDockmrDriver renders a client's configuration the
// way provision.sh does, starting nothing, and checks what the driver and
// the cluster need from it.
func TestClientConfigLoadsDockmrDriver(t *testing.T) {
	out := render(t, "client", testClient)
	must.Eq(t, 0, out.code, out.show())
	must.SliceEmpty(t, placeholder.FindAllString(out.stdout, -1), must.Sprint("placeholders left unfilled"))

	var cfg clientConfig
	must.NoError(t, hcl.Decode(&cfg, out.stdout), out.show())

	must.Eq(t, "client7", cfg.Name)
	must.Eq(t, "0.0.0.0", cfg.BindAddr)
	must.Eq(t, "10.1.2.17", cfg.Advertise.HTTP)
	must.Eq(t, "10.1.2.17", cfg.Advertise.RPC)
	must.Eq(t, "10.1.2.17", cfg.Advertise.Serf)
	must.True(t, cfg.Client.Enabled)
	must.SliceEmpty(t, cfg.Server)
	must.Eq(t, []string{"10.1.2.10:4647"}, cfg.Client.Servers)
	must.Eq(t, "ens7", cfg.Client.NetworkInterface)
	denied := strings.Split(cfg.Client.Options["fingerprint.denylist"], ",")
	must.SliceContainsSubset(t, denied, []string{"env_aws", "env_gce", "env_azure", "env_digitalocean"})

	// The plugin block is named like the binary provision.sh installs in
	// plugin_dir, or Nomad does not load it.
	must.Eq(t, "/usr/lib/dockmr/plugins", cfg.PluginDir)
	must.MapContainsKeys(t, cfg.Plugin, []string{"dockmr-driver", "docker"})
	driver := cfg.Plugin["dockmr-driver"].Config
	must.Eq(t, []string{"/data/shared", "/var/lib/dockmr/shuffle"}, driver.AllowedMounts)
	must.Eq(t, "/usr/lib/dockmr/bin/dockmr-task", driver.TaskRuntime)
	must.NotNil(t, driver.GC.Container)

	// The shuffle server's directory and address, and its port kept from
	// tasks.
	must.Eq(t, map[string]string{
		"dockmr_shuffle_dir":  "/var/lib/dockmr/shuffle",
		"dockmr_shuffle_addr": "10.1.2.17:13562",
	}, cfg.Client.Meta)
	must.Eq(t, "13562", cfg.Client.Reserved.ReservedPorts)
	must.True(t, *driver.GC.Container)

	// The docker driver keeps the images loaded on the client, which no
	// registry could give back.
	docker := cfg.Plugin["docker"].Config
	must.NotNil(t, docker.GC.Image)
	must.False(t, *docker.GC.Image)
}

func TestClientConfigDefaults(t *testing.T) {
	v := testClient
	v.dataDir, v.prefix = "", ""
	out := render(t, "client", v)
	must.Eq(t, 0, out.code, out.show())
	var cfg clientConfig
	must.NoError(t, hcl.Decode(&cfg, out.stdout), out.show())
	must.Eq(t, "/opt/dockmr/plugins", cfg.PluginDir)
	driver := cfg.Plugin["dockmr-driver"].Config
	must.Eq(t, []string{"/srv/dockmr", "/var/lib/dockmr/shuffle"}, driver.AllowedMounts)
	must.Eq(t, "/opt/dockmr/bin/dockmr-task", driver.TaskRuntime)
}

func TestServerConfig(t *testing.T) {
	out := render(t, "server", testServer)
	must.Eq(t, 0, out.code, out.show())
	var cfg struct {
		Name      string `hcl:"name"`
		Advertise struct {
			RPC string `hcl:"rpc"`
		} `hcl:"advertise"`
		Server struct {
			Enabled         bool `hcl:"enabled"`
			BootstrapExpect int  `hcl:"bootstrap_expect"`
		} `hcl:"server"`
		Client []any `hcl:"client"`
	}
	must.NoError(t, hcl.Decode(&cfg, out.stdout), out.show())
	must.Eq(t, "server", cfg.Name)
	must.Eq(t, "10.1.2.10", cfg.Advertise.RPC)
	must.True(t, cfg.Server.Enabled)
	must.Eq(t, 1, cfg.Server.BootstrapExpect)
	must.SliceEmpty(t, cfg.Client)
}

// TestRenderRejectsBadValues: a bad value is an error naming it, and no
// half configuration is printed.
func TestRenderRejectsBadValues(t *testing.T) {
	cases := []struct {
		name string
		role string
		edit func(*nodeValues)
		want string
	}{
		{"no node name", "client", func(v *nodeValues) { v.name = "" }, `DOCKMR_NODE_NAME="" is not accepted`},
		{"spaced node name", "server", func(v *nodeValues) { v.name = "client 7" }, `DOCKMR_NODE_NAME="client 7" is not accepted`},
		{"short address", "server", func(v *nodeValues) { v.ip = "10.1.2" }, `DOCKMR_NODE_IP="10.1.2" is not accepted: want an IPv4 address`},
		{"address part over 255", "client", func(v *nodeValues) { v.ip = "10.1.2.256" }, `DOCKMR_NODE_IP="10.1.2.256" is not accepted`},
		{"leading zero", "client", func(v *nodeValues) { v.ip = "10.1.2.017" }, `DOCKMR_NODE_IP="10.1.2.017" is not accepted`},
		{"host name as server", "client", func(v *nodeValues) { v.server = "server.local" }, `DOCKMR_SERVER="server.local" is not accepted`},
		{"no server", "client", func(v *nodeValues) { v.server = "" }, `DOCKMR_SERVER="" is not accepted`},
		{"no interface", "client", func(v *nodeValues) { v.iface = "" }, `DOCKMR_INTERFACE="" is not accepted: want a network interface name`},
		{"relative data dir", "client", func(v *nodeValues) { v.dataDir = "srv/dockmr" }, `DOCKMR_DATA_DIR="srv/dockmr" is not accepted: want an absolute path`},
		{"data dir with ..", "client", func(v *nodeValues) { v.dataDir = "/srv/../etc" }, `DOCKMR_DATA_DIR="/srv/../etc" is not accepted`},
		{"data dir with quote", "client", func(v *nodeValues) { v.dataDir = `/srv/"x` }, `DOCKMR_DATA_DIR="/srv/"x" is not accepted`},
		{"trailing slash", "client", func(v *nodeValues) { v.prefix = "/opt/dockmr/" }, `DOCKMR_PREFIX="/opt/dockmr/" is not accepted`},
		{"relative shuffle dir", "client", func(v *nodeValues) { v.shuffleDir = "shuffle" }, `DOCKMR_SHUFFLE_DIR="shuffle" is not accepted: want an absolute path`},
		{"shuffle dir is the data dir", "client", func(v *nodeValues) { v.shuffleDir = "/data/shared" }, `DOCKMR_SHUFFLE_DIR="/data/shared" is not accepted: want a local directory other than DOCKMR_DATA_DIR`},
		{"shuffle port 0", "client", func(v *nodeValues) { v.shufflePort = "0" }, `DOCKMR_SHUFFLE_PORT="0" is not accepted: want a port number`},
		{"shuffle port too large", "client", func(v *nodeValues) { v.shufflePort = "65536" }, `DOCKMR_SHUFFLE_PORT="65536" is not accepted`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := testClient
			if c.role == "server" {
				v = testServer
			}
			c.edit(&v)
			out := render(t, c.role, v)
			must.Eq(t, 1, out.code, out.show())
			must.StrContains(t, out.stderr, c.want)
			must.Eq(t, "", out.stdout)
		})
	}
	for _, args := range [][]string{{}, {"worker"}, {"client", "server"}} {
		t.Run("arguments "+strings.Join(args, " "), func(t *testing.T) {
			out := run(t, testClient.env(), filepath.Join(repoRoot(t), "deploy", "render-config.sh"), args...)
			must.Eq(t, 2, out.code, out.show())
			must.StrContains(t, out.stderr, "usage: render-config server|client")
			must.Eq(t, "", out.stdout)
		})
	}
}
