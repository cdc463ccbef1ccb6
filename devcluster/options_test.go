package devcluster

import (
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/contract"
)

// fakeBinaries makes executable files where the cluster's binaries go.
func fakeBinaries(t *testing.T) (string, Binaries) {
	t.Helper()
	dir := t.TempDir()
	b := Binaries{
		Nomad:       filepath.Join(dir, "nomad"),
		PluginDir:   filepath.Join(dir, "plugins"),
		TaskRuntime: filepath.Join(dir, "dockmr-task"),
	}
	must.NoError(t, os.Mkdir(b.PluginDir, 0o755))
	for _, p := range []string{b.Nomad, b.Driver(), b.TaskRuntime} {
		must.NoError(t, os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755))
	}
	return dir, b
}

func TestOptionsDefaults(t *testing.T) {
	_, bins := fakeBinaries(t)
	o, err := Options{DataDir: "rel/data", Binaries: bins}.withDefaults()
	must.NoError(t, err)
	must.Eq(t, 1, o.Clients)
	must.Eq(t, DefaultHTTPPort, o.HTTPPort)
	must.Eq(t, "INFO", o.LogLevel)
	must.True(t, filepath.IsAbs(o.DataDir), must.Sprint(o.DataDir))

	o, err = Options{DataDir: "/d", Hosts: 3, Binaries: bins}.withDefaults()
	must.NoError(t, err)
	must.Eq(t, 3, o.Clients, must.Sprint("one client per host"))
}

func TestOptionsRejectBadInput(t *testing.T) {
	_, bins := fakeBinaries(t)
	noExec := filepath.Join(t.TempDir(), "nomad")
	must.NoError(t, os.WriteFile(noExec, nil, 0o644))
	for name, tc := range map[string]struct {
		opts Options
		want string
	}{
		"no data dir":     {Options{Binaries: bins}, "no data directory"},
		"negative":        {Options{DataDir: "/d", Clients: -1, Binaries: bins}, "clients -1 is out of range: want 1 to 16"},
		"too many":        {Options{DataDir: "/d", Clients: 17, Binaries: bins}, "clients 17 is out of range"},
		"port":            {Options{DataDir: "/d", HTTPPort: 70000, Binaries: bins}, "HTTP port 70000 is out of range"},
		"log level":       {Options{DataDir: "/d", LogLevel: "loud", Binaries: bins}, `log level "loud": want TRACE`},
		"quote in path":   {Options{DataDir: `/d"x`, Binaries: bins}, `data directory "/d\"x" holds a quote`},
		"no nomad":        {Options{DataDir: "/d", Binaries: Binaries{PluginDir: bins.PluginDir, TaskRuntime: bins.TaskRuntime}}, "no Nomad agent binary given"},
		"no plugin dir":   {Options{DataDir: "/d", Binaries: Binaries{Nomad: bins.Nomad, TaskRuntime: bins.TaskRuntime}}, "no driver plugin binary given"},
		"missing runtime": {Options{DataDir: "/d", Binaries: Binaries{Nomad: bins.Nomad, PluginDir: bins.PluginDir, TaskRuntime: "/nonexistent/dockmr-task"}}, "task runtime: /nonexistent/dockmr-task not found"},
		"endpoint scheme": {Options{DataDir: "/d", DockerEndpoint: "/run/docker.sock", Binaries: bins}, `docker endpoint "/run/docker.sock": want unix:///path/to/docker.sock or tcp://host:port`},
		"endpoint quote":  {Options{DataDir: "/d", DockerEndpoint: `unix:///a"b`, Binaries: bins}, `docker endpoint "unix:///a\"b" holds a quote`},
		"hosts range":     {Options{DataDir: "/d", Hosts: 17, Binaries: bins}, "hosts 17 is out of range: want 1 to 16"},
		"hosts clients":   {Options{DataDir: "/d", Hosts: 3, Clients: 2, Binaries: bins}, "clients 2 and hosts 3 differ"},
		"hosts endpoint":  {Options{DataDir: "/d", Hosts: 2, DockerEndpoint: "unix:///x.sock", Binaries: bins}, "every host runs its own Docker daemon"},
		"subnet no hosts": {Options{DataDir: "/d", Subnet: netip.MustParsePrefix("198.18.0.0/24"), Binaries: bins}, "set Hosts too"},
		"not executable":  {Options{DataDir: "/d", Binaries: Binaries{Nomad: noExec, PluginDir: bins.PluginDir, TaskRuntime: bins.TaskRuntime}}, "is not an executable file"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := tc.opts.withDefaults()
			must.ErrorContains(t, err, tc.want)
		})
	}
}

func TestFindBinaries(t *testing.T) {
	dir, want := fakeBinaries(t)
	got, err := FindBinaries("", filepath.Join(t.TempDir(), "empty"), dir)
	must.NoError(t, err)
	must.Eq(t, want, got)
}

func TestFindBinariesSaysWhatIsMissing(t *testing.T) {
	dir, bins := fakeBinaries(t)
	must.NoError(t, os.Remove(bins.Driver()))
	t.Setenv("PATH", t.TempDir())
	_, err := FindBinaries(dir)
	must.ErrorContains(t, err, "plugins/dockmr-driver not found in "+dir+", $PATH: run `make build nomad`")

	must.NoError(t, os.Remove(bins.Nomad))
	_, err = FindBinaries(dir)
	must.ErrorContains(t, err, "nomad, plugins/dockmr-driver not found")
}

func TestFindBinariesUsesPath(t *testing.T) {
	dir, bins := fakeBinaries(t)
	pluginsOnly := t.TempDir()
	must.NoError(t, os.Rename(bins.PluginDir, filepath.Join(pluginsOnly, "plugins")))
	t.Setenv("PATH", dir)
	got, err := FindBinaries(pluginsOnly)
	must.NoError(t, err)
	must.Eq(t, bins.Nomad, got.Nomad)
	must.Eq(t, bins.TaskRuntime, got.TaskRuntime)
	must.Eq(t, filepath.Join(pluginsOnly, "plugins"), got.PluginDir)
}

