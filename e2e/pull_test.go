package e2e

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	dockerimage "github.com/docker/docker/api/types/image"
	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/contract"
	"github.com/dockmr/dockmr/e2e/nomadtest"
	"github.com/dockmr/dockmr/e2e/registrytest"
	"github.com/dockmr/dockmr/internal/testimage"
)

// pullFixture serves a copy of the test image from a local registry under a
// reference the daemon has never seen, and removes the pulled image after.
func pullFixture(t *testing.T) (reg *registrytest.Server, repo, tag, ref string) {
	t.Helper()
	cli, err := testimage.NewClient()
	must.NoError(t, err)
	t.Cleanup(func() { cli.Close() })
	reg, err = registrytest.Start()
	must.NoError(t, err)
	t.Cleanup(func() { reg.Close() })

	repo, tag = "dockmr/e2e-pull", fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano())
	ref, err = reg.Add(t.Context(), cli, image, repo, tag)
	must.NoError(t, err)
	t.Cleanup(func() { _, _ = cli.ImageRemove(context.Background(), ref, dockerimage.RemoveOptions{Force: true}) })
	return reg, repo, tag, ref
}

// A missing image is pulled once, however many tasks need it at once, with
// the pull shown in the task events; a present one is not pulled again
// unless the task forces it.
func TestImagePull(t *testing.T) {
	c := shared(t)
	reg, repo, tag, ref := pullFixture(t)

	const tasks = 4
	job, err := c.ParseJobFile("testdata/pull.nomad.hcl", map[string]string{"image": ref, "count": fmt.Sprint(tasks)})
	must.NoError(t, err)
	nomadtest.Unique(job, t.Name())
	_, err = c.Register(job)
	must.NoError(t, err)
	stubs, err := c.WaitAllocations(t.Context(), *job.ID, tasks)
	must.NoError(t, err)
	pulling := 0
	for _, s := range stubs {
		alloc := waitDead(t, c, s.ID)
		must.Eq(t, 0, terminated(t, alloc).ExitCode, must.Sprint(describe(alloc)))
		requireStdout(t, c, alloc.ID, "pulled\n")
		for _, e := range nomadtest.FindEvents(alloc, task, api.TaskDriverMessage) {
			if strings.Contains(e.DriverMessage, "Pulling image") && strings.Contains(e.DriverMessage, ref) {
				pulling++
				break
			}
		}
	}
	must.Positive(t, pulling, must.Sprint("no task event tells of the pull"))
	must.Eq(t, 1, reg.Resolutions(repo, tag), must.Sprintf("%d tasks starting at once must share one pull", tasks))

	t.Run("present", func(t *testing.T) {
		alloc := waitDead(t, c, runFile(t, c, "pull.nomad.hcl", map[string]string{"image": ref}).ID)
		must.Eq(t, 0, terminated(t, alloc).ExitCode, must.Sprint(describe(alloc)))
		must.Eq(t, 1, reg.Resolutions(repo, tag))
	})
	t.Run("forced", func(t *testing.T) {
		alloc := waitDead(t, c, runFile(t, c, "pull.nomad.hcl", map[string]string{"image": ref, "force_pull": "true"}).ID)
		must.Eq(t, 0, terminated(t, alloc).ExitCode, must.Sprint(describe(alloc)))
		must.Eq(t, 2, reg.Resolutions(repo, tag))
	})
}

// A pull from a registry that stops answering gives up at the task's
// image_pull_timeout and fails the task, naming the image.
func TestImagePullTimeout(t *testing.T) {
	c := shared(t)
	reg, _, _, ref := pullFixture(t)
	pluginPID, err := c.PluginPID(contract.DriverName)
	must.NoError(t, err)

	reg.Hang(true)
	alloc := runFile(t, c, "pull.nomad.hcl", map[string]string{"image": ref, "image_pull_timeout": "2s"})
	alloc, err = c.WaitClientStatus(t.Context(), alloc.ID, api.AllocClientStatusFailed, api.AllocClientStatusComplete)
	must.NoError(t, err)
	reg.Hang(false)
	must.Eq(t, api.AllocClientStatusFailed, alloc.ClientStatus, must.Sprint(describe(alloc)))
	msg := event(t, alloc, api.TaskDriverFailure).DisplayMessage
	t.Log(msg)
	must.StrContains(t, msg, ref)
	must.StrContains(t, msg, "2s")
	requireHealthy(t, c, pluginPID)
}
