package e2e

import (
	"regexp"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/shoenig/test/must"
)

// dockerDriverName is the name pattern by which Nomad's docker driver
// recognises the containers it made before it labelled them
// (nomadContainerNamePattern in Nomad's drivers/docker/reconcile_dangling.go).
var dockerDriverName = regexp.MustCompile(`\/.*-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// Nomad's docker driver is enabled on every client with Docker, and by
// default it removes running containers it does not track that look like its
// own: labelled com.hashicorp.nomad.alloc_id, or named "…-<alloc ID>" with
// /alloc, /local and /secrets mounted (isNomadContainer in Nomad's
// drivers/docker/reconcile_dangling.go). A dockmr-driver container must not
// look like one, or the docker driver kills it once it has run for the
// dangling-container grace period (5 minutes by default).
func TestContainersNotClaimedByDockerDriver(t *testing.T) {
	c := shared(t)
	alloc := runScript(t, c, "echo ready; exec sleep 600", nil)
	alloc = waitRunning(t, c, alloc.ID)
	waitStdout(t, c, alloc.ID, "ready\n")
	info := inspect(t, alloc)

	must.MapNotContainsKey(t, info.Config.Labels, "com.hashicorp.nomad.alloc_id")
	looksLikeDockerDriver := hasMount(info, "/alloc") && hasMount(info, "/local") && hasMount(info, "/secrets") &&
		dockerDriverName.MatchString(info.Name)
	must.False(t, looksLikeDockerDriver, must.Sprintf(
		"container %s has the docker driver's task mounts and a name matching %s: Nomad's docker driver would remove it as dangling",
		info.Name, dockerDriverName))
	must.NoError(t, c.StopAlloc(alloc.ID))
}

func hasMount(info container.InspectResponse, dest string) bool {
	for _, m := range info.Mounts {
		if m.Destination == dest {
			return true
		}
	}
	return false
}
