// Package shuffle tests node-local shuffle end to end: a development
// cluster of two clients on this machine, each with its own shuffle
// directory and a shuffle server run by Nomad through dockmr-driver;
// jobs run by the dockmr command with --shuffle node.
package shuffle

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/dockmr/dockmr/devcluster"
	"github.com/dockmr/dockmr/jobs/nomad"
)

// exampleImage is the image the jobs and the shuffle servers run in, built
// by `make image`.
const exampleImage = "dockmr/examples:dev"

var (
	// cluster is the two-client cluster every test shares.
	cluster *devcluster.Cluster
	// bins is the directory of the built binaries.
	bins string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		fmt.Println("e2e/shuffle: skipped in -short mode: needs Docker and Nomad agents")
		return 0
	}
	bins = os.Getenv("DOCKMR_BIN")
	if bins == "" {
		_, file, _, _ := runtime.Caller(0)
		bins = filepath.Join(filepath.Dir(file), "..", "..", "bin")
	}
	b, err := devcluster.FindBinaries(bins)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e/shuffle:", err)
		return 1
	}
	if ok, err := devcluster.HasImage(context.Background(), exampleImage); err != nil || !ok {
		fmt.Fprintf(os.Stderr, "e2e/shuffle: the image %s is missing (%v): run make image\n", exampleImage, err)
		return 1
	}
	data, err := os.MkdirTemp("", "dockmr-e2e-shuffle-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e/shuffle:", err)
		return 1
	}
	defer os.RemoveAll(data)
	if err := os.Chmod(data, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "e2e/shuffle:", err)
		return 1
	}
	cluster, err = devcluster.Start(context.Background(), devcluster.Options{
		DataDir: data, Clients: 2, HTTPPort: devcluster.AnyHTTPPort, Binaries: b,
		Shuffle: true,
		// A client cut off is declared down in seconds.
		ServerConfig: "server {\n  heartbeat_grace = \"2s\"\n  min_heartbeat_ttl = \"2s\"\n}\n",
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e/shuffle:", err)
		return 1
	}
	defer cluster.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := nomad.StartShuffle(ctx, cluster.API, nomad.ShuffleOptions{Image: exampleImage}, true); err != nil {
		fmt.Fprintln(os.Stderr, "e2e/shuffle:", err)
		return 1
	}
	return m.Run()
}
