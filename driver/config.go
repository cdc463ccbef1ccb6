package driver

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/nomad/helper/pluginutils/hclutils"
	"github.com/hashicorp/nomad/plugins/shared/hclspec"
)

// Defaults applied when the agent's plugin block leaves a setting out.
const (
	defaultImagePullTimeout = 5 * time.Minute
	defaultPullInactivity   = 2 * time.Minute
	defaultDanglingPeriod   = 5 * time.Minute
	defaultCreationGrace    = 5 * time.Minute
)

// configSpec is the HCL schema of the agent's
// `plugin "dockmr-driver" { config { ... } }` block.
var configSpec = hclspec.NewObject(map[string]*hclspec.Spec{
	"endpoint":       hclspec.NewAttr("endpoint", "string", false),
	"allowed_mounts": hclspec.NewAttr("allowed_mounts", "list(string)", false),
	"task_runtime":   hclspec.NewAttr("task_runtime", "string", false),
	"image_pull_timeout": hclspec.NewDefault(
		hclspec.NewAttr("image_pull_timeout", "string", false),
		hclspec.NewLiteral(`"5m"`),
	),
	"image_pull_inactivity_timeout": hclspec.NewDefault(
		hclspec.NewAttr("image_pull_inactivity_timeout", "string", false),
		hclspec.NewLiteral(`"2m"`),
	),
	"insecure_registries": hclspec.NewDefault(
		hclspec.NewAttr("insecure_registries", "list(string)", false),
		hclspec.NewLiteral(`["127.0.0.0/8", "::1/128"]`),
	),
	"auth": hclspec.NewBlock("auth", false, hclspec.NewObject(map[string]*hclspec.Spec{
		"config": hclspec.NewAttr("config", "string", false),
		"helper": hclspec.NewAttr("helper", "string", false),
	})),
	"gc": hclspec.NewDefault(hclspec.NewBlock("gc", false, hclspec.NewObject(map[string]*hclspec.Spec{
		"container": hclspec.NewDefault(
			hclspec.NewAttr("container", "bool", false),
			hclspec.NewLiteral("true"),
		),
		"dangling_containers": hclspec.NewDefault(
			hclspec.NewBlock("dangling_containers", false, hclspec.NewObject(map[string]*hclspec.Spec{
				"enabled": hclspec.NewDefault(
					hclspec.NewAttr("enabled", "bool", false),
					hclspec.NewLiteral("true"),
				),
				"period": hclspec.NewDefault(
					hclspec.NewAttr("period", "string", false),
					hclspec.NewLiteral(`"5m"`),
				),
				"creation_grace": hclspec.NewDefault(
					hclspec.NewAttr("creation_grace", "string", false),
					hclspec.NewLiteral(`"5m"`),
				),
			})),
			hclspec.NewLiteral(`{ enabled = true, period = "5m", creation_grace = "5m" }`),
		),
	})), hclspec.NewLiteral(`{ container = true, dangling_containers = { enabled = true, period = "5m", creation_grace = "5m" } }`)),
})

// PluginConfig is the decoded agent-side configuration of the driver.
type PluginConfig struct {
	// Endpoint is the Docker daemon address; empty means Docker's own
	// environment (DOCKER_HOST, else the default socket).
	Endpoint string `codec:"endpoint"`

	// AllowedMounts are host path prefixes a task may bind-mount. A task
	// mount whose source is not under one of them is refused, so a job
	// cannot read or write arbitrary host paths.
	AllowedMounts []string `codec:"allowed_mounts"`

	// TaskRuntime is the host path of the static dockmr-task binary. When
	// set, it is bind-mounted read-only into every container at
	// TaskRuntimePath, so any image can run a MapReduce task without
	// containing dockmr code.
	TaskRuntime string `codec:"task_runtime"`

	// ImagePullTimeout bounds a pull when the task does not set its own.
	ImagePullTimeout string `codec:"image_pull_timeout"`

	// ImagePullInactivityTimeout aborts a pull that reports no progress
	// for this long, when the task does not set its own.
	ImagePullInactivityTimeout string `codec:"image_pull_inactivity_timeout"`

	// InsecureRegistries are the registries (host, host:port or CIDR)
	// that images may be pulled from over plain HTTP, when the Docker
	// daemon reaches them so; see insecure.go.
	InsecureRegistries []string `codec:"insecure_registries"`

	// Auth is where the node keeps registry credentials.
	Auth PluginAuth `codec:"auth"`

	GC GCConfig `codec:"gc"`

	imagePullTimeout time.Duration
	pullInactivity   time.Duration
}

