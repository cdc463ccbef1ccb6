package driver

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/distribution/reference"
)

// The security policy: pure decisions about who a container runs as, what
// it may do and see, taken from the plugin config (the node operator's) and
// the task config (the job's). A job may ask for less than the operator
// allows, never for more. Nothing here talks to Docker or the filesystem,
// so every rule is unit-tested in a table.

// defaultUser is the user containers run as when neither the task nor the
// plugin config names one: nobody, numerically, so that images without an
// /etc/passwd (FROM scratch) need no entry for it.
const defaultUser = "65534:65534"

// defaultPidsLimit bounds the processes of a container unless the plugin
// config says otherwise: a fork bomb in one task must not exhaust the
// node's PIDs.
const defaultPidsLimit = 4096

// security is what the policy decided for one container.
type security struct {
	User           string
	CapAdd         []string // names without the CAP_ prefix, upper case
	Privileged     bool
	ReadonlyRootfs bool
	PidsLimit      int64 // 0: no limit
}

// decideSecurity applies the plugin's policy to a task that runs as
// taskUser (Nomad's task `user`, possibly empty).
func decideSecurity(pc *PluginConfig, tc *TaskConfig, taskUser string) (security, error) {
	var s security
	var err error
	if s.User, err = decideUser(taskUser, pc.DefaultUser, pc.AllowRoot); err != nil {
		return security{}, err
	}
	if tc.Privileged && !pc.AllowPrivileged {
		return security{}, fmt.Errorf("privileged: privileged containers are refused on this node; the node's operator would have to set allow_privileged = true in the plugin config")
	}
	s.Privileged = tc.Privileged
	if s.CapAdd, err = decideCaps(tc.CapAdd, pc.AllowCaps); err != nil {
		return security{}, err
	}
	s.ReadonlyRootfs = pc.ReadonlyRootfs || tc.ReadonlyRootfs
	if s.PidsLimit, err = decidePidsLimit(tc.PidsLimit, pc.PidsLimit); err != nil {
		return security{}, err
	}
	return s, nil
}

// decideUser returns the user a container runs as: the task's, else the
// plugin's default. Root is refused by name and by number, as user or as
// group, unless the plugin allows it. A user named otherwise is resolved
// by Docker in the image's /etc/passwd; the driver then checks the
// resolved IDs in the created container before starting it.
func decideUser(taskUser, pluginDefault string, allowRoot bool) (string, error) {
	user, field := taskUser, "user"
	if user == "" {
		user, field = pluginDefault, "default_user"
	}
	if user == "" {
		user = defaultUser
	}
	if err := checkUserSyntax(user); err != nil {
		return "", fmt.Errorf("%s: %w", field, err)
	}
	if isRootUser(user) && !allowRoot {
		return "", fmt.Errorf("%s: %q runs the container as root, which is refused on this node; run as another user, or the node's operator would have to set allow_root = true in the plugin config", field, user)
	}
	return user, nil
}

// checkUserSyntax accepts Docker's USER forms: name, uid, name:group,
// uid:gid.
func checkUserSyntax(user string) error {
	name, group, hasGroup := strings.Cut(user, ":")
	if name == "" || (hasGroup && group == "") || strings.ContainsAny(user, " \t\n/") || strings.Count(user, ":") > 1 {
		return fmt.Errorf("%q is not a user; use NAME, UID, NAME:GROUP or UID:GID, such as \"65534:65534\"", user)
	}
	return nil
}

// isRootUser reports whether user names root or uid 0, or group root or
// gid 0: a container in group 0 can write root's group-writable files on
// its mounts.
func isRootUser(user string) bool {
	name, group, _ := strings.Cut(user, ":")
	return isRootID(name) || (group != "" && isRootID(group))
}

func isRootID(s string) bool {
	if s == "root" {
		return true
	}
	n, err := strconv.ParseUint(s, 10, 32)
	return err == nil && n == 0
}

// normaliseCap turns "sys_admin", "CAP_SYS_ADMIN" or "SYS_ADMIN" into
// "SYS_ADMIN", Docker's spelling.
func normaliseCap(c string) string {
	c = strings.ToUpper(strings.TrimSpace(c))
	return strings.TrimPrefix(c, "CAP_")
}

