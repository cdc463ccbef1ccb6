package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/e2e/nomadtest"
	"github.com/dockmr/dockmr/internal/testimage"
)

// serveDir serves dir over HTTP on a loopback port, as the artifact
// store a node without a registry downloads from, and returns its URL.
func serveDir(t *testing.T, dir string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must.NoError(t, err)
	srv := &http.Server{Handler: http.FileServer(http.Dir(dir))}
	go func() { _ = srv.Serve(ln) }() // ends with ErrServerClosed on Close
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// saveImage saves the test image as ref (a name the daemon then drops) to
// a `docker save` tarball at path.
func saveImage(t *testing.T, ref, path string) {
	t.Helper()
	cli, err := testimage.NewClient()
	must.NoError(t, err)
	defer cli.Close()
	must.NoError(t, cli.ImageTag(t.Context(), image, ref))
	defer removeImage(ref)
	rc, err := cli.ImageSave(t.Context(), []string{ref})
	must.NoError(t, err)
	defer rc.Close()
	f, err := os.Create(path)
	must.NoError(t, err)
	defer f.Close()
	_, err = io.Copy(f, rc)
	must.NoError(t, err)
}

// A job whose image comes as a tarball artifact loads it before the task
// starts; a tarball that is corrupt or holds another image fails the task
// with a message that says so.
func TestImageLoadFromArtifact(t *testing.T) {
	c := shared(t)
	dir := t.TempDir()
	ref := fmt.Sprintf("dockmr/e2e-load:%d-%d", os.Getpid(), time.Now().UnixNano())
	saveImage(t, ref, filepath.Join(dir, "image.tar"))
	t.Cleanup(func() { removeImage(ref) })
	must.NoError(t, os.WriteFile(filepath.Join(dir, "corrupt.tar"), []byte(strings.Repeat("not a tarball ", 100)), 0o644))
	url := serveDir(t, dir)

	t.Run("loads", func(t *testing.T) {
		alloc := waitDead(t, c, runFile(t, c, "load.nomad.hcl", map[string]string{"image": ref, "url": url + "/image.tar"}).ID)
		must.Eq(t, 0, terminated(t, alloc).ExitCode, must.Sprint(describe(alloc)))
		requireStdout(t, c, alloc.ID, "loaded\n")
		loaded := false
		for _, e := range nomadtest.FindEvents(alloc, task, api.TaskDriverMessage) {
			loaded = loaded || strings.HasPrefix(e.DriverMessage, "Loaded image docker.io/"+ref)
		}
		must.True(t, loaded, must.Sprintf("no \"Loaded image\" event:\n%s", describe(alloc)))
	})

	failures := map[string]struct{ image, file, load, want string }{
		"other image": {"dockmr/e2e-load:absent", "image.tar", "local/image.tar", `does not hold image "docker.io/dockmr/e2e-load:absent"`},
		"corrupt":     {ref + "-corrupt", "corrupt.tar", "local/corrupt.tar", `load: "corrupt.tar" is not an image tarball`},
		"wrong path":  {ref + "-missing", "image.tar", "local/other.tar", `load: "local/other.tar" is not in the task directory`},
	}
	for name, f := range failures {
		t.Run(name, func(t *testing.T) {
			alloc := runFile(t, c, "load.nomad.hcl", map[string]string{"image": f.image, "url": url + "/" + f.file, "load": f.load})
			alloc, err := c.WaitClientStatus(t.Context(), alloc.ID, api.AllocClientStatusFailed, api.AllocClientStatusComplete)
			must.NoError(t, err)
			must.Eq(t, api.AllocClientStatusFailed, alloc.ClientStatus, must.Sprint(describe(alloc)))
			msg := event(t, alloc, api.TaskDriverFailure).DisplayMessage
			t.Log(msg)
			must.StrContains(t, msg, f.want)
		})
	}
}
