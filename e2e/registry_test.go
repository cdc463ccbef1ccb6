package e2e

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/e2e/nomadtest"
	"github.com/dockmr/dockmr/e2e/registrytest"
	"github.com/dockmr/dockmr/internal/testimage"
)

// privateRegistry starts a real registry with htpasswd authentication and
// pushes the test image into it; it returns the registry and the reference
// to pull, which the daemon does not hold under that name.
func privateRegistry(t *testing.T) (*registrytest.Distribution, string) {
	t.Helper()
	reg, err := registrytest.StartDistribution(t.Context(), "dockmr", "pass-"+fmt.Sprint(os.Getpid()))
	must.NoError(t, err)
	t.Cleanup(func() { reg.Close() })
	if reg.Addr != registrytest.PreferredAddr {
		t.Logf("%s is taken: the registry listens on %s", registrytest.PreferredAddr, reg.Addr)
	}
	cli, err := testimage.NewClient()
	must.NoError(t, err)
	t.Cleanup(func() { cli.Close() })
	ref, err := reg.Push(t.Context(), cli, image, "dockmr/e2e-private", fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano()))
	must.NoError(t, err)
	t.Cleanup(func() { removeImage(ref) })
	return reg, ref
}

// pulledFrom checks that the task pulled ref (it is forced to) and ran.
func pulledFrom(t *testing.T, c *nomadtest.Cluster, alloc *api.Allocation, ref string) {
	t.Helper()
	must.Eq(t, 0, terminated(t, alloc).ExitCode, must.Sprint(describe(alloc)))
	requireStdout(t, c, alloc.ID, "pulled\n")
	found := false
	for _, e := range nomadtest.FindEvents(alloc, task, api.TaskDriverMessage) {
		found = found || strings.HasPrefix(e.DriverMessage, "Pulled image "+ref)
	}
	must.True(t, found, must.Sprintf("no \"Pulled image\" event:\n%s", describe(alloc)))
}

// A private registry is pulled from with the task's credentials; wrong ones
// fail the task at once, with a message naming the registry, and no retry.
func TestPrivateRegistry_TaskAuth(t *testing.T) {
	c := shared(t)
	reg, ref := privateRegistry(t)

	t.Run("right password", func(t *testing.T) {
		alloc := runFile(t, c, "registry.nomad.hcl", map[string]string{"image": ref, "username": reg.User, "password": reg.Password})
		pulledFrom(t, c, waitDead(t, c, alloc.ID), ref)
	})
	t.Run("wrong password", func(t *testing.T) {
		removeImage(ref)
		alloc := runFile(t, c, "registry.nomad.hcl", map[string]string{"image": ref, "username": reg.User, "password": "wrong"})
		alloc, err := c.WaitClientStatus(t.Context(), alloc.ID, api.AllocClientStatusFailed, api.AllocClientStatusComplete)
		must.NoError(t, err)
		must.Eq(t, api.AllocClientStatusFailed, alloc.ClientStatus, must.Sprint(describe(alloc)))
		msg := event(t, alloc, api.TaskDriverFailure).DisplayMessage
		t.Log(msg)
		must.StrContains(t, msg, "authentication failed at registry "+reg.Addr)
		must.StrContains(t, msg, `task auth (user "dockmr")`)
		must.Eq(t, uint64(0), alloc.TaskStates[task].Restarts, must.Sprint("a refused pull must not be retried"))
	})
	t.Run("no credentials", func(t *testing.T) {
		removeImage(ref)
		alloc := runFile(t, c, "registry.nomad.hcl", map[string]string{"image": ref})
		alloc, err := c.WaitClientStatus(t.Context(), alloc.ID, api.AllocClientStatusFailed, api.AllocClientStatusComplete)
		must.NoError(t, err)
		must.Eq(t, api.AllocClientStatusFailed, alloc.ClientStatus, must.Sprint(describe(alloc)))
		must.StrContains(t, event(t, alloc, api.TaskDriverFailure).DisplayMessage, "no credentials (anonymous pull)")
	})
}