// GCConfig says which containers the driver removes.
type GCConfig struct {
	// Container removes a task's container once the task is destroyed.
	Container bool `codec:"container"`

	DanglingContainers DanglingConfig `codec:"dangling_containers"`
}

// DanglingConfig drives the reconciler that removes containers labelled for
// this node whose allocation the driver no longer tracks (left behind by a
// crash between create and the agent recording the task).
type DanglingConfig struct {
	Enabled       bool   `codec:"enabled"`
	Period        string `codec:"period"`
	CreationGrace string `codec:"creation_grace"`

	period        time.Duration
	creationGrace time.Duration
}

// validate checks values the schema cannot, and resolves durations.
func (c *PluginConfig) validate() error {
	var err error
	if c.imagePullTimeout, err = parsePositiveDuration("image_pull_timeout", c.ImagePullTimeout, defaultImagePullTimeout); err != nil {
		return err
	}
	if c.pullInactivity, err = parsePositiveDuration("image_pull_inactivity_timeout", c.ImagePullInactivityTimeout, defaultPullInactivity); err != nil {
		return err
	}
	if c.InsecureRegistries == nil {
		c.InsecureRegistries = defaultInsecureRegistries
	}
	if err := validateInsecureRegistries(c.InsecureRegistries); err != nil {
		return err
	}
	if c.Auth.Config != "" && !filepath.IsAbs(c.Auth.Config) {
		return fmt.Errorf("auth.config: %q is not an absolute path; give the host path of a Docker config.json", c.Auth.Config)
	}
	dc := &c.GC.DanglingContainers
	if dc.period, err = parsePositiveDuration("gc.dangling_containers.period", dc.Period, defaultDanglingPeriod); err != nil {
		return err
	}
	if dc.creationGrace, err = parsePositiveDuration("gc.dangling_containers.creation_grace", dc.CreationGrace, defaultCreationGrace); err != nil {
		return err
	}
	if c.TaskRuntime != "" && !filepath.IsAbs(c.TaskRuntime) {
		return fmt.Errorf("task_runtime: %q is not an absolute path; give the host path of the dockmr-task binary", c.TaskRuntime)
	}
	if c.TaskRuntime != "" {
		if fi, err := os.Stat(c.TaskRuntime); err != nil || !fi.Mode().IsRegular() {
			return fmt.Errorf("task_runtime: %q is not a file on this host; build it with `make task`", c.TaskRuntime)
		}
	}
	for i, p := range c.AllowedMounts {
		if !filepath.IsAbs(p) {
			return fmt.Errorf("allowed_mounts[%d]: %q is not an absolute path; give host path prefixes such as \"/data\"", i, p)
		}
		c.AllowedMounts[i] = filepath.Clean(p)
	}
	return nil
}

// taskConfigSpec is the HCL schema of a task's `config { ... }` block.
// Networking is deliberately absent: every container uses the host network.
var taskConfigSpec = hclspec.NewObject(map[string]*hclspec.Spec{
	"image":      hclspec.NewAttr("image", "string", true),
	"command":    hclspec.NewAttr("command", "string", false),
	"args":       hclspec.NewAttr("args", "list(string)", false),
	"entrypoint": hclspec.NewAttr("entrypoint", "list(string)", false),
	"work_dir":   hclspec.NewAttr("work_dir", "string", false),
	"mounts": hclspec.NewBlockList("mounts", hclspec.NewObject(map[string]*hclspec.Spec{
		"source": hclspec.NewAttr("source", "string", true),
		"target": hclspec.NewAttr("target", "string", true),
		"readonly": hclspec.NewDefault(
			hclspec.NewAttr("readonly", "bool", false),
			hclspec.NewLiteral("false"),
		),
	})),
	// list(map(string)) accepts both `labels = { ... }` and the older
	// `labels { ... }` block form, as Nomad's docker driver does.
	"labels":                        hclspec.NewAttr("labels", "list(map(string))", false),
	"force_pull":                    hclspec.NewAttr("force_pull", "bool", false),
	"image_pull_timeout":            hclspec.NewAttr("image_pull_timeout", "string", false),
	"image_pull_inactivity_timeout": hclspec.NewAttr("image_pull_inactivity_timeout", "string", false),
	"auth": hclspec.NewBlock("auth", false, hclspec.NewObject(map[string]*hclspec.Spec{
		"username":       hclspec.NewAttr("username", "string", false),
		"password":       hclspec.NewAttr("password", "string", false),
		"email":          hclspec.NewAttr("email", "string", false),
		"server_address": hclspec.NewAttr("server_address", "string", false),
	})),
	"load": hclspec.NewAttr("load", "string", false),
})

