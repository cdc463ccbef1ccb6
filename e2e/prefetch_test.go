package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/contract"
	"github.com/dockmr/dockmr/devcluster"
	"github.com/dockmr/dockmr/e2e/nomadtest"
	"github.com/dockmr/dockmr/internal/testimage"
)

// cliRun is one run of the dockmr binary.
type cliRun struct {
	stdout, stderr string
	code           int
}

// runCLI runs bin/dockmr with args and extra environment entries.
func runCLI(t *testing.T, env []string, args ...string) cliRun {
	t.Helper()
	bins, err := nomadtest.FindBinaries()
	must.NoError(t, err)
	cmd := exec.CommandContext(t.Context(), filepath.Join(filepath.Dir(bins.Nomad), "dockmr"), args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("run dockmr %q: %v", args, err)
	}
	r := cliRun{stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()}
	must.StrNotContains(t, r.stderr, "goroutine ", must.Sprint("stack trace"))
	return r
}

// prefetchLines returns the result column of each node line of a
// prefetch report, by node.
func prefetchLines(t *testing.T, out string) map[string]string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	must.Positive(t, len(lines))
	must.StrHasPrefix(t, "NODE", lines[0])
	results := map[string]string{}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		must.Greater(t, 2, len(f), must.Sprintf("line %q", l))
		results[f[0]] = f[1]
	}
	return results
}

// `dockmr image prefetch` puts an image on every client node, pulled from
// a registry or loaded from a tarball on shared storage, after which a
// job starts without pulling; an image that cannot be had fails on every
// node with the reason.
func TestImagePrefetch(t *testing.T) {
	bins, err := nomadtest.FindBinaries()
	must.NoError(t, err)
	data, err := os.MkdirTemp("", "dockmr-e2e-prefetch-")
	must.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(data) })
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	dev, err := devcluster.Start(ctx, devcluster.Options{
		DataDir:  data,
		Clients:  2,
		HTTPPort: devcluster.AnyHTTPPort,
		Binaries: bins,
		LogFile:  "nomad.log",
	})
	must.NoError(t, err)
	t.Cleanup(func() { dev.Close() })
	env := []string{"NOMAD_ADDR=" + dev.Address()}

	reg, repo, tag, ref := pullFixture(t)

	t.Run("pull", func(t *testing.T) {
		r := runCLI(t, env, "image", "prefetch", ref)
		t.Log(r.stdout)
		must.Eq(t, 0, r.code, must.Sprint(r.stderr))
		results := prefetchLines(t, r.stdout)
		must.MapLen(t, 2, results)
		pulled := 0
		for node, res := range results {
			must.True(t, res == "pulled" || res == "present", must.Sprintf("node %s: %s", node, res))
			if res == "pulled" {
				pulled++
			}
		}
		must.Positive(t, pulled, must.Sprint("the image was missing: some node must have pulled it"))
		must.Positive(t, reg.Resolutions(repo, tag))

		// A job now starts on both nodes without pulling.
		before := reg.Resolutions(repo, tag)
		allocs := runOnEveryNode(t, dev, ref)
		for _, a := range allocs {
			for _, e := range nomadtest.FindEvents(a, task, api.TaskDriverMessage) {
				must.StrNotContains(t, e.DriverMessage, "Pulling image", must.Sprint(describe(a)))
			}
		}
		must.Eq(t, before, reg.Resolutions(repo, tag), must.Sprint("no pull after a prefetch"))
	})

	t.Run("load from shared storage", func(t *testing.T) {
		loadRef := fmt.Sprintf("dockmr/e2e-prefetch-load:%d-%d", os.Getpid(), time.Now().UnixNano())
		tarball := filepath.Join(data, "image.tar")
		saveImage(t, loadRef, tarball)
		t.Cleanup(func() { removeImage(loadRef) })
		r := runCLI(t, env, "image", "prefetch", "--load", tarball, loadRef)
		t.Log(r.stdout)
		must.Eq(t, 0, r.code, must.Sprint(r.stderr))
		results := prefetchLines(t, r.stdout)
		must.MapLen(t, 2, results)
		for node, res := range results {
			must.True(t, res == "loaded" || res == "present", must.Sprintf("node %s: %s", node, res))
		}
		cli, err := testimage.NewClient()
		must.NoError(t, err)
		defer cli.Close()
		_, err = cli.ImageInspect(t.Context(), loadRef)
		must.NoError(t, err, must.Sprint("the loaded image is present"))
	})

	t.Run("missing image", func(t *testing.T) {
		r := runCLI(t, env, "image", "prefetch", reg.Addr()+"/dockmr/absent:1")
		t.Log(r.stdout, r.stderr)
		must.Eq(t, 1, r.code)
		for node, res := range prefetchLines(t, r.stdout) {
			must.Eq(t, "failed", res, must.Sprint(node))
		}
		must.StrContains(t, r.stdout, "dockmr/absent:1")
		must.StrContains(t, r.stderr, "failed on 2 of 2 nodes")
	})

	t.Run("bad arguments", func(t *testing.T) {
		r := runCLI(t, env, "image", "prefetch")
		must.Eq(t, 2, r.code)
		must.StrContains(t, r.stderr, "want one IMAGE argument")
		// A flag after IMAGE is read as a flag.
		r = runCLI(t, env, "image", "prefetch", "app:1", "--load", "x.tar")
		must.Eq(t, 1, r.code)
		must.StrContains(t, r.stderr, `--load "x.tar" is neither an http(s) URL nor an absolute path`)
		r = runCLI(t, env, "image", "prefetch", "--load", "relative.tar", "app:1")
		must.Eq(t, 1, r.code)
		must.StrContains(t, r.stderr, `--load "relative.tar" is neither an http(s) URL nor an absolute path`)
	})
}