// knownCaps are the Linux capabilities Docker accepts by name.
var knownCaps = []string{
	"AUDIT_CONTROL", "AUDIT_READ", "AUDIT_WRITE", "BLOCK_SUSPEND", "BPF",
	"CHECKPOINT_RESTORE", "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER",
	"FSETID", "IPC_LOCK", "IPC_OWNER", "KILL", "LEASE", "LINUX_IMMUTABLE",
	"MAC_ADMIN", "MAC_OVERRIDE", "MKNOD", "NET_ADMIN", "NET_BIND_SERVICE",
	"NET_BROADCAST", "NET_RAW", "PERFMON", "SETFCAP", "SETGID", "SETPCAP",
	"SETUID", "SYS_ADMIN", "SYS_BOOT", "SYS_CHROOT", "SYS_MODULE", "SYS_NICE",
	"SYS_PACCT", "SYS_PTRACE", "SYS_RAWIO", "SYS_RESOURCE", "SYS_TIME",
	"SYS_TTY_CONFIG", "SYSLOG", "WAKE_ALARM",
}

// checkCapNames normalises capability names, refusing unknown ones.
// "ALL" stands for every capability and is accepted only where all is
// meant to be allowed (the plugin's allow_caps).
func checkCapNames(field string, caps []string, allowAll bool) ([]string, error) {
	out := make([]string, 0, len(caps))
	for i, c := range caps {
		n := normaliseCap(c)
		if !slices.Contains(knownCaps, n) && !(allowAll && n == "ALL") {
			return nil, fmt.Errorf("%s[%d]: %q is not a Linux capability; use names such as \"net_bind_service\" or \"CAP_SYS_PTRACE\"", field, i, c)
		}
		out = append(out, n)
	}
	return out, nil
}

// decideCaps returns the capabilities a task asked for, each of which the
// plugin must allow. Every other capability is dropped.
func decideCaps(requested, allowed []string) ([]string, error) {
	caps, err := checkCapNames("cap_add", requested, false)
	if err != nil {
		return nil, err
	}
	allowedCaps, _ := checkCapNames("allow_caps", allowed, true) // validated with the plugin config
	for i, c := range caps {
		if !slices.Contains(allowedCaps, c) && !slices.Contains(allowedCaps, "ALL") {
			return nil, fmt.Errorf("cap_add[%d]: capability %q is refused on this node (allowed: %q); the node's operator would have to add it to allow_caps in the plugin config", i, requested[i], allowedCaps)
		}
	}
	if len(caps) == 0 {
		return nil, nil
	}
	return caps, nil
}

// decidePidsLimit returns the container's PIDs limit: the task's if it
// sets one, else the plugin's. A task may only lower the plugin's limit.
func decidePidsLimit(task, plugin int64) (int64, error) {
	switch {
	case task < 0:
		return 0, fmt.Errorf("pids_limit: %d is negative; give a positive number of processes", task)
	case task == 0:
		return plugin, nil
	case plugin > 0 && task > plugin:
		return 0, fmt.Errorf("pids_limit: %d is above this node's limit of %d (the plugin config's pids_limit); ask for at most %d", task, plugin, plugin)
	}
	return task, nil
}

// imagePattern is one entry of the plugin's allowed_images, normalised:
// either a whole repository name ("docker.io/library/busybox") or, for a
// pattern ending in "/*", a prefix matching every repository below it
// ("registry.example.com/", "docker.io/dockmr/").
type imagePattern struct {
	name   string
	prefix bool
}

