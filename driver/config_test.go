package driver

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/helper/pluginutils/hclspecutils"
	"github.com/hashicorp/nomad/helper/pluginutils/hclutils"
	"github.com/hashicorp/nomad/plugins/shared/hclspec"
	"github.com/shoenig/test/must"
)

func TestTaskConfig_ParsesEveryOption(t *testing.T) {
	var tc TaskConfig
	hclutils.NewConfigParser(taskConfigSpec).ParseHCL(t, `
config {
  image      = "registry.local:5000/dockmr/examples:dev"
  command    = "/dockmr-task"
  args       = ["map", "--index", "3"]
  entrypoint = ["/bin/sh", "-c"]
  work_dir   = "/work"
  mounts {
    source   = "/data/in"
    target   = "/in"
    readonly = true
  }
  mounts {
    source = "/data/out"
    target = "/out"
  }
  labels = { team = "search", tier = "batch" }
  force_pull         = true
  image_pull_timeout = "90s"
  privileged         = true
  cap_add            = ["sys_admin", "CAP_NET_RAW"]
  readonly_rootfs    = true
  pids_limit         = 64
  load                          = "local/app.tar"
  image_pull_inactivity_timeout = "30s"
  auth {
    username       = "ci"
    password       = "s3cret"
    email          = "ci@example.com"
    server_address = "registry.local:5000"
  }
}`, &tc)

	must.Eq(t, TaskConfig{
		Image:      "registry.local:5000/dockmr/examples:dev",
		Command:    "/dockmr-task",
		Args:       []string{"map", "--index", "3"},
		Entrypoint: []string{"/bin/sh", "-c"},
		WorkDir:    "/work",
		Mounts: []Mount{
			{Source: "/data/in", Target: "/in", ReadOnly: true},
			{Source: "/data/out", Target: "/out"},
		},
		Labels:                     hclutils.MapStrStr{"team": "search", "tier": "batch"},
		ForcePull:                  true,
		ImagePullTimeout:           "90s",
		Privileged:                 true,
		CapAdd:                     []string{"sys_admin", "CAP_NET_RAW"},
		ReadonlyRootfs:             true,
		PidsLimit:                  64,
		Load:                       "local/app.tar",
		ImagePullInactivityTimeout: "30s",
		Auth:                       TaskAuth{Username: "ci", Password: "s3cret", Email: "ci@example.com", ServerAddress: "registry.local:5000"},
	}, tc)
}

func TestTaskConfig_SchemaRejectsUnknownFieldsAndWrongTypes(t *testing.T) {
	cases := map[string]struct{ hcl, want string }{
		"unknown field":    {`config { image = "a"  network_mode = "bridge" }`, "network_mode"},
		"missing image":    {`config { command = "x" }`, "image"},
		"args not a list":  {`config { image = "a"  args = 3 }`, "args"},
		"mount w/o target": {`config { image = "a"  mounts { source = "/x" } }`, "target"},
		"bool as string":   {`config { image = "a"  force_pull = "sometimes" }`, "force_pull"},
		"privileged text":  {`config { image = "a"  privileged = "yes please" }`, "privileged"},
		"cap_add string":   {`config { image = "a"  cap_add = "SYS_ADMIN" }`, "cap_add"},
		"pids_limit text":  {`config { image = "a"  pids_limit = "many" }`, "pids_limit"},
		"security_opt":     {`config { image = "a"  security_opt = ["seccomp=unconfined"] }`, "security_opt"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			err := parseErr(t, taskConfigSpec, c.hcl)
			must.StrContains(t, err, c.want)
		})
	}
}

// parseErr decodes HCL against spec the way Nomad validates a job and
// returns the diagnostics as text, failing if there are none.
func parseErr(t *testing.T, spec *hclspec.Spec, src string) string {
	t.Helper()
	dec, diags := hclspecutils.Convert(spec)
	must.False(t, diags.HasErrors())
	_, diags, errs := hclutils.ParseHclInterface(hclutils.HclConfigToInterface(t, src), dec, nil)
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Error())
	}
	for _, d := range diags {
		msgs = append(msgs, d.Error())
	}
	must.SliceNotEmpty(t, msgs, must.Sprint("expected the schema to reject the config"))
	return strings.Join(msgs, "\n")
}

