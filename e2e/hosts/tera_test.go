package hosts

import (
	"bytes"
	"encoding/json"
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

// The terasort the tests run: about three maps and three reduces, on
// every cluster, so that one host and three run the same job. A small
// sort buffer makes each map spill and merge, so that its container runs
// long enough for a fault to hit it. DOCKMR_HOSTS_ROWS and
// DOCKMR_HOSTS_SORT_MB change them (bench/hosts.sh sorts 1 GB, 10m rows,
// with 256 MiB buffers).
const (
	defaultRows   = "1m"
	defaultSortMB = "8"
	teraTasks     = 3
)

// The variables that set the terasort's rows and sort buffer.
const (
	rowsEnv   = "DOCKMR_HOSTS_ROWS"
	sortMBEnv = "DOCKMR_HOSTS_SORT_MB"
)

// teraSortMB is the terasort's sort buffer in MiB.
func teraSortMB() string {
	if mb := os.Getenv(sortMBEnv); mb != "" {
		return mb
	}
	return defaultSortMB
}

// teraTimeout bounds a terasort, which takes seconds: a bound for a job
// that never ends, not a timing assertion.
const teraTimeout = 5 * time.Minute

// teraRows is the terasort's size, as dockmr teragen takes it.
func teraRows() string {
	if r := os.Getenv(rowsEnv); r != "" {
		return r
	}
	return defaultRows
}

// teraJob is one terasort through the dockmr command, over input teragen
// wrote.
type teraJob struct {
	t       *testing.T
	c       *devcluster.Cluster
	tasks   int // maps asked for, and reduces
	in, out string
	// want is teragen's checksum, which sorting keeps; records is how
	// many teragen wrote.
	want    string
	records int64

	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	started        time.Time
}

// newTeraJob writes the input with teragen, as local processes (the input
// is not what is under test), in a directory of its own under the data
// directory.
func newTeraJob(t *testing.T, c *devcluster.Cluster, name string) *teraJob {
	t.Helper()
	dir := filepath.Join(c.DataDir(), name)
	must.NoError(t, os.RemoveAll(dir))
	t.Cleanup(func() { os.RemoveAll(dir) })
	// A detached job's application master, in a container, runs as
	// nobody and creates the output directory: it must be able to.
	must.NoError(t, os.Mkdir(dir, 0o755))
	must.NoError(t, os.Chmod(dir, 0o1777))
	j := &teraJob{t: t, c: c, tasks: teraTasks, in: filepath.Join(dir, "in"), out: filepath.Join(dir, "out")}
	j.want = clustertest.TeragenLocal(t, dockmr, j.tasks, teraRows(), j.in)
	j.records = sizeRecords(t, j.in)
	return j
}

// sizeRecords counts the 100-byte records of the part files in dir.
func sizeRecords(t *testing.T, dir string) int64 {
	t.Helper()
	parts, err := filepath.Glob(filepath.Join(dir, "part-*"))
	must.NoError(t, err)
	var n int64
	for _, p := range parts {
		fi, err := os.Stat(p)
		must.NoError(t, err)
		n += fi.Size() / 100
	}
	must.Positive(t, n)
	return n
}

// env is the environment of dockmr commands aimed at the cluster: its
// NOMAD_ADDR is the server host's address, reached through the network's
// own interface.
func env(c *devcluster.Cluster) []string {
	return append(os.Environ(), "NOMAD_ADDR="+c.Address(), "DOCKMR_DATA_DIR="+c.DataDir())
}

// start submits the terasort with the extra flags, in the background.
func (j *teraJob) start(flags ...string) {
	args := []string{"terasort", "--json", "--data-dir", j.c.DataDir(),
		"--maps", fmt.Sprint(j.tasks), "--reduces", fmt.Sprint(j.tasks), "--sort-mb", teraSortMB()}
	args = append(append(args, flags...), j.in, j.out)
	j.cmd = exec.Command(dockmr, args...)
	j.cmd.Env = env(j.c)
	j.cmd.Stdout, j.cmd.Stderr = &j.stdout, &j.stderr
	j.started = time.Now()
	must.NoError(j.t, j.cmd.Start())
	j.t.Cleanup(func() {
		if j.cmd.ProcessState == nil {
			_ = j.cmd.Process.Kill() // a test that failed: the job is abandoned
			_ = j.cmd.Wait()
		}
	})
}

// wait waits for the terasort to succeed and returns its summary. It logs
// the job's wall time with the fault, which bench/hosts.sh reads; the time
// is reported, never asserted.
func (j *teraJob) wait(fault string) clustertest.Summary {
	j.t.Helper()
	timer := time.AfterFunc(teraTimeout, func() { _ = j.cmd.Process.Kill() }) // reported below
	err := j.cmd.Wait()
	if !timer.Stop() {
		j.t.Fatalf("dockmr terasort did not end within %s and was killed\nstderr:\n%s", teraTimeout, j.stderr.String())
	}
	if err != nil {
		j.t.Fatalf("dockmr terasort: %v\nstdout:\n%s\nstderr:\n%s", err, j.stdout.String(), j.stderr.String())
	}
	j.t.Logf("terasort of %s rows on %d host(s) took %.2fs with fault: %s", teraRows(), len(j.c.Hosts()), time.Since(j.started).Seconds(), fault)
	var sum clustertest.Summary
	must.NoError(j.t, json.Unmarshal(j.stdout.Bytes(), &sum), must.Sprint(j.stdout.String()))
	must.Len(j.t, 2, sum.Phases)
	j.t.Logf("phases: %+v", sum.Phases)
	return sum
}

// checkOutput makes sure the job wrote the right answer exactly once: the
// checksum is teragen's, the output directory holds _SUCCESS and one
// whole part file per reduce and nothing else (no partial, doubled or
// stray attempt files), and teravalidate finds it sorted with teragen's
// checksum.
func (j *teraJob) checkOutput(checksum string) {
	j.t.Helper()
	must.Eq(j.t, j.want, checksum, must.Sprint("terasort's checksum vs teragen's"))
	clustertest.CheckTeraOutput(j.t, dockmr, j.out, j.tasks, j.records, j.want)
}
