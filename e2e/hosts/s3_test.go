package hosts

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/internal/s3test"
	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/jobs/terajob"
	"github.com/dockmr/dockmr/storage"
)

// TestTerasortS3OnHosts runs teragen → terasort → teravalidate on s3://
// across the hosts, with the S3 server (versitygw) in the server host's
// namespace, apart from every client: the tasks reach it over the
// network, with credentials rendered into their secrets directories.
func TestTerasortS3OnHosts(t *testing.T) {
	host := cluster.ServerHost()
	srv := s3test.StartWith(t, s3test.Options{
		Host: host.Addr().String(), Port: 7070, Wrap: []string{"nsenter", "--net=" + host.NetNSPath(), "--"},
	})
	srv.Bucket(t, "tera")
	srv.Setenv(t)
	t.Setenv(jobs.StagingRootEnv, filepath.Join(cluster.DataDir(), "s3-staging"))
	step := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(dockmr, append([]string{args[0], "--json", "--data-dir", cluster.DataDir()}, args[1:]...)...)
		cmd.Env = env(cluster)
		out, err := cmd.Output()
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		must.NoError(t, err, must.Sprintf("dockmr %s:\n%s\n%s", strings.Join(args, " "), out, stderr))
		var sum struct {
			Checksum string `json:"checksum"`
		}
		must.NoError(t, json.Unmarshal(out, &sum), must.Sprint(string(out)))
		return sum.Checksum
	}
	tasks := fmt.Sprint(clusterHosts)
	gen := step("teragen", "--maps", tasks, teraRows(), "s3://tera/in")
	sorted := step("terasort", "--maps", tasks, "--reduces", tasks, "s3://tera/in", "s3://tera/out")
	step("teravalidate", "s3://tera/out", "s3://tera/report")
	must.Eq(t, gen, sorted, must.Sprint("terasort's checksum vs teragen's"))
	rep, err := terajob.ReadReport("s3://tera/report")
	must.NoError(t, err)
	must.Eq(t, gen, rep.Checksum.String(), must.Sprint("teravalidate's checksum vs teragen's"))
	must.SliceEmpty(t, rep.Errors)

	s, err := storage.NewS3(context.Background(), "tera")
	must.NoError(t, err)
	objs, err := s.List(context.Background(), "out/")
	must.NoError(t, err)
	var names []string
	for _, o := range objs {
		if !strings.HasPrefix(o.Key, "out/"+jobs.HistoryDir+"/") {
			names = append(names, strings.TrimPrefix(o.Key, "out/"))
		}
	}
	want := []string{"_SUCCESS"}
	for r := range clusterHosts {
		want = append(want, jobs.PartName(jobs.ReduceTask, r))
	}
	must.Eq(t, want, names)
	pending, err := s.Pending(context.Background(), "")
	must.NoError(t, err)
	must.SliceEmpty(t, pending)
}
