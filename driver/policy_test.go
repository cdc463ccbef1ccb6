package driver

import (
	"strings"
	"testing"

	"github.com/shoenig/test/must"
)

func TestDecideUser(t *testing.T) {
	cases := []struct {
		name, task, plugin string
		allowRoot          bool
		want, err          string
	}{
		{"built-in default", "", "", false, defaultUser, ""},
		{"plugin default", "", "1000:100", false, "1000:100", ""},
		{"task wins", "app", "1000:100", false, "app", ""},
		{"task uid:gid", "2000:2000", "", false, "2000:2000", ""},
		{"task name:group", "app:staff", "", false, "app:staff", ""},
		{"root by name", "root", "", false, "", `user: "root" runs the container as root, which is refused on this node; run as another user, or the node's operator would have to set allow_root = true in the plugin config`},
		{"uid 0", "0", "", false, "", `user: "0" runs the container as root`},
		{"uid 0 padded", "000", "", false, "", `user: "000" runs the container as root`},
		{"uid 0 with group", "0:1000", "", false, "", `user: "0:1000" runs the container as root`},
		{"root with group", "root:app", "", false, "", `user: "root:app" runs the container as root`},
		{"gid 0", "1000:0", "", false, "", `user: "1000:0" runs the container as root`},
		{"group root", "app:root", "", false, "", `user: "app:root" runs the container as root`},
		{"root default", "", "0:0", false, "", `default_user: "0:0" runs the container as root`},
		{"root allowed", "0", "", true, "0", ""},
		{"root default allowed", "", "root", true, "root", ""},
		{"empty group", "app:", "", false, "", `user: "app:" is not a user`},
		{"empty name", ":app", "", false, "", `user: ":app" is not a user`},
		{"two colons", "1:2:3", "", false, "", `user: "1:2:3" is not a user`},
		{"space", "my user", "", false, "", `user: "my user" is not a user`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := decideUser(c.task, c.plugin, c.allowRoot)
			if c.err != "" {
				must.ErrorContains(t, err, c.err)
				return
			}
			must.NoError(t, err)
			must.Eq(t, c.want, got)
		})
	}
}

func TestDecideCaps(t *testing.T) {
	cases := []struct {
		name               string
		requested, allowed []string
		want               []string
		err                string
	}{
		{"none asked, none allowed", nil, nil, nil, ""},
		{"none asked", nil, []string{"sys_admin"}, nil, ""},
		{"allowed, spellings normalised", []string{"cap_net_raw", "SYS_PTRACE"}, []string{"CAP_NET_RAW", "sys_ptrace"}, []string{"NET_RAW", "SYS_PTRACE"}, ""},
		{"all allows any", []string{"SYS_ADMIN"}, []string{"all"}, []string{"SYS_ADMIN"}, ""},
		{"refused", []string{"SYS_ADMIN"}, nil, nil, `cap_add[0]: capability "SYS_ADMIN" is refused on this node (allowed: []); the node's operator would have to add it to allow_caps in the plugin config`},
		{"refused among allowed", []string{"chown", "sys_module"}, []string{"chown"}, nil, `cap_add[1]: capability "sys_module" is refused on this node (allowed: ["CHOWN"])`},
		{"unknown", []string{"FLY"}, []string{"all"}, nil, `cap_add[0]: "FLY" is not a Linux capability`},
		{"all is not a capability to add", []string{"ALL"}, []string{"all"}, nil, `cap_add[0]: "ALL" is not a Linux capability`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := decideCaps(c.requested, c.allowed)
			if c.err != "" {
				must.ErrorContains(t, err, c.err)
				return
			}
			must.NoError(t, err)
			must.Eq(t, c.want, got)
		})
	}
}

func TestDecidePidsLimit(t *testing.T) {
	cases := []struct {
		name         string
		task, plugin int64
		want         int64
		err          string
	}{
		{"plugin default", 0, 4096, 4096, ""},
		{"task lower", 64, 4096, 64, ""},
		{"task equal", 4096, 4096, 4096, ""},
		{"task higher", 5000, 4096, 0, "pids_limit: 5000 is above this node's limit of 4096 (the plugin config's pids_limit); ask for at most 4096"},
		{"no plugin limit", 0, 0, 0, ""},
		{"task limit under no plugin limit", 100, 0, 100, ""},
		{"negative", -1, 4096, 0, "pids_limit: -1 is negative"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := decidePidsLimit(c.task, c.plugin)
			if c.err != "" {
				must.ErrorContains(t, err, c.err)
				return
			}
			must.NoError(t, err)
			must.Eq(t, c.want, got)
		})
	}
}

