package deploy

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/shoenig/test/must"
)

// vagrant runs a vagrant command on the repository's Vagrantfile with the
// given DOCKMR_* settings. Its state directory goes to a temporary
// directory, not .vagrant/ in the repository.
func vagrant(t *testing.T, settings []string, args ...string) output {
	t.Helper()
	bin := requireTool(t, "vagrant", "vagrant")
	env := cleanEnv(append([]string{
		"VAGRANT_CWD=" + repoRoot(t),
		"VAGRANT_DOTFILE_PATH=" + t.TempDir(),
		"VAGRANT_NO_COLOR=1",
	}, settings...)...)
	return run(t, env, bin, args...)
}

// machineLine is how `vagrant validate --ignore-provider` names each
// machine it checks.
var machineLine = regexp.MustCompile(`(?m)^==> (\S+): Ignoring provider config`)

// TestVagrantfileValidates checks the cluster with the default provider's
// settings (libvirt with Debian's vagrant package), and that it defines
// the server plus DOCKMR_CLIENTS clients. No box or VM is needed.
func TestVagrantfileValidates(t *testing.T) {
	for _, clients := range []int{2, 3} {
		t.Run(fmt.Sprintf("%d clients", clients), func(t *testing.T) {
			settings := []string{fmt.Sprintf("DOCKMR_CLIENTS=%d", clients)}

			out := vagrant(t, settings, "validate")
			if strings.Contains(out.stderr, "is reporting that it isn't usable") {
				t.Fatalf("vagrant has no usable provider to check the settings with: run deploy/setup.sh as root (it installs Debian's vagrant-libvirt package)\n%s", out)
			}
			must.Eq(t, 0, out.code, out.show())
			must.StrContains(t, out.stdout, "Vagrantfile validated successfully")

			out = vagrant(t, settings, "validate", "--ignore-provider")
			must.Eq(t, 0, out.code, out.show())
			want := []string{"server"}
			for i := 1; i <= clients; i++ {
				want = append(want, fmt.Sprintf("client%d", i))
			}
			var got []string
			for _, m := range machineLine.FindAllStringSubmatch(out.stdout, -1) {
				got = append(got, m[1])
			}
			must.Eq(t, want, got, out.show())
		})
	}
}

func TestVagrantfileSettings(t *testing.T) {
	out := vagrant(t, []string{
		"DOCKMR_CLIENTS=1",
		"DOCKMR_SUBNET=10.20.30",
		"DOCKMR_SERVER_MEMORY=4096",
		"DOCKMR_SERVER_CPUS=4",
		"DOCKMR_CLIENT_MEMORY=8192",
		"DOCKMR_CLIENT_CPUS=8",
		"DOCKMR_BOX=debian/testing64",
	}, "validate")
	must.Eq(t, 0, out.code, out.show())
}

// TestVagrantfileRejectsBadSettings: a bad variable stops every vagrant
// command with its name and value, not a Ruby backtrace.
func TestVagrantfileRejectsBadSettings(t *testing.T) {
	cases := []struct{ setting, want string }{
		{"DOCKMR_CLIENTS=two", `DOCKMR_CLIENTS="two" is not accepted: want a whole number from 1 to 244`},
		{"DOCKMR_CLIENTS=0", `DOCKMR_CLIENTS="0" is not accepted`},
		{"DOCKMR_CLIENTS=245", `DOCKMR_CLIENTS="245" is not accepted`},
		{"DOCKMR_SUBNET=192.168.256", `DOCKMR_SUBNET="192.168.256" is not accepted: want the first three parts of an IPv4 network`},
		{"DOCKMR_SUBNET=192.168.56.0", `DOCKMR_SUBNET="192.168.56.0" is not accepted`},
		{"DOCKMR_CLIENT_MEMORY=2g", `DOCKMR_CLIENT_MEMORY="2g" is not accepted: want a whole number from 512`},
		{"DOCKMR_SERVER_CPUS=-1", `DOCKMR_SERVER_CPUS="-1" is not accepted`},
		{"DOCKMR_BOX=bookworm", `DOCKMR_BOX="bookworm" is not accepted: want a box name`},
	}
	for _, c := range cases {
		t.Run(c.setting, func(t *testing.T) {
			out := vagrant(t, []string{c.setting}, "validate")
			must.NotEq(t, 0, out.code, out.show())
			must.StrContains(t, out.stderr, c.want)
			must.StrNotContains(t, out.stderr, ".rb:", must.Sprint("a Ruby backtrace instead of the message"))
		})
	}
}