// runOnEveryNode runs a one-line task of image on each client node of dev
// and returns the finished allocations.
func runOnEveryNode(t *testing.T, dev *devcluster.Cluster, image string) []*api.Allocation {
	t.Helper()
	job := api.NewSysbatchJob("after-prefetch", "after-prefetch", "", 50)
	job.Datacenters = []string{"*"}
	job.TaskGroups = []*api.TaskGroup{{
		Name:          ptrTo("g"),
		RestartPolicy: &api.RestartPolicy{Attempts: ptrTo(0), Mode: ptrTo("fail")},
		Tasks: []*api.Task{{
			Name:      task,
			Driver:    contract.DriverName,
			Config:    map[string]any{"image": image, "command": "echo", "args": []string{"ran"}},
			Resources: &api.Resources{CPU: ptrTo(50), MemoryMB: ptrTo(16)},
		}},
	}}
	_, _, err := dev.API.Jobs().Register(job, nil)
	must.NoError(t, err)
	var allocs []*api.Allocation
	err = devcluster.Poll(t.Context(), "the job to run on both nodes", func() (bool, string, error) {
		stubs, _, err := dev.API.Jobs().Allocations(*job.ID, true, nil)
		if err != nil {
			return false, err.Error(), nil
		}
		allocs = allocs[:0]
		for _, s := range stubs {
			if s.ClientStatus != api.AllocClientStatusComplete && s.ClientStatus != api.AllocClientStatusFailed {
				return false, fmt.Sprintf("alloc %.8s %s", s.ID, s.ClientStatus), nil
			}
			a, _, err := dev.API.Allocations().Info(s.ID, nil)
			if err != nil {
				return false, err.Error(), nil
			}
			allocs = append(allocs, a)
		}
		return len(allocs) == 2, fmt.Sprintf("%d allocations", len(stubs)), nil
	})
	must.NoError(t, err)
	for _, a := range allocs {
		must.Eq(t, api.AllocClientStatusComplete, a.ClientStatus, must.Sprint(describe(a)))
	}
	return allocs
}

func ptrTo[T any](v T) *T { return &v }
