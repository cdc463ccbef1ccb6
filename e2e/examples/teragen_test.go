package examples_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/devcluster"
	"github.com/dockmr/dockmr/e2e/clustertest"
	"github.com/dockmr/dockmr/internal/testimage"
)

// TestJobFileMatchesDockmrTeragen runs the job file as its comment says,
// in the test image (any image will do: the driver mounts the runtime),
// and compares every part file with `dockmr teragen --local`'s.
func TestJobFileMatchesDockmrTeragen(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Nomad agents and containers")
	}
	image := testimage.EnsureT(t)
	bins := clustertest.Binaries(t)
	// Tasks run as nobody, who cannot reach t.TempDir's directories.
	data := clustertest.DataDir(t)
	c := clustertest.Start(t, devcluster.Options{DataDir: data, HTTPPort: devcluster.AnyHTTPPort, Binaries: bins})

	const rows, maps = "123457", 3
	cmd := exec.Command(bins.Nomad, "job", "run",
		"-var", "data_dir="+data, "-var", "output=gen", "-var", "rows="+rows,
		"-var", fmt.Sprintf("maps=%d", maps), "-var", "format=ascii", "-var", "image="+image,
		filepath.Join(examplesDir(), "teragen", "teragen.nomad.hcl"))
	cmd.Env = append(os.Environ(), "NOMAD_ADDR="+c.Address())
	out, err := cmd.CombinedOutput()
	must.NoError(t, err, must.Sprintf("nomad job run:\n%s", out))
	waitComplete(t, c.API, "teragen", maps)

	local := filepath.Join(t.TempDir(), "local")
	out, err = exec.Command(filepath.Join(clustertest.BinDir(t), "dockmr"), "teragen", "--local",
		"--maps", fmt.Sprint(maps), "--format", "ascii", rows, local).CombinedOutput()
	must.NoError(t, err, must.Sprintf("dockmr teragen --local:\n%s", out))

	gen := filepath.Join(data, "gen")
	for i := range maps {
		name := fmt.Sprintf("part-m-%05d", i)
		got, err := os.ReadFile(filepath.Join(gen, name))
		must.NoError(t, err)
		want, err := os.ReadFile(filepath.Join(local, name))
		must.NoError(t, err)
		must.True(t, bytes.Equal(got, want), must.Sprintf("%s: %d bytes from Nomad, %d from dockmr --local", name, len(got), len(want)))
	}
	entries, err := os.ReadDir(gen)
	must.NoError(t, err)
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	must.Eq(t, []string{"_SUCCESS", "part-m-00000", "part-m-00001", "part-m-00002"}, names)
}

// waitComplete waits until every allocation of the job has completed; a
// failed one ends the wait with its task events.
func waitComplete(t *testing.T, client *api.Client, jobID string, count int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		allocs, _, err := client.Jobs().Allocations(jobID, true, nil)
		must.NoError(t, err)
		complete := 0
		for _, a := range allocs {
			switch a.ClientStatus {
			case api.AllocClientStatusComplete:
				complete++
			case api.AllocClientStatusFailed:
				t.Fatalf("allocation %s failed: %s", a.ID, describe(a))
			}
		}
		if complete == count {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("job %s did not complete", jobID)
}

func describe(a *api.AllocationListStub) string {
	var b bytes.Buffer
	for task, ts := range a.TaskStates {
		for _, e := range ts.Events {
			fmt.Fprintf(&b, "\n  %s: %s: %s", task, e.Type, e.DisplayMessage)
		}
	}
	return b.String()
}
