package driver

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/client"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/nomad/helper/uuid"
	"github.com/hashicorp/nomad/nomad/structs"
	"github.com/hashicorp/nomad/plugins/base"
	"github.com/hashicorp/nomad/plugins/drivers"
	dtestutil "github.com/hashicorp/nomad/plugins/drivers/testutils"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/internal/testimage"
)

// requireDocker returns a client for the test daemon. Tests that need
// Docker fail, not skip, when it is missing: CI always provides one
// (deploy/docker-up.sh). Only -short skips them.
func requireDocker(t *testing.T) *client.Client {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a Docker daemon; not run with -short")
	}
	c, err := testimage.NewClient()
	must.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Ping(ctx); err != nil {
		t.Fatalf("Docker daemon does not answer (%v); start one with deploy/docker-up.sh", err)
	}
	return c
}

// testDriver is a driver served over gRPC like Nomad serves it, plus direct
// access to its implementation.
type testDriver struct {
	*dtestutil.DriverHarness
	impl   *Driver
	docker *client.Client
}

func newTestDriver(t *testing.T, config *PluginConfig) *testDriver {
	t.Helper()
	docker := requireDocker(t)
	testimage.EnsureT(t)

	logger := hclog.New(&hclog.LoggerOptions{Name: t.Name(), Level: hclog.Info, Output: testWriter{t}})
	d := New(logger).(*Driver)
	h := dtestutil.NewDriverHarness(t, d)
	t.Cleanup(h.Kill)

	if config == nil {
		config = &PluginConfig{}
	}
	// The HCL default; tests must not leave their containers behind.
	config.GC.Container = true
	var raw []byte
	must.NoError(t, base.MsgPackEncode(&raw, config))
	must.NoError(t, h.SetConfig(&base.Config{PluginConfig: raw, AgentConfig: &base.AgentConfig{}}))
	return &testDriver{DriverHarness: h, impl: d, docker: docker}
}

// testWriter routes plugin logs to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// newTask returns a task running the test image with the given config.
func newTask(t *testing.T, tc TaskConfig) *drivers.TaskConfig {
	t.Helper()
	if tc.Image == "" {
		tc.Image = testimage.Ref
	}
	task := &drivers.TaskConfig{
		ID:            uuid.Generate(),
		Name:          "map",
		JobName:       "wordcount",
		TaskGroupName: "maps",
		Namespace:     "default",
		AllocID:       uuid.Generate(),
		NodeID:        "node-" + uuid.Short(),
		Env:           map[string]string{"DOCKMR_TEST": t.Name()},
		Resources: &drivers.Resources{
			NomadResources: &structs.AllocatedTaskResources{
				Memory: structs.AllocatedMemoryResources{MemoryMB: 128},
				Cpu:    structs.AllocatedCpuResources{CpuShares: 200},
			},
			LinuxResources: &drivers.LinuxResources{CPUShares: 200, MemoryLimitBytes: 128 << 20},
		},
	}
	must.NoError(t, task.EncodeConcreteDriverConfig(&tc))
	return task
}

// start creates the task's alloc dir (with log collection) and starts it,
// removing its container at the end of the test.
func (td *testDriver) start(t *testing.T, task *drivers.TaskConfig) *drivers.TaskHandle {
	t.Helper()
	cleanup := td.MkAllocDir(task, true)
	t.Cleanup(cleanup)
	h, _, err := td.StartTask(task)
	must.NoError(t, err)
	// Straight to the driver: the alloc dir cleanup of an earlier task
	// closes the harness's client, and this one runs after it.
	t.Cleanup(func() { _ = td.impl.DestroyTask(task.ID, true) })
	return h
}

// wait returns the task's exit result, failing the test after timeout.
func (td *testDriver) wait(t *testing.T, taskID string, timeout time.Duration) *drivers.ExitResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ch, err := td.WaitTask(ctx, taskID)
	must.NoError(t, err)
	select {
	case res := <-ch:
		must.NotNil(t, res, must.Sprint("wait channel closed without a result"))
		return res
	case <-ctx.Done():
		t.Fatalf("task %s did not exit within %s", taskID, timeout)
		return nil
	}
}

// readLog returns what reached Nomad's log file for the task's stream.
func readLog(t *testing.T, task *drivers.TaskConfig, stream string) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("%s/%s.%s.0", task.TaskDir().LogDir, task.Name, stream))
	if os.IsNotExist(err) {
		return ""
	}
	must.NoError(t, err)
	return string(b)
}

// eventually polls cond until it holds or timeout passes.
// Any explain functions add what they return to the failure message.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool, explain ...func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			var more []string
			for _, e := range explain {
				more = append(more, e())
			}
			t.Fatalf("timed out after %s waiting for %s%s", timeout, what, strings.Join(append([]string{""}, more...), "\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
