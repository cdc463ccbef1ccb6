package driver

import (
	"testing"
	"time"

	"github.com/hashicorp/nomad/helper/pluginutils/hclutils"
	"github.com/shoenig/test/must"
)

func TestPluginConfig_ParsesRegistryOptionsAndDefaults(t *testing.T) {
	var pc PluginConfig
	hclutils.NewConfigParser(configSpec).ParseHCL(t, `
config {
  image_pull_inactivity_timeout = "45s"
  insecure_registries           = ["registry.lan:5000", "10.0.0.0/8"]
  auth {
    config = "/etc/docker/config.json"
    helper = "ecr-login"
  }
}`, &pc)
	must.NoError(t, pc.validate())
	must.Eq(t, 45*time.Second, pc.pullInactivity)
	must.Eq(t, []string{"registry.lan:5000", "10.0.0.0/8"}, pc.InsecureRegistries)
	must.Eq(t, PluginAuth{Config: "/etc/docker/config.json", Helper: "ecr-login"}, pc.Auth)

	var def PluginConfig
	hclutils.NewConfigParser(configSpec).ParseHCL(t, `config {}`, &def)
	must.NoError(t, def.validate())
	must.Eq(t, defaultPullInactivity, def.pullInactivity)
	must.Eq(t, defaultInsecureRegistries, def.InsecureRegistries)

	// An empty list is the operator refusing every plain-HTTP registry.
	var strict PluginConfig
	hclutils.NewConfigParser(configSpec).ParseHCL(t, `config {
  insecure_registries = []
}`, &strict)
	must.NoError(t, strict.validate())
	must.SliceEmpty(t, strict.InsecureRegistries)

	var none PluginConfig
	must.NoError(t, none.validate())
	must.Eq(t, defaultInsecureRegistries, none.InsecureRegistries)
}

func TestRegistryConfig_BadValuesNameFieldAndValue(t *testing.T) {
	plugin := map[string]struct {
		cfg  PluginConfig
		want string
	}{
		"inactivity":    {PluginConfig{ImagePullInactivityTimeout: "never"}, `image_pull_inactivity_timeout: "never" is not a positive duration`},
		"bad cidr":      {PluginConfig{InsecureRegistries: []string{"10.0.0.0/99"}}, `insecure_registries[0]: "10.0.0.0/99" is not a CIDR`},
		"url":           {PluginConfig{InsecureRegistries: []string{"http://registry:5000"}}, `insecure_registries[0]: "http://registry:5000" is not a registry`},
		"empty entry":   {PluginConfig{InsecureRegistries: []string{"ok:5000", ""}}, `insecure_registries[1]: "" is not a registry`},
		"relative auth": {PluginConfig{Auth: PluginAuth{Config: "config.json"}}, `auth.config: "config.json" is not an absolute path`},
	}
	for name, c := range plugin {
		t.Run(name, func(t *testing.T) {
			must.ErrorContains(t, c.cfg.validate(), c.want)
		})
	}

	pc := &PluginConfig{AllowedMounts: []string{"/data"}, imagePullTimeout: time.Minute, pullInactivity: time.Minute}
	task := map[string]struct {
		tc   TaskConfig
		want string
	}{
		"load in task dir":  {TaskConfig{Image: "app", Load: "local/app.tar"}, ""},
		"load shared":       {TaskConfig{Image: "app", Load: "/data/images/app.tar"}, ""},
		"load escapes":      {TaskConfig{Image: "app", Load: "../../etc/app.tar"}, `load: "../../etc/app.tar" leaves the task directory`},
		"load escapes deep": {TaskConfig{Image: "app", Load: "local/../../x.tar"}, `load: "local/../../x.tar" leaves the task directory`},
		"load host path":    {TaskConfig{Image: "app", Load: "/etc/app.tar"}, `load: "/etc/app.tar" is not under any of allowed_mounts ["/data"]`},
		"inactivity":        {TaskConfig{Image: "app", ImagePullInactivityTimeout: "-1s"}, `image_pull_inactivity_timeout: "-1s" is not a positive duration`},
	}
	for name, c := range task {
		t.Run(name, func(t *testing.T) {
			err := c.tc.validate(pc)
			if c.want == "" {
				must.NoError(t, err)
				return
			}
			must.ErrorContains(t, err, c.want)
		})
	}
}