func TestDecideSecurity(t *testing.T) {
	secure := &PluginConfig{PidsLimit: 4096}
	s, err := decideSecurity(secure, &TaskConfig{Image: "x"}, "")
	must.NoError(t, err)
	must.Eq(t, security{User: defaultUser, PidsLimit: 4096}, s)

	s, err = decideSecurity(secure, &TaskConfig{Image: "x", ReadonlyRootfs: true, PidsLimit: 10}, "1000")
	must.NoError(t, err)
	must.Eq(t, security{User: "1000", ReadonlyRootfs: true, PidsLimit: 10}, s)

	// The operator's read-only root filesystem is not the task's to undo.
	s, err = decideSecurity(&PluginConfig{ReadonlyRootfs: true}, &TaskConfig{Image: "x"}, "")
	must.NoError(t, err)
	must.True(t, s.ReadonlyRootfs)

	_, err = decideSecurity(secure, &TaskConfig{Image: "x", Privileged: true}, "")
	must.ErrorContains(t, err, "privileged: privileged containers are refused on this node; the node's operator would have to set allow_privileged = true in the plugin config")

	s, err = decideSecurity(&PluginConfig{AllowPrivileged: true}, &TaskConfig{Image: "x", Privileged: true}, "")
	must.NoError(t, err)
	must.True(t, s.Privileged)

	_, err = decideSecurity(secure, &TaskConfig{Image: "x", CapAdd: []string{"SYS_ADMIN"}}, "")
	must.ErrorContains(t, err, `cap_add[0]: capability "SYS_ADMIN" is refused on this node`)

	_, err = decideSecurity(secure, &TaskConfig{Image: "x"}, "root")
	must.ErrorContains(t, err, `user: "root" runs the container as root`)
}

func TestImagePatterns(t *testing.T) {
	parse := func(t *testing.T, patterns ...string) []imagePattern {
		var out []imagePattern
		for _, s := range patterns {
			p, err := parseImagePattern(s)
			must.NoError(t, err, must.Sprint(s))
			out = append(out, p)
		}
		return out
	}
	list := parse(t, "registry.example.com/*", "dockmr/*", "library/busybox", "127.0.0.1:5000/team/*", "localhost/*")
	must.Eq(t, []string{
		"registry.example.com/*", "docker.io/dockmr/*", "docker.io/library/busybox", "127.0.0.1:5000/team/*", "localhost/*",
	}, []string{list[0].String(), list[1].String(), list[2].String(), list[3].String(), list[4].String()})

	cases := []struct {
		image   string
		allowed bool
	}{
		{"registry.example.com/app:1", true},
		{"registry.example.com/team/deep/app@sha256:" + strings.Repeat("a", 64), true},
		{"dockmr/examples:dev", true},
		{"docker.io/dockmr/testimage:dev", true},
		{"busybox", true},
		{"busybox:1.36", true},
		{"docker.io/library/busybox:latest", true},
		{"127.0.0.1:5000/team/app:1", true},
		{"localhost/app", true},
		{"alpine", false},
		{"evil/busybox", false},
		{"registry.example.com.evil.org/app", false},
		{"dockmrx/app", false},
		{"127.0.0.1:5000/other/app", false},
		{"127.0.0.1:5001/team/app", false},
		{"docker.io/dockmr", false},
	}
	for _, c := range cases {
		t.Run(c.image, func(t *testing.T) {
			ref, err := parseImageRef(c.image)
			must.NoError(t, err)
			err = checkImageAllowed(ref, list)
			if c.allowed {
				must.NoError(t, err)
				return
			}
			must.ErrorContains(t, err, "is not allowed on this node")
			must.ErrorContains(t, err, "allowed_images")
		})
	}

	// No patterns: any image, as with Nomad's docker driver.
	must.NoError(t, checkImageAllowed("docker.io/library/alpine:latest", nil))
	// docker.io as a registry, for "Docker Hub only".
	hub := parse(t, "docker.io/*")
	must.NoError(t, checkImageAllowed("docker.io/library/alpine:latest", hub))
	must.Error(t, checkImageAllowed("quay.io/x/y:latest", hub))

	for _, bad := range []string{"", "*", "dockmr/*/x", "busybox:1.36", "busybox@sha256:" + strings.Repeat("a", 64), "Bad Name/*", "registry.example.com/*:1"} {
		_, err := parseImagePattern(bad)
		must.ErrorContains(t, err, "is not an image pattern", must.Sprint(bad))
	}
}

