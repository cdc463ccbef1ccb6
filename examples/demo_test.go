// Package examples_test runs the demo script the way `make demo` does, on
// a small input, so that the README's run command keeps working.
package examples_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/shoenig/test/must"

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
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		panic("no caller to find the source directory by")
	}
	dir := filepath.Dir(file)
	bin := os.Getenv("DOCKMR_BIN")
	if bin == "" {
		bin = filepath.Join(dir, "..", "bin")
	}
	// Run by root, the demo's tasks run as nobody, who cannot reach
	// t.TempDir's directories.
	tmp, err := os.MkdirTemp("", "dockmr-demo-test-")
	must.NoError(t, err)
	must.NoError(t, os.Chmod(tmp, 0o755))
	t.Cleanup(func() { os.RemoveAll(tmp) })
	cmd := exec.Command(filepath.Join(dir, "demo.sh"))
	cmd.Env = append(os.Environ(), "DOCKMR_BIN="+bin, "ROWS=20k", "DEMO_IMAGE="+image,
		fmt.Sprintf("DEMO_HTTP_PORT=%d", freeHTTPPort(t)), "TMPDIR="+tmp)
	out, err := cmd.CombinedOutput()
	must.NoError(t, err, must.Sprintf("demo.sh:\n%s", out))
	must.StrContains(t, string(out), "demo: summary (20000 rows, 2 MB")
	must.StrContains(t, string(out), "demo: OK: the output is sorted and its checksum matches teragen's")
	must.StrContains(t, string(out), "demo: stopping the cluster")
	left, err := filepath.Glob(filepath.Join(tmp, "dockmr-demo.*"))
	must.NoError(t, err)
	must.SliceEmpty(t, left, must.Sprint("the demo's directory is removed"))
}

// freeHTTPPort finds a port p with p+1 and p+2 free too, for the server.
func freeHTTPPort(t *testing.T) int {
	t.Helper()
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		must.NoError(t, err)
		p := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if free(p+1) && free(p+2) {
			return p
		}
	}
	t.Fatal("no three consecutive free ports")
	return 0
}

func free(port int) bool {
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}