func testConfig() agentConfig {
	return agentConfig{
		Name:         "dev-client-1",
		DataDir:      "/state/dev-client-1",
		LogLevel:     "INFO",
		Ports:        ports{HTTP: 5001, RPC: 5002, Serf: 5003},
		Servers:      []string{"127.0.0.1:4647"},
		PluginDir:    "/opt/bin/plugins",
		AllowedMount: "/srv/data",
		TaskRuntime:  "/opt/bin/dockmr-task",
		DriverConfig: `image_pull_timeout = "1m"`,
	}
}

func TestRenderClient(t *testing.T) {
	src, err := renderClient(testConfig())
	must.NoError(t, err)
	for _, want := range []string{
		`name                 = "dev-client-1"`,
		`servers           = ["127.0.0.1:4647"]`,
		`plugin_dir = "/opt/bin/plugins"`,
		`allowed_mounts = ["/srv/data"]`,
		`task_runtime   = "/opt/bin/dockmr-task"`,
		`image_pull_timeout = "1m"`,
		"http = 5001",
	} {
		must.StrContains(t, src, want)
	}
}

// TestRenderClientOnAHost binds and advertises a host's address and
// fingerprints its eth0.
func TestRenderClientOnAHost(t *testing.T) {
	cfg := testConfig()
	cfg.Addr, cfg.Interface, cfg.Servers = "198.18.0.3", "eth0", []string{"198.18.0.2:4647"}
	src, err := renderClient(cfg)
	must.NoError(t, err)
	for _, want := range []string{
		`bind_addr            = "198.18.0.3"`,
		`rpc  = "198.18.0.3"`,
		`network_interface = "eth0"`,
		`servers           = ["198.18.0.2:4647"]`,
	} {
		must.StrContains(t, src, want)
	}
	must.StrNotContains(t, src, "127.0.0.1")
}

func TestRenderRejectsUnquotablePaths(t *testing.T) {
	cfg := testConfig()
	cfg.TaskRuntime = "/opt/${x}/dockmr-task"
	_, err := renderClient(cfg)
	must.ErrorContains(t, err, `agent task_runtime "/opt/${x}/dockmr-task" holds a quote, backslash, newline, '$' or '%'`)
}

// TestRenderedConfigsValidate has the Nomad agent itself check the
// configuration files, so a template error shows here rather than as an
// agent that will not start.
func TestRenderedConfigsValidate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the nomad binary `make nomad` builds")
	}
	bins := realBinaries(t)
	dir := t.TempDir()
	cfg := testConfig()
	cfg.PluginDir = bins.PluginDir
	cfg.DockerEndpoint = "unix:///run/other/docker.sock"
	server, err := renderServer(agentConfig{Name: "dev-server", DataDir: dir, LogLevel: "INFO", Ports: ports{HTTP: 4646, RPC: 4647, Serf: 4648}})
	must.NoError(t, err)
	client, err := renderClient(cfg)
	must.NoError(t, err)
	for name, src := range map[string]string{"server.hcl": server, "client.hcl": client} {
		path := filepath.Join(dir, name)
		must.NoError(t, os.WriteFile(path, []byte(src), 0o644))
		out, err := exec.Command(bins.Nomad, "config", "validate", path).CombinedOutput()
		must.NoError(t, err, must.Sprintf("%s:\n%s\n%s", name, src, out))
		must.StrContains(t, strings.ToLower(string(out)), "configuration is valid")
	}
}

func TestOptionsOwnDriverConfig(t *testing.T) {
	_, bins := fakeBinaries(t)
	bins.TaskRuntime = ""
	o, err := Options{OwnDriverConfig: true, HTTPPort: AnyHTTPPort, Binaries: bins}.withDefaults()
	must.NoError(t, err)
	must.Eq(t, "", o.DataDir)
	must.Eq(t, AnyHTTPPort, o.HTTPPort)
	must.Eq(t, []string{contract.DriverName}, o.WaitDrivers)
	must.Eq(t, DefaultDockerConfig, o.DockerConfig)

	_, err = Options{DataDir: "/d", Binaries: bins}.withDefaults()
	must.ErrorContains(t, err, "no task runtime binary given")
}

func TestRenderClientOwnDriverConfig(t *testing.T) {
	cfg := testConfig()
	cfg.AllowedMount, cfg.TaskRuntime = "", ""
	cfg.DockerConfig = "volumes { enabled = true }"
	src, err := renderClient(cfg)
	must.NoError(t, err)
	must.StrNotContains(t, src, "allowed_mounts")
	must.StrNotContains(t, src, "task_runtime")
	must.StrContains(t, src, `image_pull_timeout = "1m"`)
	must.StrContains(t, src, "volumes { enabled = true }")
}

// TestRenderClientDockerEndpoint points both docker drivers at one daemon.
func TestRenderClientDockerEndpoint(t *testing.T) {
	cfg := testConfig()
	src, err := renderClient(cfg)
	must.NoError(t, err)
	must.StrNotContains(t, src, "endpoint")

	cfg.DockerEndpoint = "unix:///tmp/d/docker.sock"
	src, err = renderClient(cfg)
	must.NoError(t, err)
	must.Eq(t, 2, strings.Count(src, `endpoint = "unix:///tmp/d/docker.sock"`)+strings.Count(src, `endpoint       = "unix:///tmp/d/docker.sock"`), must.Sprint(src))
	must.StrContains(t, src, `endpoint       = "unix:///tmp/d/docker.sock"`)
}
