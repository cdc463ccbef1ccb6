package deploy

import (
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoenig/test/must"
)

// TestProvisionRejectsBadInputBeforeChangingAnything runs provision.sh with
// one bad value at a time. Every other value is good, except that DOCKMR_SRC
// is an empty directory: should a check be skipped, the script still stops
// before it changes this machine. It logs every change it makes, so an
// error alone on stderr shows that it changed nothing.
func TestProvisionRejectsBadInputBeforeChangingAnything(t *testing.T) {
	scriptNeeds(t, "ip", "iproute2") // the addresses of this machine
	script := filepath.Join(repoRoot(t), "deploy", "provision.sh")
	good := map[string]string{
		"DOCKMR_SERVER":    "127.0.0.1",
		"DOCKMR_NODE_IP":   "127.0.0.1",
		"DOCKMR_NODE_NAME": "client1",
		"DOCKMR_SRC":       t.TempDir(),
	}
	cases := []struct {
		name, role string
		set        map[string]string
		code       int
		want       string
	}{
		{"unknown role", "worker", nil, 2, "usage: provision server|client"},
		{"no role", "", nil, 2, "usage: provision server|client"},
		{"client without server", "client", map[string]string{"DOCKMR_SERVER": ""}, 1,
			"DOCKMR_SERVER is not set: give the Nomad server's address"},
		{"address of another machine", "client", map[string]string{"DOCKMR_NODE_IP": "198.51.100.254"}, 1,
			`DOCKMR_NODE_IP="198.51.100.254" is not an address of this machine; want one of: 127.0.0.1`},
		{"bad server address", "client", map[string]string{"DOCKMR_SERVER": "10.0.0.300"}, 1,
			`DOCKMR_SERVER="10.0.0.300" is not accepted`},
		{"relative data dir", "server", map[string]string{"DOCKMR_DATA_DIR": "data"}, 1,
			`DOCKMR_DATA_DIR="data" is not accepted: want an absolute path`},
		{"bad share", "server", map[string]string{"DOCKMR_SHARE": "ceph"}, 1,
			`DOCKMR_SHARE="ceph" is not accepted: want nfs or none`},
		{"bad network", "server", map[string]string{"DOCKMR_NETWORK": "10.0.0.0/33"}, 1,
			`DOCKMR_NETWORK="10.0.0.0/33" is not accepted: want an IPv4 network`},
		{"unknown data owner", "server", map[string]string{"DOCKMR_DATA_OWNER": "no-such-dockmr-user"}, 1,
			`DOCKMR_DATA_OWNER="no-such-dockmr-user" is not a user of this machine`},
		{"no binaries", "client", nil, 1,
			`DOCKMR_SRC="` + good["DOCKMR_SRC"] + `" has no executable nomad: build the binaries on the host with ` + "`make build nomad`"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			settings := maps.Clone(good)
			maps.Copy(settings, c.set)
			var extra []string
			for k, v := range settings {
				extra = append(extra, k+"="+v)
			}
			var args []string
			if c.role != "" {
				args = []string{c.role}
			}
			out := run(t, cleanEnv(extra...), script, args...)
			must.Eq(t, c.code, out.code, out.show())
			must.StrContains(t, out.stderr, c.want)
			must.Eq(t, 1, strings.Count(out.stderr, "\n"), out.show())
			must.Eq(t, "", out.stdout)
		})
	}
}
