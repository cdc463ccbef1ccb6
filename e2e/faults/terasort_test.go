package faults

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/devcluster"
	"github.com/dockmr/dockmr/e2e/clustertest"
)

// The terasort every fault test runs, and TestTerasortWithoutFault as
// their baseline: 300 MB in one map per client and two reduces. A small
// sort buffer makes each map spill and merge, so that its container runs
// for seconds, long enough for a fault to hit it.
const (
	teraRows    = "3m"
	teraRecords = 3_000_000
	teraMaps    = 2
	teraReduces = 2
	teraSortMB  = 8
)

// teraTimeout bounds a fault test's terasort, which takes seconds.
const teraTimeout = 5 * time.Minute

// teraJob is one terasort through the dockmr command on a cluster, over
// input teragen wrote.
type teraJob struct {
	t       *testing.T
	c       *devcluster.Cluster
	dockmr  string
	in, out string
	// want is teragen's checksum, which sorting keeps.
	want string

	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	started        time.Time
}

// newTeraJob writes the input with teragen (as local processes: the
// input is not what is under test).
func newTeraJob(t *testing.T, c *devcluster.Cluster) *teraJob {
	t.Helper()
	clustertest.RequireImage(t, clustertest.ExampleImage)
	dir := filepath.Join(c.DataDir(), "tera")
	j := &teraJob{t: t, c: c, dockmr: clustertest.DockmrBinary(t), in: filepath.Join(dir, "in"), out: filepath.Join(dir, "out")}
	j.want = clustertest.TeragenLocal(t, j.dockmr, teraMaps, teraRows, j.in)
	return j
}

// start submits the terasort with the extra flags, in the background.
func (j *teraJob) start(flags ...string) {
	args := []string{"terasort", "--json", "--data-dir", j.c.DataDir(),
		"--maps", fmt.Sprint(teraMaps), "--reduces", fmt.Sprint(teraReduces), "--sort-mb", fmt.Sprint(teraSortMB)}
	args = append(append(args, flags...), j.in, j.out)
	j.cmd = exec.Command(j.dockmr, args...)
	j.cmd.Env = append(os.Environ(), "NOMAD_ADDR="+j.c.Address())
	j.cmd.Stdout, j.cmd.Stderr = &j.stdout, &j.stderr
	j.started = time.Now()
	must.NoError(j.t, j.cmd.Start())
	j.t.Cleanup(func() {
		if j.cmd.ProcessState == nil {
			_ = j.cmd.Process.Kill()
			_ = j.cmd.Wait() // killed: its exit error says only that
		}
	})
}

// wait waits for the terasort to succeed and returns its summary. It logs
// the job's wall time with the fault, which bench/faults.sh reads; the
// time is reported, never asserted.
func (j *teraJob) wait(fault string) clustertest.Summary {
	j.t.Helper()
	// A bound for a job that never ends, not a timing assertion.
	timer := time.AfterFunc(teraTimeout, func() { _ = j.cmd.Process.Kill() })
	err := j.cmd.Wait()
	if !timer.Stop() {
		j.t.Fatalf("dockmr terasort did not end within %s and was killed\nstderr:\n%s\nNomad:\n%s", teraTimeout, j.stderr.String(), clustertest.NomadState(j.c))
	}
	if err != nil {
		j.t.Fatalf("dockmr terasort: %v\nstdout:\n%s\nstderr:\n%s", err, j.stdout.String(), j.stderr.String())
	}
	j.t.Logf("terasort of %s rows took %.2fs with fault: %s", teraRows, time.Since(j.started).Seconds(), fault)
	sum := clustertest.DecodeSummary(j.t, j.stdout.Bytes())
	must.Len(j.t, 2, sum.Phases)
	j.t.Logf("phases: %+v", sum.Phases)
	return sum
}

// checkOutput makes sure the job wrote the right answer exactly once:
// the checksum is teragen's, and the output is whole, sorted and alone
// (clustertest.CheckTeraOutput).
func (j *teraJob) checkOutput(sum clustertest.Summary) {
	j.t.Helper()
	must.Eq(j.t, j.want, sum.Checksum, must.Sprint("terasort's checksum vs teragen's"))
	clustertest.CheckTeraOutput(j.t, j.dockmr, j.out, teraReduces, teraRecords, j.want)
}