// TaskConfig is the decoded `config` block of a task.
type TaskConfig struct {
	Image            string             `codec:"image"`
	Command          string             `codec:"command"`
	Args             []string           `codec:"args"`
	Entrypoint       []string           `codec:"entrypoint"`
	WorkDir          string             `codec:"work_dir"`
	Mounts           []Mount            `codec:"mounts"`
	Labels           hclutils.MapStrStr `codec:"labels"`
	ForcePull        bool               `codec:"force_pull"`
	ImagePullTimeout string             `codec:"image_pull_timeout"`

	ImagePullInactivityTimeout string   `codec:"image_pull_inactivity_timeout"`
	Auth                       TaskAuth `codec:"auth"`
	// Load is a `docker save` tarball to load the image from instead of
	// pulling it: relative to the task directory, or a host path under
	// allowed_mounts.
	Load string `codec:"load"`
}

// Mount is a bind mount of a host path into the container.
type Mount struct {
	Source   string `codec:"source"`
	Target   string `codec:"target"`
	ReadOnly bool   `codec:"readonly"`
}

// validate checks the task config against the plugin's policy. It returns
// the first problem, naming the field and the value.
func (tc *TaskConfig) validate(pc *PluginConfig) error {
	if strings.TrimSpace(tc.Image) == "" {
		return fmt.Errorf("image: must name an image, such as \"busybox:1.36\"")
	}
	if _, err := parseImageRef(tc.Image); err != nil {
		return err
	}
	if _, err := parsePositiveDuration("image_pull_timeout", tc.ImagePullTimeout, pc.imagePullTimeout); err != nil {
		return err
	}
	if _, err := parsePositiveDuration("image_pull_inactivity_timeout", tc.ImagePullInactivityTimeout, pc.pullInactivity); err != nil {
		return err
	}
	if err := validateLoadPath(tc.Load, pc.AllowedMounts); err != nil {
		return err
	}
	for i, m := range tc.Mounts {
		if err := m.validate(i, pc.AllowedMounts); err != nil {
			return err
		}
	}
	for k := range tc.Labels {
		if strings.HasPrefix(k, labelPrefix) {
			return fmt.Errorf("labels: key %q uses the reserved prefix %q", k, labelPrefix)
		}
	}
	return nil
}

func (m Mount) validate(i int, allowed []string) error {
	if !filepath.IsAbs(m.Source) {
		return fmt.Errorf("mounts[%d].source: %q is not an absolute host path", i, m.Source)
	}
	if !filepath.IsAbs(m.Target) {
		return fmt.Errorf("mounts[%d].target: %q is not an absolute container path", i, m.Target)
	}
	if !pathAllowed(m.Source, allowed) {
		if len(allowed) == 0 {
			return fmt.Errorf("mounts[%d].source: %q is not allowed: the plugin config's allowed_mounts is empty, so no host path may be mounted", i, m.Source)
		}
		return fmt.Errorf("mounts[%d].source: %q is not under any of allowed_mounts %q", i, m.Source, allowed)
	}
	return nil
}

// pathAllowed reports whether p is one of the prefixes or below one,
// comparing whole path elements so "/data" does not admit "/database".
func pathAllowed(p string, prefixes []string) bool {
	p = filepath.Clean(p)
	for _, prefix := range prefixes {
		if p == prefix || prefix == "/" || strings.HasPrefix(p, prefix+"/") {
			return true
		}
	}
	return false
}

// parsePositiveDuration parses a Go duration, returning def for "".
func parsePositiveDuration(field, s string, def time.Duration) (time.Duration, error) {
	if s == "" {
		return def, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s: %q is not a positive duration; use Go duration syntax such as \"90s\" or \"5m\"", field, s)
	}
	return d, nil
}
