package devcluster

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/jobs"
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

// exampleImage is the image dockmr's commands run by default, built by
// `make image`.
const exampleImage = "dockmr/examples:dev"

// labelAllocID is the allocation ID dockmr-driver puts on a container.
const labelAllocID = "com.dockmr.alloc_id"

// startWith starts a cluster for a test with opts, taking a temporary data
// directory, a free HTTP port and the built binaries.
func startWith(t *testing.T, opts Options) *Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("starts Nomad agents")
	}
	opts.DataDir, opts.HTTPPort, opts.Binaries = newDataDir(t), freeHTTPPort(t), realBinaries(t)
	c, err := Start(context.Background(), opts)
	must.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// teraJob is one terasort through the dockmr command on a cluster, over
// input teragen wrote.
type teraJob struct {
	t       *testing.T
	c       *Cluster
	dockmr  string
	in, out string
	// want is teragen's checksum, which sorting keeps.
	want string

	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	started        time.Time
}

// teraSummary is the part of dockmr's --json output the tests read.
type teraSummary struct {
	ID       string `json:"id"`
	Checksum string `json:"checksum"`
	Phases   []struct {
		Phase    string `json:"phase"`
		Tasks    int    `json:"tasks"`
		Attempts int    `json:"attempts"`
		Failed   int    `json:"failed_attempts"`
	} `json:"phases"`
}

// newTeraJob writes the input with teragen (as local processes: the
// input is not what is under test).
func newTeraJob(t *testing.T, c *Cluster) *teraJob {
	t.Helper()
	if ok, err := HasImage(context.Background(), exampleImage); err != nil || !ok {
		t.Fatalf("the example image %s is missing (%v): run make image", exampleImage, err)
	}
	dir := filepath.Join(c.DataDir(), "tera")
	j := &teraJob{t: t, c: c, dockmr: dockmrBinary(t), in: filepath.Join(dir, "in"), out: filepath.Join(dir, "out")}
	out, err := exec.Command(j.dockmr, "teragen", "--local", "--json", "--maps", fmt.Sprint(teraMaps), teraRows, j.in).Output()
	must.NoError(t, err, must.Sprintf("teragen: %s", out))
	var gen teraSummary
	must.NoError(t, json.Unmarshal(out, &gen), must.Sprint(string(out)))
	must.NotEq(t, "", gen.Checksum)
	j.want = gen.Checksum
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
func (j *teraJob) wait(fault string) teraSummary {
	j.t.Helper()
	// A bound for a job that never ends, not a timing assertion.
	timer := time.AfterFunc(teraTimeout, func() { _ = j.cmd.Process.Kill() })
	err := j.cmd.Wait()
	if !timer.Stop() {
		j.t.Fatalf("dockmr terasort did not end within %s and was killed\nstderr:\n%s\nNomad:\n%s", teraTimeout, j.stderr.String(), nomadState(j.c))
	}
	if err != nil {
		j.t.Fatalf("dockmr terasort: %v\nstdout:\n%s\nstderr:\n%s", err, j.stdout.String(), j.stderr.String())
	}
	j.t.Logf("terasort of %s rows took %.2fs with fault: %s", teraRows, time.Since(j.started).Seconds(), fault)
	var sum teraSummary
	must.NoError(j.t, json.Unmarshal(j.stdout.Bytes(), &sum), must.Sprint(j.stdout.String()))
	must.Len(j.t, 2, sum.Phases)
	j.t.Logf("phases: %+v", sum.Phases)
	return sum
}

// checkOutput makes sure the job wrote the right answer exactly once:
// the checksum is teragen's, the output directory holds _SUCCESS and one
// whole part file per reduce and nothing else (no partial, doubled or
// stray attempt files), and teravalidate finds it sorted with teragen's
// checksum.
func (j *teraJob) checkOutput(sum teraSummary) {
	j.t.Helper()
	t := j.t
	must.Eq(t, j.want, sum.Checksum, must.Sprint("terasort's checksum vs teragen's"))
	entries, err := os.ReadDir(j.out)
	must.NoError(t, err)
	var names []string
	var size int64
	for _, e := range entries {
		if e.Name() == jobs.HistoryDir && e.IsDir() {
			continue
		}
		names = append(names, e.Name())
		info, err := e.Info()
		must.NoError(t, err)
		must.True(t, info.Mode().IsRegular(), must.Sprintf("%s is a regular file", e.Name()))
		if e.Name() != "_SUCCESS" {
			must.Zero(t, info.Size()%100, must.Sprintf("%s holds whole 100-byte records", e.Name()))
			size += info.Size()
		}
	}
	want := []string{"_SUCCESS"}
	for r := range teraReduces {
		want = append(want, fmt.Sprintf("part-r-%05d", r))
	}
	slices.Sort(names)
	must.Eq(t, want, names)
	must.Eq(t, int64(teraRecords*100), size)

	report := filepath.Join(filepath.Dir(j.out), "report")
	out, err := exec.Command(j.dockmr, "teravalidate", "--local", j.out, report).CombinedOutput()
	must.NoError(t, err, must.Sprintf("teravalidate: %s", out))
	must.StrContains(t, string(out), "checksum "+j.want)
}

// nomadState describes the cluster's jobs, their evaluations and their
// allocations, for a job that hangs.
func nomadState(c *Cluster) string {
	var b strings.Builder
	jobList, _, err := c.API.Jobs().List(nil)
	if err != nil {
		return err.Error()
	}
	for _, j := range jobList {
		fmt.Fprintf(&b, "job %s: %s\n", j.ID, j.Status)
		evals, _, _ := c.API.Jobs().Evaluations(j.ID, nil)
		for _, e := range evals {
			fmt.Fprintf(&b, "  eval %.8s %s %s %s", e.ID, e.TriggeredBy, e.Status, e.StatusDescription)
			for tg, m := range e.FailedTGAllocs {
				fmt.Fprintf(&b, " failed %s: %v %v", tg, m.ConstraintFiltered, m.DimensionExhausted)
			}
			b.WriteString("\n")
		}
		allocs, _, _ := c.API.Jobs().Allocations(j.ID, true, nil)
		for _, a := range allocs {
			fmt.Fprintf(&b, "  alloc %.8s %s node %.8s desired %s client %s next %.8s followup %.8s\n",
				a.ID, a.Name, a.NodeID, a.DesiredStatus, a.ClientStatus, a.NextAllocation, a.FollowupEvalID)
		}
	}
	return b.String()
}