func TestPluginConfig_ParsesEveryOptionAndDefaults(t *testing.T) {
	// The runtime must be a file on this host; any will do.
	runtime := filepath.Join(t.TempDir(), "dockmr-task")
	must.NoError(t, os.WriteFile(runtime, []byte("#!/bin/sh\n"), 0o755))
	var pc PluginConfig
	hclutils.NewConfigParser(configSpec).ParseHCL(t, `
config {
  endpoint           = "unix:///run/docker.sock"
  allowed_mounts     = ["/data", "/scratch/"]
  task_runtime       = "`+runtime+`"
  image_pull_timeout = "10m"
  default_user       = "1000:1000"
  allow_root         = true
  allow_privileged   = true
  allow_caps         = ["net_bind_service", "CAP_SYS_PTRACE"]
  readonly_rootfs    = true
  pids_limit         = 256
  allowed_images     = ["registry.example.com/*", "dockmr/*", "library/busybox"]
  gc {
    container = false
    dangling_containers {
      enabled        = false
      period         = "1m"
      creation_grace = "2m"
    }
  }
}`, &pc)
	must.NoError(t, pc.validate())
	must.Eq(t, "unix:///run/docker.sock", pc.Endpoint)
	must.Eq(t, []string{"/data", "/scratch"}, pc.AllowedMounts)
	must.Eq(t, runtime, pc.TaskRuntime)
	must.Eq(t, 10*time.Minute, pc.imagePullTimeout)
	must.False(t, pc.GC.Container)
	must.False(t, pc.GC.DanglingContainers.Enabled)
	must.Eq(t, time.Minute, pc.GC.DanglingContainers.period)
	must.Eq(t, 2*time.Minute, pc.GC.DanglingContainers.creationGrace)
	must.Eq(t, "1000:1000", pc.DefaultUser)
	must.True(t, pc.AllowRoot)
	must.True(t, pc.AllowPrivileged)
	must.Eq(t, []string{"net_bind_service", "CAP_SYS_PTRACE"}, pc.AllowCaps)
	must.True(t, pc.ReadonlyRootfs)
	must.Eq(t, int64(256), pc.PidsLimit)
	must.Eq(t, []imagePattern{
		{name: "registry.example.com/", prefix: true},
		{name: "docker.io/dockmr/", prefix: true},
		{name: "docker.io/library/busybox"},
	}, pc.imagePatterns)

	var def PluginConfig
	hclutils.NewConfigParser(configSpec).ParseHCL(t, `config {}`, &def)
	must.NoError(t, def.validate())
	must.Eq(t, "", def.Endpoint)
	must.Eq(t, defaultImagePullTimeout, def.imagePullTimeout)
	must.True(t, def.GC.Container)
	must.True(t, def.GC.DanglingContainers.Enabled)
	must.Eq(t, defaultDanglingPeriod, def.GC.DanglingContainers.period)
	must.Eq(t, defaultCreationGrace, def.GC.DanglingContainers.creationGrace)
	// Secure unless the operator says otherwise.
	must.Eq(t, defaultUser, def.DefaultUser)
	must.False(t, def.AllowRoot)
	must.False(t, def.AllowPrivileged)
	must.SliceEmpty(t, def.AllowCaps)
	must.False(t, def.ReadonlyRootfs)
	must.Eq(t, int64(defaultPidsLimit), def.PidsLimit)
	must.SliceEmpty(t, def.imagePatterns)
	must.SliceContainsSubset(t, def.protected, []string{"/proc", "/sys", "/run/docker.sock", "/var/run/docker.sock", defaultKeeperSocket()})
}

func TestPluginConfig_SchemaRejectsWrongTypes(t *testing.T) {
	cases := map[string]struct{ hcl, want string }{
		"allow_root text":    {`config { allow_root = "maybe" }`, "allow_root"},
		"allow_caps string":  {`config { allow_caps = "SYS_ADMIN" }`, "allow_caps"},
		"pids_limit text":    {`config { pids_limit = "lots" }`, "pids_limit"},
		"allowed_images map": {`config { allowed_images = { a = "b" } }`, "allowed_images"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			must.StrContains(t, parseErr(t, configSpec, c.hcl), c.want)
		})
	}
}