func TestCheckMountSource(t *testing.T) {
	allowed := []string{"/srv/data", "/scratch"}
	protected := []string{"/proc", "/sys", "/run/docker.sock", "/opt/nomad/plugins", "/var/lib/nomad/alloc"}
	cases := []struct {
		name, source, resolved, err string
	}{
		{"under prefix", "/srv/data/in", "/srv/data/in", ""},
		{"the prefix itself", "/scratch", "/scratch", ""},
		{"outside", "/etc", "/etc", `mounts[0].source: "/etc" is not under any of allowed_mounts ["/srv/data" "/scratch"]`},
		{"sibling", "/srv/database", "/srv/database", `"/srv/database" is not under any of allowed_mounts`},
		{"symlink out", "/srv/data/link", "/etc", `mounts[0].source: "/srv/data/link" (resolved to "/etc") is not under any of allowed_mounts`},
		{"dot-dot", "/srv/data/../../etc", "/etc", `"/srv/data/../../etc" is not under`},
		{"root", "/", "/", `mounts[0].source: "/" can never be mounted: it exposes /proc, which tasks must not reach`},
		{"docker socket", "/run/docker.sock", "/run/docker.sock", `"/run/docker.sock" can never be mounted: it exposes /run/docker.sock`},
		{"docker socket's directory", "/run", "/run", `"/run" can never be mounted: it exposes /run/docker.sock`},
		{"proc", "/proc/1/root", "/proc/1/root", `"/proc/1/root" can never be mounted: it exposes /proc`},
		{"sys", "/sys", "/sys", `"/sys" can never be mounted: it exposes /sys`},
		{"plugin directory", "/opt/nomad/plugins", "/opt/nomad/plugins", `can never be mounted: it exposes /opt/nomad/plugins`},
		{"alloc root", "/var/lib/nomad/alloc/other/secrets", "/var/lib/nomad/alloc/other/secrets", `can never be mounted: it exposes /var/lib/nomad/alloc`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := checkMountSource("mounts[0].source", c.source, c.resolved, allowed, protected)
			if c.err == "" {
				must.NoError(t, err)
				return
			}
			must.ErrorContains(t, err, c.err)
		})
	}

	// Protected paths win over an operator who allows everything.
	must.ErrorContains(t, checkMountSource("mounts[0].source", "/proc", "/proc", []string{"/"}, protected), "can never be mounted")
	must.NoError(t, checkMountSource("mounts[0].source", "/home/x", "/home/x", []string{"/"}, protected))
	must.ErrorContains(t, checkMountSource("mounts[0].source", "/data", "/data", nil, protected), "allowed_mounts is empty")
}

func TestUserNames(t *testing.T) {
	for user, named := range map[string]bool{
		"65534:65534": false, "1000": false, "app": true, "app:1000": true, "1000:staff": true,
	} {
		must.Eq(t, named, hasUserName(user), must.Sprint(user))
	}

	passwd := "root:x:0:0:root:/root:/bin/sh\ntoor:x:0:0::/:/bin/sh\napp:x:1000:100::/home/app:/bin/sh\nbad:x:abc:1::/:/bin/sh\n"
	for name, want := range map[string][3]int{"toor": {0, 0, 1}, "app": {1000, 100, 1}, "ghost": {0, 0, 0}} {
		id, id2, found, err := findID(strings.NewReader(passwd), name)
		must.NoError(t, err)
		must.Eq(t, want, [3]int{id, id2, map[bool]int{true: 1}[found]}, must.Sprint(name))
	}
	_, _, found, err := findID(strings.NewReader(passwd), "bad")
	must.ErrorContains(t, err, `user: "bad" has id "abc", not a number`)
	must.False(t, found)
}
