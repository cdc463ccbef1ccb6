// Package examples_test runs what examples/ gives a user, as the README
// says to: the demo script the way `make demo` does, on a small input,
// and the TeraGen job file with plain `nomad job run` on a development
// cluster, checked against dockmr's own teragen.
package examples_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/e2e/clustertest"
	"github.com/dockmr/dockmr/internal/testimage"
)

// TestDemo runs examples/demo.sh on 20,000 rows in the test image (the
// driver mounts the task runtime into any image) and expects its summary
// to report matching checksums, and nothing of the cluster or its data
// to be left behind.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Nomad cluster and containers")
	}
	image := testimage.EnsureT(t)
	bin := clustertest.BinDir(t)
	// Run by root, the demo's tasks run as nobody, who cannot reach
	// t.TempDir's directories.
	tmp := clustertest.DataDir(t)
	cmd := exec.Command(filepath.Join(examplesDir(), "demo.sh"))
	cmd.Env = append(os.Environ(), "DOCKMR_BIN="+bin, "ROWS=20k", "DEMO_IMAGE="+image,
		fmt.Sprintf("DEMO_HTTP_PORT=%d", clustertest.FreeHTTPPort(t)), "TMPDIR="+tmp)
	out, err := cmd.CombinedOutput()
	must.NoError(t, err, must.Sprintf("demo.sh:\n%s", out))
	must.StrContains(t, string(out), "demo: summary (20000 rows, 2 MB")
	must.StrContains(t, string(out), "demo: OK: the output is sorted and its checksum matches teragen's")
	must.StrContains(t, string(out), "demo: stopping the cluster")
	left, err := filepath.Glob(filepath.Join(tmp, "dockmr-demo.*"))
	must.NoError(t, err)
	must.SliceEmpty(t, left, must.Sprint("the demo's directory is removed"))
}

// examplesDir is the repository's examples/ directory.
func examplesDir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		panic("no caller to find the examples directory by")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "examples")
}
