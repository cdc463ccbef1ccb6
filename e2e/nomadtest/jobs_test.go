package nomadtest

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl"
	"github.com/shoenig/test/must"
)

func TestRenderConfigIsValidHCL(t *testing.T) {
	out, err := renderClientConfig(agentConfig{
		Name:         "dockmr-e2e-1",
		ServerRPC:    4650,
		DataDir:      "/tmp/x/data",
		PluginDir:    "/repo/bin/plugins",
		Ports:        ports{HTTP: 4646, RPC: 4647, Serf: 4648},
		DriverName:   DriverName,
		DriverConfig: `allowed_mounts = ["/tmp"]`,
		DockerConfig: DefaultDockerConfig,
	})
	must.NoError(t, err)

	var cfg struct {
		Name      string `hcl:"name"`
		DataDir   string `hcl:"data_dir"`
		PluginDir string `hcl:"plugin_dir"`
		Ports     struct {
			HTTP int `hcl:"http"`
			Serf int `hcl:"serf"`
		} `hcl:"ports"`
		Client struct {
			Servers []string          `hcl:"servers"`
			Options map[string]string `hcl:"options"`
		} `hcl:"client"`
		Plugin map[string]struct {
			Config []map[string]any `hcl:"config"`
		} `hcl:"plugin"`
	}
	must.NoError(t, hcl.Decode(&cfg, out), must.Sprint(out))
	must.Eq(t, "dockmr-e2e-1", cfg.Name)
	must.Eq(t, "/tmp/x/data", cfg.DataDir)
	must.Eq(t, 4646, cfg.Ports.HTTP)
	must.Eq(t, 4648, cfg.Ports.Serf)
	must.Eq(t, []string{"127.0.0.1:4650"}, cfg.Client.Servers)
	must.StrContains(t, cfg.Client.Options["fingerprint.denylist"], "env_aws")
	must.MapContainsKeys(t, cfg.Plugin, []string{DriverName, "docker"})
	must.Eq[any](t, []any{"/tmp"}, cfg.Plugin[DriverName].Config[0]["allowed_mounts"])
}

func TestRenderServerConfig(t *testing.T) {
	out, err := renderServerConfig(agentConfig{Name: "s", DataDir: "/d", Ports: ports{HTTP: 1, RPC: 2, Serf: 3}})
	must.NoError(t, err)
	var cfg struct {
		Server struct {
			Enabled         bool `hcl:"enabled"`
			BootstrapExpect int  `hcl:"bootstrap_expect"`
		} `hcl:"server"`
		Client []any `hcl:"client"`
	}
	must.NoError(t, hcl.Decode(&cfg, out), must.Sprint(out))
	must.True(t, cfg.Server.Enabled)
	must.Eq(t, 1, cfg.Server.BootstrapExpect)
	must.SliceEmpty(t, cfg.Client)
}

func TestRenderConfigRejectsUnquotablePaths(t *testing.T) {
	_, err := renderClientConfig(agentConfig{Name: "a", DataDir: `/tmp/"quoted"`, PluginDir: "/p"})
	must.ErrorContains(t, err, `data_dir "/tmp/\"quoted\""`)
}

func TestVarFileQuotesValues(t *testing.T) {
	got := varFile(map[string]string{"image": "dockmr/testimage:dev", "cmd": "echo \"${HOME}\"\nexit 3"})
	must.Eq(t, strings.Join([]string{
		`cmd = "echo \"$${HOME}\"\nexit 3"`,
		`image = "dockmr/testimage:dev"`,
		"",
	}, "\n"), got)
}

func TestSanitizeID(t *testing.T) {
	must.Eq(t, "testexec-interactive-1", sanitizeID("TestExec/interactive_1"))
}
