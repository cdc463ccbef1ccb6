package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	dockerimage "github.com/docker/docker/api/types/image"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/e2e/nomadtest"
	"github.com/dockmr/dockmr/e2e/registrytest"
	"github.com/dockmr/dockmr/internal/testimage"
)

// exampleImage is the default image of dockmr's commands, built by
// `make image`.
const exampleImage = "dockmr/examples:dev"

// mrEnv is a Nomad cluster whose driver mounts the task runtime into every
// container and lets tasks mount one data directory, and the dockmr
// binary to run against it as a user would.
type mrEnv struct {
	cluster *nomadtest.Cluster
	bin     string
	data    string
}

// TestMapReduce runs MapReduce jobs through the dockmr command on a Nomad
// cluster, one container per task.
func TestMapReduce(t *testing.T) {
	env := startMR(t)
	t.Run("TeraPipelineMatchesLocal", env.testTeraPipeline)
	t.Run("WordCountInAnotherImage", env.testWordCountImage)
	t.Run("RetryAfterFailure", env.testRetry)
	t.Run("CancelDetached", env.testCancel)
	t.Run("CancelForeground", env.testCancelForeground)
	t.Run("InterruptForeground", env.testInterrupt)
	t.Run("UnknownImage", env.testUnknownImage)
	t.Run("SpecError", env.testSpecError)
}

func startMR(t *testing.T) *mrEnv {
	t.Helper()
	bins, err := nomadtest.FindBinaries()
	must.NoError(t, err)
	binDir := filepath.Dir(bins.Nomad)
	for _, b := range []string{"dockmr", "dockmr-task"} {
		if _, err := os.Stat(filepath.Join(binDir, b)); err != nil {
			t.Fatalf("%s: run `make build` first", err)
		}
	}
	requireImage(t, exampleImage)
	// Tasks run as the image's user, root: the directory is removed as
	// the test's user, who must be able to, so it is not t.TempDir's.
	data, err := os.MkdirTemp("", "dockmr-e2e-mr-")
	must.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(data) })
	c := nomadtest.StartT(t, nomadtest.Options{
		DriverConfig: fmt.Sprintf("allowed_mounts = [%q]\n    task_runtime = %q", data, filepath.Join(binDir, "dockmr-task")),
	})
	return &mrEnv{cluster: c, bin: filepath.Join(binDir, "dockmr"), data: data}
}

func requireImage(t *testing.T, ref string) {
	t.Helper()
	cli, err := testimage.NewClient()
	must.NoError(t, err)
	defer cli.Close()
	if _, err := cli.ImageInspect(t.Context(), ref); err != nil {
		t.Fatalf("image %s: %v: run `make image` first", ref, err)
	}
}

// mrRun is one run of the dockmr command.
type mrRun struct {
	args           []string
	stdout, stderr string
	code           int
}

func (r mrRun) String() string {
	return fmt.Sprintf("dockmr %q exited %d\nstdout:\n%s\nstderr:\n%s", r.args, r.code, r.stdout, r.stderr)
}

// dockmr runs the dockmr binary against the cluster, with the data
// directory as DOCKMR_DATA_DIR.
func (e *mrEnv) dockmr(t *testing.T, args ...string) mrRun {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), e.bin, args...)
	cmd.Env = append(os.Environ(), "NOMAD_ADDR="+e.cluster.Address(), "DOCKMR_DATA_DIR="+e.data)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := mrRun{args: args, stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode()}
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("run dockmr %q: %v", args, err)
	}
	must.StrNotContains(t, r.stderr, "goroutine ", must.Sprint(r))
	return r
}

func (e *mrEnv) ok(t *testing.T, args ...string) mrRun {
	t.Helper()
	r := e.dockmr(t, args...)
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	return r
}

// fails runs dockmr, which must exit 1 with an error line saying want.
func (e *mrEnv) fails(t *testing.T, want string, args ...string) mrRun {
	t.Helper()
	r := e.dockmr(t, args...)
	must.Eq(t, 1, r.code, must.Sprint(r))
	must.StrContains(t, r.stderr, "dockmr: ", must.Sprint(r))
	must.StrContains(t, r.stderr, want, must.Sprint(r))
	return r
}

func (e *mrEnv) path(t *testing.T, name string) string {
	return filepath.Join(e.data, strings.ReplaceAll(t.Name(), "/", "_"), name)
}

// mrSummary is the part of `--json` output the tests read.
type mrSummary struct {
	ID       string `json:"id"`
	Checksum string `json:"checksum"`
	Phases   []struct {
		Phase    string `json:"phase"`
		Tasks    int    `json:"tasks"`
		Attempts int    `json:"attempts"`
		Failed   int    `json:"failed_attempts"`
	} `json:"phases"`
}