// The plugin finds credentials in a Docker config.json, and asks a
// credential helper for registries the file does not know: here the same
// registry under its two loopback names. A plain-HTTP registry that is not
// in the plugin's insecure_registries is refused before any pull.
func TestPrivateRegistry_PluginAuth(t *testing.T) {
	reg, ref := privateRegistry(t)
	dir := t.TempDir()
	port := strings.TrimPrefix(reg.Addr, "127.0.0.1:")
	config := filepath.Join(dir, "config.json")
	auth := base64.StdEncoding.EncodeToString([]byte(reg.User + ":" + reg.Password))
	must.NoError(t, os.WriteFile(config, []byte(fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, reg.Addr, auth)), 0o600))
	helper := filepath.Join(dir, "docker-credential-dockmrtest")
	must.NoError(t, os.WriteFile(helper, []byte(fmt.Sprintf(`#!/bin/sh
[ "$1" = get ] || exit 1
read server
if [ "$server" = "localhost:%s" ]; then
  echo '{"ServerURL":"localhost:%s","Username":"%s","Secret":"%s"}'
  exit 0
fi
echo "credentials not found in native keychain"
exit 1
`, port, port, reg.User, reg.Password)), 0o755))
	// The agent, and so the plugin, inherit the test's PATH.
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))

	c, err := nomadtest.Start(t.Context(), nomadtest.Options{
		// Only this registry, under its two names, may be reached over
		// plain HTTP: not the whole loopback range.
		DriverConfig: fmt.Sprintf("auth {\n config = %q\n helper = \"dockmrtest\"\n}\ninsecure_registries = [%q, %q]",
			config, reg.Addr, "localhost:"+port),
	})
	must.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	c.Watch(t)

	t.Run("config file", func(t *testing.T) {
		alloc := runFile(t, c, "registry.nomad.hcl", map[string]string{"image": ref})
		pulledFrom(t, c, waitDead(t, c, alloc.ID), ref)
	})
	t.Run("helper", func(t *testing.T) {
		viaHelper := strings.Replace(ref, "127.0.0.1:", "localhost:", 1)
		t.Cleanup(func() { removeImage(viaHelper) })
		alloc := runFile(t, c, "registry.nomad.hcl", map[string]string{"image": viaHelper})
		pulledFrom(t, c, waitDead(t, c, alloc.ID), viaHelper)
	})
	t.Run("plain HTTP registry not listed", func(t *testing.T) {
		other, repo, tag, otherRef := pullFixture(t)
		alloc := runFile(t, c, "registry.nomad.hcl", map[string]string{"image": otherRef})
		alloc, err := c.WaitClientStatus(t.Context(), alloc.ID, api.AllocClientStatusFailed, api.AllocClientStatusComplete)
		must.NoError(t, err)
		must.Eq(t, api.AllocClientStatusFailed, alloc.ClientStatus, must.Sprint(describe(alloc)))
		msg := event(t, alloc, api.TaskDriverFailure).DisplayMessage
		t.Log(msg)
		must.StrContains(t, msg, "registry "+other.Addr()+" is reached over plain HTTP by the Docker daemon")
		must.StrContains(t, msg, "insecure_registries")
		must.Eq(t, 0, other.Resolutions(repo, tag), must.Sprint("refused before pulling"))
	})
}

// A pull from a registry that stops sending anything is abandoned after
// image_pull_inactivity_timeout, well before image_pull_timeout.
func TestImagePullInactivity(t *testing.T) {
	c := shared(t)
	reg, _, _, ref := pullFixture(t)
	reg.Hang(true)
	t.Cleanup(func() { reg.Hang(false) })
	alloc := runFile(t, c, "registry.nomad.hcl", map[string]string{
		"image": ref, "image_pull_timeout": "10m", "image_pull_inactivity_timeout": "2s",
	})
	alloc, err := c.WaitClientStatus(t.Context(), alloc.ID, api.AllocClientStatusFailed, api.AllocClientStatusComplete)
	must.NoError(t, err)
	must.Eq(t, api.AllocClientStatusFailed, alloc.ClientStatus, must.Sprint(describe(alloc)))
	msg := nomadtest.FindEvents(alloc, task, api.TaskDriverFailure)
	must.Positive(t, len(msg), must.Sprint(describe(alloc)))
	t.Log(msg[0].DisplayMessage)
	must.StrContains(t, msg[0].DisplayMessage, "no progress for 2s (image_pull_inactivity_timeout)")
	must.StrContains(t, msg[0].DisplayMessage, ref)
}
