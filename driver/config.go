package driver

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
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
	"default_user": hclspec.NewDefault(
		hclspec.NewAttr("default_user", "string", false),
		hclspec.NewLiteral(`"`+defaultUser+`"`),
	),
	"allow_root":       hclspec.NewAttr("allow_root", "bool", false),
	"allow_privileged": hclspec.NewAttr("allow_privileged", "bool", false),
	"allow_caps":       hclspec.NewAttr("allow_caps", "list(string)", false),
	"readonly_rootfs":  hclspec.NewAttr("readonly_rootfs", "bool", false),
	"pids_limit": hclspec.NewDefault(
		hclspec.NewAttr("pids_limit", "number", false),
		hclspec.NewLiteral(strconv.Itoa(defaultPidsLimit)),
	),
	"allowed_images": hclspec.NewAttr("allowed_images", "list(string)", false),
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
	// contract.RuntimePath, so any image can run a MapReduce task without
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

	// DefaultUser is the user containers run as when the task sets no
	// `user`: NAME, UID, NAME:GROUP or UID:GID.
	DefaultUser string `codec:"default_user"`
	// AllowRoot lets containers run as root (uid or gid 0).
	AllowRoot bool `codec:"allow_root"`
	// AllowPrivileged lets a task ask for a privileged container.
	AllowPrivileged bool `codec:"allow_privileged"`
	// AllowCaps are the capabilities a task may add with cap_add; every
	// other capability is dropped. "all" allows any.
	AllowCaps []string `codec:"allow_caps"`
	// ReadonlyRootfs mounts every container's root filesystem read-only.
	ReadonlyRootfs bool `codec:"readonly_rootfs"`
	// PidsLimit bounds the processes of each container; 0 means no limit.
	PidsLimit int64 `codec:"pids_limit"`
	// AllowedImages are the repositories tasks may run, as names or
	// prefixes ending in /*; empty allows any image.
	AllowedImages []string `codec:"allowed_images"`

	imagePullTimeout time.Duration
	pullInactivity   time.Duration
	imagePatterns    []imagePattern
	resolvedMounts   []string // AllowedMounts with symlinks resolved
	protected        []string // paths no task may mount
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
	return c.validateSecurity()
}

// validateSecurity checks the security settings and derives what the
// policy needs from them.
func (c *PluginConfig) validateSecurity() error {
	if c.DefaultUser != "" {
		if err := checkUserSyntax(c.DefaultUser); err != nil {
			return fmt.Errorf("default_user: %w", err)
		}
		if isRootUser(c.DefaultUser) && !c.AllowRoot {
			return fmt.Errorf("default_user: %q is root, which containers may run as only with allow_root = true", c.DefaultUser)
		}
	}
	if _, err := checkCapNames("allow_caps", c.AllowCaps, true); err != nil {
		return err
	}
	if c.PidsLimit < 0 {
		return fmt.Errorf("pids_limit: %d is negative; give a number of processes, or 0 for no limit", c.PidsLimit)
	}
	c.imagePatterns = nil
	for i, s := range c.AllowedImages {
		p, err := parseImagePattern(s)
		if err != nil {
			return fmt.Errorf("allowed_images[%d]: %w", i, err)
		}
		c.imagePatterns = append(c.imagePatterns, p)
	}
	c.resolvedMounts = nil
	for _, p := range c.AllowedMounts {
		c.resolvedMounts = append(c.resolvedMounts, resolvePrefix(p))
	}
	c.protected = protectedPaths(c.Endpoint, c.TaskRuntime, defaultKeeperSocket())
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
	// Privilege a task may only ask for: the plugin config decides.
	"privileged":      hclspec.NewAttr("privileged", "bool", false),
	"cap_add":         hclspec.NewAttr("cap_add", "list(string)", false),
	"readonly_rootfs": hclspec.NewAttr("readonly_rootfs", "bool", false),
	"pids_limit":      hclspec.NewAttr("pids_limit", "number", false),
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
	Load           string   `codec:"load"`
	Privileged     bool     `codec:"privileged"`
	CapAdd         []string `codec:"cap_add"`
	ReadonlyRootfs bool     `codec:"readonly_rootfs"`
	PidsLimit      int64    `codec:"pids_limit"`
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
	ref, err := parseImageRef(tc.Image)
	if err != nil {
		return err
	}
	if err := checkImageAllowed(ref, pc.imagePatterns); err != nil {
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
		if err := m.validate(i); err != nil {
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

// validate checks what can be checked without the host; resolveMounts
// then applies allowed_mounts to the resolved source.
func (m Mount) validate(i int) error {
	if !filepath.IsAbs(m.Source) {
		return fmt.Errorf("mounts[%d].source: %q is not an absolute host path", i, m.Source)
	}
	if !filepath.IsAbs(m.Target) {
		return fmt.Errorf("mounts[%d].target: %q is not an absolute container path", i, m.Target)
	}
	return nil
}

// pathAllowed reports whether p is one of the prefixes or below one.
func pathAllowed(p string, prefixes []string) bool {
	for _, prefix := range prefixes {
		if within(p, prefix) {
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