// parseImagePattern normalises a pattern as Docker normalises image names:
// "busybox" is docker.io/library/busybox and "dockmr/*" is docker.io/dockmr/*.
// A first element with a dot or a colon, or "localhost", is a registry, so
// "registry.example.com/*" matches every image of that registry. Tags and
// digests are not part of a pattern: it allows repositories.
func parseImagePattern(s string) (imagePattern, error) {
	bad := func(why string) (imagePattern, error) {
		return imagePattern{}, fmt.Errorf("%q is not an image pattern (%s); use a repository such as \"library/busybox\", or a prefix ending in /* such as \"registry.example.com/*\" or \"dockmr/*\"", s, why)
	}
	base, wildcard := strings.CutSuffix(s, "/*")
	if strings.Contains(base, "*") || base == "" {
		return bad("* may only end the pattern, after a /")
	}
	if wildcard && isRegistryHost(base) {
		if _, err := reference.ParseNormalizedNamed(base + "/x"); err != nil {
			return bad(err.Error())
		}
		return imagePattern{name: base + "/", prefix: true}, nil
	}
	probe := base
	if wildcard {
		// Normalise the prefix as the start of a repository name, so
		// that "dockmr/*" gets docker.io in front and not library/.
		probe = base + "/x"
	}
	named, err := reference.ParseNormalizedNamed(probe)
	if err != nil {
		return bad(err.Error())
	}
	if _, tagged := named.(reference.Tagged); tagged {
		return bad("a pattern names repositories, without a tag")
	}
	if _, digested := named.(reference.Digested); digested {
		return bad("a pattern names repositories, without a digest")
	}
	if wildcard {
		return imagePattern{name: strings.TrimSuffix(named.Name(), "x"), prefix: true}, nil
	}
	return imagePattern{name: named.Name()}, nil
}

// isRegistryHost tells a registry ("registry.example.com", "127.0.0.1:5000",
// "localhost") from a Docker Hub namespace ("dockmr"), as Docker does.
func isRegistryHost(s string) bool {
	return !strings.Contains(s, "/") && (strings.ContainsAny(s, ".:") || s == "localhost")
}

func (p imagePattern) String() string {
	if p.prefix {
		return p.name + "*"
	}
	return p.name
}

// checkImageAllowed refuses an image whose repository matches none of the
// patterns. No patterns allow every image, as Nomad's docker driver does.
// ref must be normalised (parseImageRef).
func checkImageAllowed(ref string, patterns []imagePattern) error {
	if len(patterns) == 0 {
		return nil
	}
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return fmt.Errorf("image: %q is not a valid image reference: %w", ref, err)
	}
	name := named.Name()
	for _, p := range patterns {
		if name == p.name || (p.prefix && strings.HasPrefix(name, p.name)) {
			return nil
		}
	}
	names := make([]string, len(patterns))
	for i, p := range patterns {
		names[i] = p.String()
	}
	return fmt.Errorf("image: %q is not allowed on this node: repository %s matches none of allowed_images %q; use an image from those, or the node's operator would have to add it to allowed_images in the plugin config", ref, name, names)
}

// checkMountSource decides whether a host path, with its symlinks already
// resolved, may be bind-mounted: it must lie under one of the allowed
// prefixes (resolved too), and must neither lie in nor contain a protected
// path (the Docker socket, /proc, /sys, the plugin's and Nomad's own
// directories). "/" contains them all, so it is never mountable.
func checkMountSource(field, source, resolved string, allowed []string, protected []string) error {
	shown := fmt.Sprintf("%q", source)
	if resolved != filepath.Clean(source) {
		shown = fmt.Sprintf("%q (resolved to %q)", source, resolved)
	}
	for _, p := range protected {
		if within(resolved, p) || within(p, resolved) {
			return fmt.Errorf("%s: %s can never be mounted: it exposes %s, which tasks must not reach", field, shown, p)
		}
	}
	if len(allowed) == 0 {
		return fmt.Errorf("%s: %s is not allowed: the plugin config's allowed_mounts is empty, so no host path may be mounted", field, shown)
	}
	for _, prefix := range allowed {
		if within(resolved, prefix) {
			return nil
		}
	}
	return fmt.Errorf("%s: %s is not under any of allowed_mounts %q", field, shown, allowed)
}

// within reports whether p is dir or below it, comparing whole path
// elements so that "/data" does not contain "/database".
func within(p, dir string) bool {
	p, dir = filepath.Clean(p), filepath.Clean(dir)
	return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/")
}
