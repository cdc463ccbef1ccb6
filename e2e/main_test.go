// Package e2e tests dockmr-driver end to end: a real Nomad cluster built
// from this module loads bin/plugins/dockmr-driver and runs job files
// against the local Docker daemon.
package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/dockmr/dockmr/e2e/nomadtest"
	"github.com/dockmr/dockmr/internal/testimage"
)

var (
	// cluster is shared by the tests that neither restart nor break it.
	cluster *nomadtest.Cluster
	// image is the local test image every job runs.
	image string
	// mountRoot is the one host directory tasks of the shared cluster may
	// bind-mount (the driver's allowed_mounts).
	mountRoot string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		fmt.Println("e2e: skipped in -short mode: needs Docker and a Nomad agent")
		return 0
	}
	ctx := context.Background()
	var err error
	if image, err = testimage.Ensure(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: test image:", err)
		return 1
	}
	if mountRoot, err = os.MkdirTemp("", "dockmr-e2e-mounts-"); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(mountRoot)
	// Tasks run as nobody, who must be able to reach the directories
	// under it.
	if err := os.Chmod(mountRoot, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}

	cluster, err = nomadtest.Start(ctx, nomadtest.Options{
		DriverConfig: fmt.Sprintf("allowed_mounts = [%q]", mountRoot),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	code := m.Run()
	if err := cluster.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: close cluster:", err)
		code = 1
	}
	return code
}