func TestPluginConfig_ValidateNamesFieldAndValue(t *testing.T) {
	cases := map[string]struct {
		cfg  PluginConfig
		want string
	}{
		"relative mount prefix": {PluginConfig{AllowedMounts: []string{"data"}}, `allowed_mounts[0]: "data" is not an absolute path`},
		"relative runtime":      {PluginConfig{TaskRuntime: "bin/dockmr-task"}, `task_runtime: "bin/dockmr-task" is not an absolute path`},
		"missing runtime":       {PluginConfig{TaskRuntime: "/nonexistent/dockmr-task"}, `task_runtime: "/nonexistent/dockmr-task" is not a file on this host`},
		"bad timeout":           {PluginConfig{ImagePullTimeout: "soon"}, `image_pull_timeout: "soon" is not a positive duration`},
		"negative period": {PluginConfig{GC: GCConfig{DanglingContainers: DanglingConfig{Period: "-1m"}}},
			`gc.dangling_containers.period: "-1m"`},
		"root default user":  {PluginConfig{DefaultUser: "0:0"}, `default_user: "0:0" is root, which containers may run as only with allow_root = true`},
		"root by name":       {PluginConfig{DefaultUser: "root"}, `default_user: "root" is root`},
		"malformed user":     {PluginConfig{DefaultUser: "nobody:"}, `default_user: "nobody:" is not a user`},
		"unknown capability": {PluginConfig{AllowCaps: []string{"chown", "fly"}}, `allow_caps[1]: "fly" is not a Linux capability`},
		"negative pids":      {PluginConfig{PidsLimit: -1}, `pids_limit: -1 is negative`},
		"tagged pattern":     {PluginConfig{AllowedImages: []string{"busybox:1.36"}}, `allowed_images[0]: "busybox:1.36" is not an image pattern (a pattern names repositories, without a tag)`},
		"inner wildcard":     {PluginConfig{AllowedImages: []string{"dockmr/*/x"}}, `allowed_images[0]: "dockmr/*/x" is not an image pattern`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			must.ErrorContains(t, c.cfg.validate(), c.want)
		})
	}
}

func TestTaskConfig_ValidateAgainstPolicy(t *testing.T) {
	pc := &PluginConfig{imagePullTimeout: time.Minute, imagePatterns: []imagePattern{{name: "docker.io/library/busybox"}}}
	cases := map[string]struct {
		tc   TaskConfig
		want string // "" for valid
	}{
		"plain":             {TaskConfig{Image: "busybox"}, ""},
		"digest":            {TaskConfig{Image: "busybox@sha256:" + strings.Repeat("a", 64)}, ""},
		"mount":             {TaskConfig{Image: "busybox", Mounts: []Mount{{Source: "/data/x", Target: "/x"}}}, ""},
		"image not allowed": {TaskConfig{Image: "evil.example.com/busybox"}, `image: "evil.example.com/busybox:latest" is not allowed on this node`},
		"empty image":       {TaskConfig{Image: " "}, "image: must name an image"},
		"malformed image":   {TaskConfig{Image: "Bad Image!!"}, `image: "Bad Image!!" is not a valid image reference`},
		"uppercase repo":    {TaskConfig{Image: "Busybox:1"}, `image: "Busybox:1" is not a valid image reference`},
		"relative source":   {TaskConfig{Image: "busybox", Mounts: []Mount{{Source: "data", Target: "/x"}}}, `mounts[0].source: "data" is not an absolute host path`},
		"relative target":   {TaskConfig{Image: "busybox", Mounts: []Mount{{Source: "/data", Target: "x"}}}, `mounts[0].target: "x" is not an absolute container path`},
		"bad pull timeout":  {TaskConfig{Image: "busybox", ImagePullTimeout: "0s"}, `image_pull_timeout: "0s" is not a positive duration`},
		"reserved label":    {TaskConfig{Image: "busybox", Labels: hclutils.MapStrStr{"com.dockmr.alloc_id": "x"}}, `labels: key "com.dockmr.alloc_id" uses the reserved prefix`},
	}
	for name, c := range cases {
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

func TestParseImageRef_Normalises(t *testing.T) {
	for in, want := range map[string]string{
		"busybox":                     "docker.io/library/busybox:latest",
		"dockmr/testimage:dev":        "docker.io/dockmr/testimage:dev",
		"127.0.0.1:5000/team/app:1.2": "127.0.0.1:5000/team/app:1.2",
		"registry.local/app":          "registry.local/app:latest",
	} {
		got, err := parseImageRef(in)
		must.NoError(t, err)
		must.Eq(t, want, got)
	}
}
