package s3

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

	// Detached: the application master gets the credentials as the
	// tasks do, and writes the same bytes.
	cmd := exec.Command(dockmr, "terasort", "--detach", "--json", "--data-dir", c.DataDir(),
		"--maps", "2", "--reduces", "2", "s3://tera/in", "s3://tera/detached")
	cmd.Env = os.Environ()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("terasort --detach: %v\n%s", err, out)
	}
	var submitted struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(out, &submitted); err != nil || submitted.ID == "" {
		t.Fatalf("terasort --detach printed %s: %v", out, err)
	}
	state := waitDetached(t, dockmr, submitted.ID)
	if state != "complete" {
		logs := exec.Command(dockmr, "logs", submitted.ID)
		logs.Env = os.Environ()
		out, _ := logs.CombinedOutput()
		t.Fatalf("the detached job ended %s; its logs:\n%s", state, out)
	}
	again, names := readObjects(t, s, "detached/")
	if !bytes.Equal(again, got) || strings.Join(names, " ") != "_SUCCESS part-r-00000 part-r-00001" {
		t.Errorf("the detached terasort wrote %q, %d bytes; want the foreground's %d bytes", names, len(again), len(got))
	}
	if hist, _ := s.List(context.Background(), "detached/_history/"); len(hist) != 1 {
		t.Errorf("the detached job's history beside its output: %v", hist)
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

// waitDetached polls dockmr status until a detached job has ended and
// returns its state.
func waitDetached(t *testing.T, dockmr, id string) string {
	t.Helper()
	var status struct {
		State string `json:"state"`
		Error string `json:"error"`
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // a bound, not a timing assertion
	defer cancel()
	err := devcluster.PollEvery(ctx, 500*time.Millisecond, "the detached job to end", func() (bool, string, error) {
		cmd := exec.Command(dockmr, "status", "--json", id)
		cmd.Env = os.Environ()
		out, err := cmd.CombinedOutput()
		if err != nil {
			return false, fmt.Sprintf("%v: %s", err, out), nil
		}
		if err := json.Unmarshal(out, &status); err != nil {
			return false, string(out), nil
		}
		return status.State != "running" && status.State != "pending", status.State + " " + status.Error, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if status.Error != "" {
		t.Logf("detached job %s: %s", id, status.Error)
	}
	return status.State
}