// mrStatus is the part of `dockmr status --json` the tests read.
type mrStatus struct {
	ID     string `json:"id"`
	Output string `json:"output"`
	State  string `json:"state"`
	Error  string `json:"error"`
	Phases []struct {
		Phase          string `json:"phase"`
		Running        int    `json:"running"`
		Attempts       int    `json:"attempts"`
		FailedAttempts int    `json:"failed_attempts"`
	} `json:"phases"`
	Result *struct {
		Checksum string `json:"checksum"`
	} `json:"result"`
}

func decodeRun[T any](t *testing.T, r mrRun) T {
	t.Helper()
	var v T
	must.NoError(t, json.Unmarshal([]byte(r.stdout), &v), must.Sprint(r))
	return v
}

// waitStatus polls `dockmr status` until cond holds.
func (e *mrEnv) waitStatus(t *testing.T, id string, cond func(mrStatus) bool) mrStatus {
	t.Helper()
	var st mrStatus
	e.waitFor(t, func() bool {
		st = decodeRun[mrStatus](t, e.ok(t, "status", "--json", id))
		return cond(st)
	})
	return st
}

// waitFor polls cond until it holds, failing the test after minutes: a
// bound for a job that never gets there, not a timing assertion.
func (e *mrEnv) waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("gave up waiting: %v", ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (e *mrEnv) testTeraPipeline(t *testing.T) {
	e.cluster.Watch(t)
	local := e.path(t, "local")
	in, out, report := e.path(t, "in"), e.path(t, "out"), e.path(t, "report")
	want := decodeRun[mrSummary](t, e.ok(t, "teragen", "--local", "--json", "--maps", "2", "20k", local)).Checksum

	gen := decodeRun[mrSummary](t, e.ok(t, "teragen", "--json", "--maps", "3", "20k", in))
	must.Eq(t, want, gen.Checksum, must.Sprint("teragen through containers vs --local"))
	must.Eq(t, 3, gen.Phases[0].Attempts)

	// terasort runs detached: its application master is a Nomad job too.
	id := strings.TrimSpace(e.ok(t, "terasort", "--detach", "--reduces", "2", in, out).stdout)
	must.StrHasPrefix(t, "job_", id)
	st := e.waitStatus(t, id, func(s mrStatus) bool { return s.State != "running" })
	must.Eq(t, "complete", st.State, must.Sprint(st.Error))
	must.NotNil(t, st.Result)
	must.Eq(t, want, st.Result.Checksum, must.Sprint("terasort's checksum"))
	// The job is complete once committed; the application master's last
	// log line reaches Nomad's log file a moment later.
	e.waitFor(t, func() bool { return strings.Contains(e.ok(t, "logs", id).stderr, "committed to "+out) })
	must.StrContains(t, e.ok(t, "list").stdout, id)
	parts, _ := filepath.Glob(filepath.Join(out, "part-r-*"))
	must.Len(t, 2, parts)

	valid := e.ok(t, "teravalidate", out, report)
	must.StrContains(t, valid.stdout, "checksum "+want)
	must.StrContains(t, valid.stderr, "reduce", must.Sprint("the mrSummary shows the phases"))
}

func (e *mrEnv) testWordCountImage(t *testing.T) {
	e.cluster.Watch(t)
	// The mapper is a script only this image has.
	ref := "dockmr/e2e-wordcount:" + fmt.Sprint(time.Now().UnixNano())
	must.NoError(t, testimage.Build(t.Context(), ref, testimage.File{
		Path: "/usr/local/bin/words", Mode: 0o755,
		Data: []byte("#!/bin/sh\ntr -cs 'A-Za-z' '\\n' | tr 'A-Z' 'a-z' | awk 'NF { print $0 \"\\t1\" }'\n"),
	}))
	t.Cleanup(func() { removeImage(ref) })

	input := e.path(t, "input")
	must.NoError(t, os.CopyFS(input, os.DirFS("../examples/wordcount/input")))
	spec := e.path(t, "wordcount.hcl")
	must.NoError(t, os.WriteFile(spec, []byte(fmt.Sprintf(`job "wordcount" {
  image  = %q
  input  = ["input"]
  output = "out"
  map {
    command = "words"
    tasks   = 2
  }
  reduce {
    command = ["awk", "-F", "\t", "$1 != w { if (NR > 1) print w \"\\t\" n; w = $1; n = 0 } { n += $2 } END { if (NR > 0) print w \"\\t\" n }"]
    tasks   = 2
    env     = { LC_ALL = "C" }
  }
}
`, ref)), 0o644))
	e.ok(t, "run", spec)

	var lines []string
	parts, _ := filepath.Glob(filepath.Join(e.path(t, "out"), "part-r-*"))
	for _, p := range parts {
		b, err := os.ReadFile(p)
		must.NoError(t, err)
		lines = append(lines, strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")...)
	}
	slices.Sort(lines)
	expected, err := os.ReadFile("../examples/wordcount/expected.txt")
	must.NoError(t, err)
	must.Eq(t, string(expected), strings.Join(lines, "\n")+"\n")
}

func (e *mrEnv) testRetry(t *testing.T) {
	e.cluster.Watch(t)
	input := e.path(t, "input.txt")
	must.NoError(t, os.MkdirAll(filepath.Dir(input), 0o755))
	must.NoError(t, os.WriteFile(input, []byte("b\na\nc\n"), 0o644))
	marker := e.path(t, "failed-once")
	spec := e.path(t, "retry.hcl")
	// The first attempt leaves a marker and fails; the second passes.
	must.NoError(t, os.WriteFile(spec, []byte(fmt.Sprintf(`job "retry" {
  input  = ["input.txt"]
  output = "out"
  map {
    command = "if [ -e %[1]s ]; then cat; else touch %[1]s; exit 3; fi"
    tasks   = 1
  }
}
`, marker)), 0o644))
	sum := decodeRun[mrSummary](t, e.ok(t, "run", "--json", spec))
	must.Eq(t, 2, sum.Phases[0].Attempts)
	must.Eq(t, 1, sum.Phases[0].Failed)
	b, err := os.ReadFile(filepath.Join(e.path(t, "out"), "part-m-00000"))
	must.NoError(t, err)
	e.ok(t, "logs", sum.ID, "m-00000")
	must.StrContains(t, e.dockmr(t, "logs", sum.ID, "m-00001").stderr, "task m-00001: no attempt has started yet")
	must.Eq(t, "b\na\nc\n", string(b), must.Sprint("a map-only job writes its records in input order"))
}

func (e *mrEnv) testCancel(t *testing.T) {
	e.cluster.Watch(t)
	spec := e.slowSpec(t)
	id := strings.TrimSpace(e.ok(t, "run", "--detach", spec).stdout)
	e.waitStatus(t, id, func(s mrStatus) bool {
		return len(s.Phases) == 2 && s.Phases[1].Running == 2
	})
	must.SliceNotEmpty(t, containersOf(t, id), must.Sprint("containers of running tasks"))

	must.StrContains(t, e.ok(t, "cancel", id).stdout, "cancelled")
	must.SliceEmpty(t, containersOf(t, id), must.Sprint("containers left after cancel"))
	onlyHistory(t, e.path(t, "out"), id, "cancelled")
	must.Eq(t, "cancelled", decodeRun[mrStatus](t, e.ok(t, "status", "--json", id)).State)
}

// slowSpec writes a map-only job of two tasks that sleep until stopped.
func (e *mrEnv) slowSpec(t *testing.T) string {
	t.Helper()
	input := e.path(t, "input.txt")
	must.NoError(t, os.MkdirAll(filepath.Dir(input), 0o755))
	must.NoError(t, os.WriteFile(input, []byte("x\ny\n"), 0o644))
	spec := e.path(t, "slow.hcl")
	must.NoError(t, os.WriteFile(spec, []byte(`job "slow" {
  input  = ["input.txt"]
  output = "out"
  map {
    command = "sleep 600"
    tasks   = 2
  }
}
`), 0o644))
	return spec
}

// followSlowJob starts `dockmr run` on the slow spec, writing to out, and
// returns once both of its map tasks run, with the command, its stderr and
// the job's ID.
func (e *mrEnv) followSlowJob(t *testing.T, out string) (*exec.Cmd, *bytes.Buffer, string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), e.bin, "run", e.slowSpec(t))
	cmd.Env = append(os.Environ(), "NOMAD_ADDR="+e.cluster.Address(), "DOCKMR_DATA_DIR="+e.data)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	must.NoError(t, cmd.Start())

	var id string
	e.waitFor(t, func() bool {
		for _, st := range decodeRun[[]mrStatus](t, e.ok(t, "list", "--json")) {
			if st.Output == out && len(st.Phases) == 1 && st.Phases[0].Running == 2 {
				id = st.ID
			}
		}
		return id != ""
	})
	return cmd, &stderr, id
}

