package s3

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/nomad/api"

	"github.com/dockmr/dockmr/devcluster"
	"github.com/dockmr/dockmr/e2e/clustertest"
	"github.com/dockmr/dockmr/internal/s3test"
	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/jobs/terajob"
)

// TestTeraSortS3OnNomad runs teragen → terasort → teravalidate on s3://
// through a dev cluster, one container per task: the tasks reach the
// server with credentials rendered into their secrets directories, and
// no phase job holds the secret.
func TestTeraSortS3OnNomad(t *testing.T) {
	c := clustertest.Start(t, devcluster.Options{})
	clustertest.RequireImage(t, clustertest.ExampleImage)
	_, s := startS3(t)
	staging := filepath.Join(c.DataDir(), "staging")
	t.Setenv(jobs.StagingRootEnv, staging)
	t.Setenv("NOMAD_ADDR", c.Address())
	dockmr := clustertest.DockmrBinary(t)
	step := func(args ...string) clustertest.Summary {
		t.Helper()
		cmd := exec.Command(dockmr, append([]string{args[0], "--json", "--data-dir", c.DataDir()}, args[1:]...)...)
		cmd.Env = os.Environ()
		return clustertest.RunJSON(t, cmd)
	}
	gen := step("teragen", "--maps", "2", "200k", "s3://tera/in")
	sorted := step("terasort", "--maps", "2", "--reduces", "2", "s3://tera/in", "s3://tera/out")
	step("teravalidate", "s3://tera/out", "s3://tera/report")
	rep, err := terajob.ReadReport("s3://tera/report")
	if err != nil {
		t.Fatal(err)
	}
	if sorted.Checksum != gen.Checksum || rep.Checksum.String() != gen.Checksum || len(rep.Errors) != 0 {
		t.Errorf("checksums: teragen %s, terasort %s, teravalidate %s (errors %q)", gen.Checksum, sorted.Checksum, rep.Checksum, rep.Errors)
	}
	got, names := readObjects(t, s, "out/")
	if strings.Join(names, " ") != "_SUCCESS part-r-00000 part-r-00001" || len(got) != 200_000*100 {
		t.Errorf("output holds %q, %d bytes", names, len(got))
	}
	noPending(t, s, "")

	client, err := api.NewClient(&api.Config{Address: c.Address()})
	if err != nil {
		t.Fatal(err)
	}
	stubs, _, err := client.Jobs().List(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, stub := range stubs {
		job, _, err := client.Jobs().Info(stub.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(job)
		if bytes.Contains(b, []byte(s3test.SecretKey)) {
			t.Errorf("Nomad job %s holds the S3 secret", stub.ID)
		}
	}
	if vars, _, err := client.Variables().List(nil); err != nil || len(vars) != 0 {
		t.Errorf("variables left: %v, %v", vars, err)
	}
}