// A job that the command follows ends when it is cancelled elsewhere.
func (e *mrEnv) testCancelForeground(t *testing.T) {
	e.cluster.Watch(t)
	out := e.path(t, "out")
	cmd, stderr, id := e.followSlowJob(t, out)
	e.ok(t, "cancel", id)
	err := cmd.Wait()
	must.Eq(t, 1, cmd.ProcessState.ExitCode(), must.Sprintf("%v: %s", err, stderr.String()))
	must.StrContains(t, stderr.String(), "the Nomad job was stopped")
	must.SliceEmpty(t, containersOf(t, id))
	onlyHistory(t, out, id, "cancelled")
}

// Ctrl-C on a followed job stops its tasks and removes its output.
func (e *mrEnv) testInterrupt(t *testing.T) {
	e.cluster.Watch(t)
	out := e.path(t, "out")
	cmd, stderr, id := e.followSlowJob(t, out)
	must.NoError(t, cmd.Process.Signal(os.Interrupt))
	err := cmd.Wait()
	must.Eq(t, 1, cmd.ProcessState.ExitCode(), must.Sprintf("%v: %s", err, stderr.String()))
	must.StrContains(t, stderr.String(), "interrupted: its tasks were stopped")
	must.SliceEmpty(t, containersOf(t, id))
	onlyHistory(t, out, id, "cancelled")
}

// containersOf lists the running containers of a dockmr job.
func containersOf(t *testing.T, id string) []string {
	t.Helper()
	cli, err := testimage.NewClient()
	must.NoError(t, err)
	defer cli.Close()
	list, err := cli.ContainerList(t.Context(), container.ListOptions{
		Filters: filters.NewArgs(filters.Arg("label", "dockmr_job_id="+id)),
	})
	must.NoError(t, err)
	var names []string
	for _, c := range list {
		names = append(names, c.Names...)
	}
	return names
}

func removeImage(ref string) {
	cli, err := testimage.NewClient()
	if err != nil {
		return
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, _ = cli.ImageRemove(ctx, ref, dockerimage.RemoveOptions{Force: true})
}

func (e *mrEnv) testUnknownImage(t *testing.T) {
	e.cluster.Watch(t)
	// A registry that answers: it does not have the image.
	reg, err := registrytest.Start()
	must.NoError(t, err)
	defer reg.Close()
	ref := reg.Addr() + "/dockmr/no-such-image:never"

	out := e.path(t, "out")
	r := e.fails(t, "pull image \""+ref+"\"", "teragen", "--image", ref, "--maps", "2", "--max-attempts", "4", "100", out)
	must.StrContains(t, r.stderr, "map phase")
	// One attempt of one task, not four of each: the driver's failure is
	// final, and the first one stops the phase.
	all := decodeRun[[]mrStatus](t, e.ok(t, "list", "--json"))
	var st *mrStatus
	for i := range all {
		if strings.Contains(all[i].Error, "no-such-image") {
			st = &all[i]
		}
	}
	must.NotNil(t, st, must.Sprint("the failed job in dockmr list"))
	must.Eq(t, "failed", st.State)
	must.LessEq(t, 2, st.Phases[0].FailedAttempts, must.Sprint(st.Phases))
	must.LessEq(t, 2, st.Phases[0].Attempts, must.Sprint(st.Phases))
	onlyHistory(t, out, st.ID, "failed")
}

// onlyHistory checks that a job that did not commit left its history in
// its output directory, and nothing else.
func onlyHistory(t *testing.T, out, id, state string) {
	t.Helper()
	var names []string
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(out, p)
			names = append(names, rel)
		}
		return nil
	})
	must.Eq(t, []string{filepath.Join("_history", id+".json")}, names, must.Sprint("files left in the output directory"))
	b, err := os.ReadFile(filepath.Join(out, "_history", id+".json"))
	must.NoError(t, err)
	var rec struct {
		State string `json:"state"`
	}
	must.NoError(t, json.Unmarshal(b, &rec))
	must.Eq(t, state, rec.State, must.Sprintf("history %s", b))
}

func (e *mrEnv) testSpecError(t *testing.T) {
	spec := e.path(t, "bad.hcl")
	must.NoError(t, os.MkdirAll(filepath.Dir(spec), 0o755))
	must.NoError(t, os.WriteFile(spec, []byte("job \"bad\" {\n  input  = [\"in\"]\n  output = \"out\"\n  map {\n    tasks = \"many\"\n  }\n}\n"), 0o644))
	e.fails(t, spec+":5:14: Unsuitable value type", "run", spec)
}
