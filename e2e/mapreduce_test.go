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
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	dockerimage "github.com/docker/docker/api/types/image"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/e2e/nomadtest"
	"github.com/dockmr/dockmr/e2e/registrytest"
	"github.com/dockmr/dockmr/internal/browsertest"
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
	t.Run("FailedTaskStderrTail", env.testStderrTail)
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
	// Tasks run as nobody, who must be able to reach and write the
	// directory, so it is not under t.TempDir's, which is closed to
	// other users; the test's user removes what they wrote.
	data, err := os.MkdirTemp("", "dockmr-e2e-mr-")
	must.NoError(t, err)
	must.NoError(t, os.Chmod(data, 0o777|os.ModeSticky))
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

// path returns a path in the test's own directory, which it creates open
// to every user: tasks, application masters included, run as nobody and
// write there (their output directories, the retry test's marker).
func (e *mrEnv) path(t *testing.T, name string) string {
	dir := filepath.Join(e.data, strings.ReplaceAll(t.Name(), "/", "_"))
	must.NoError(t, os.MkdirAll(dir, 0o755))
	must.NoError(t, os.Chmod(dir, 0o777|os.ModeSticky))
	return filepath.Join(dir, name)
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

	// teragen's history, written by the command, and terasort's, by the
	// application master, found through Nomad by the job's ID.
	// As many attempts as Nomad counted: a saturated Docker daemon may
	// fail one.
	genHist := e.checkHistory(t, gen.ID, gen.Phases[0].Attempts)
	must.Eq(t, want, genHist.Checksum)
	sortAttempts := 0
	for _, ph := range e.waitStatus(t, id, func(mrStatus) bool { return true }).Phases {
		if ph.Phase != "am" {
			sortAttempts += ph.Attempts
		}
	}
	must.GreaterEq(t, 3+2, sortAttempts)
	sortHist := e.checkHistory(t, id, sortAttempts)
	must.Eq(t, want, sortHist.Checksum, must.Sprint("terasort's checksum in its history"))
	var mapOut uint64
	for _, a := range sortHist.Attempts {
		if a.Phase == "map" {
			mapOut += a.Counters.BytesOut
		}
	}
	must.Positive(t, sortHist.Counters.ShuffleBytes)
	must.Eq(t, mapOut, sortHist.Counters.ShuffleBytes, must.Sprint("the reduces read every byte the maps wrote"))

	// status shows the same counters, per task and for the job.
	var st2 struct {
		Counters mrCounters `json:"counters"`
		Tasks    []struct {
			Name     string      `json:"name"`
			State    string      `json:"state"`
			Attempts int         `json:"attempts"`
			Counters *mrCounters `json:"counters"`
		} `json:"tasks"`
	}
	must.NoError(t, json.Unmarshal([]byte(e.ok(t, "status", "--json", id).stdout), &st2))
	must.Eq(t, sortHist.Counters, st2.Counters)
	must.SliceLen(t, 5, st2.Tasks)
	for _, task := range st2.Tasks {
		must.Eq(t, "done", task.State, must.Sprint(task.Name))
		must.NotNil(t, task.Counters, must.Sprint(task.Name))
	}
}

// mrCounters are a task's or a job's counters.
type mrCounters struct {
	RecordsIn    uint64 `json:"records_in"`
	BytesIn      uint64 `json:"bytes_in"`
	RecordsOut   uint64 `json:"records_out"`
	BytesOut     uint64 `json:"bytes_out"`
	Spills       uint64 `json:"spills"`
	ShuffleBytes uint64 `json:"shuffle_bytes"`
	Checksum     string `json:"checksum"`
}

func (c *mrCounters) add(o mrCounters) {
	c.RecordsIn += o.RecordsIn
	c.BytesIn += o.BytesIn
	c.RecordsOut += o.RecordsOut
	c.BytesOut += o.BytesOut
	c.Spills += o.Spills
	c.ShuffleBytes += o.ShuffleBytes
}

// mrHistory is the part of `dockmr history --json` the tests read.
type mrHistory struct {
	ID       string      `json:"id"`
	State    string      `json:"state"`
	Checksum string      `json:"checksum"`
	Counters mrCounters  `json:"counters"`
	Attempts []mrAttempt `json:"attempts"`
}

// mrAttempt is one attempt in a history.
type mrAttempt struct {
	Phase    string      `json:"phase"`
	Task     int         `json:"task"`
	Number   int         `json:"attempt"`
	ID       string      `json:"id"`
	Node     string      `json:"node"`
	NodeID   string      `json:"node_id"`
	State    string      `json:"state"`
	ExitCode int         `json:"exit_code"`
	Failure  string      `json:"failure"`
	Stderr   string      `json:"stderr_tail"`
	Queued   time.Time   `json:"queued"`
	Started  time.Time   `json:"started"`
	Finished time.Time   `json:"finished"`
	Counters *mrCounters `json:"counters"`
}

// checkHistory reads the history of a job that ran attempts attempts on
// the cluster's node and checks what every history must hold: the job's
// counters add up its committed attempts', every attempt has its
// allocation, node and times, `dockmr history` prints a row per attempt
// and its page, rendered in a real browser, a bar per attempt.
func (e *mrEnv) checkHistory(t *testing.T, id string, attempts int) mrHistory {
	t.Helper()
	h := decodeRun[mrHistory](t, e.ok(t, "history", "--json", id))
	must.Eq(t, id, h.ID)
	must.SliceLen(t, attempts, h.Attempts)
	var sum mrCounters
	for _, a := range h.Attempts {
		must.UUIDv4(t, a.ID, must.Sprint("an attempt is an allocation"))
		must.Eq(t, e.cluster.NodeID, a.NodeID)
		must.NotEq(t, "", a.Node)
		must.False(t, a.Queued.IsZero(), must.Sprintf("attempt %s has no placement time", a.ID))
		must.False(t, a.Finished.Before(a.Queued), must.Sprintf("attempt %s ends before it is placed", a.ID))
		if a.State == "committed" {
			must.False(t, a.Started.Before(a.Queued) || a.Finished.Before(a.Started),
				must.Sprintf("attempt %s: placed %s, started %s, ended %s", a.ID, a.Queued, a.Started, a.Finished))
			must.NotNil(t, a.Counters)
			sum.add(*a.Counters)
		}
	}
	sum.Checksum = h.Counters.Checksum
	must.Eq(t, sum, h.Counters, must.Sprint("the job's counters add up its tasks'"))

	table := e.ok(t, "history", id).stdout
	rows := regexp.MustCompile(`(?m)^(map|reduce) +[mr]-\d{5} +\d+ `).FindAllString(table, -1)
	must.SliceLen(t, attempts, rows, must.Sprint(table))

	page := filepath.Join(t.TempDir(), id+".html")
	e.ok(t, "history", "--html", page, id)
	browsertest.Require(t)
	dom := browsertest.DumpDOM(t, page)
	must.Eq(t, attempts, len(barElement.FindAllString(dom, -1)), must.Sprint("bars in the rendered page"))
	png := filepath.Join(t.TempDir(), id+".png")
	browsertest.Screenshot(t, page, png, 1400, 800)
	return h
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

// writeRetryJob writes the input and the spec of a streaming job whose
// only map task fails on its first attempt (exit 3, leaving a marker) and
// passes on the next, and returns the spec's path.
func (e *mrEnv) writeRetryJob(t *testing.T, input string) string {
	t.Helper()
	in := e.path(t, "input.txt")
	must.NoError(t, os.MkdirAll(filepath.Dir(in), 0o755))
	must.NoError(t, os.WriteFile(in, []byte(input), 0o644))
	marker := e.path(t, "failed-once")
	spec := e.path(t, "retry.hcl")
	must.NoError(t, os.WriteFile(spec, []byte(fmt.Sprintf(`job "retry" {
  input  = ["input.txt"]
  output = "out"
  map {
    command = "if [ -e %[1]s ]; then cat; else touch %[1]s; exit 3; fi"
    tasks   = 1
  }
}
`, marker)), 0o644))
	return spec
}

func (e *mrEnv) testRetry(t *testing.T) {
	e.cluster.Watch(t)
	spec := e.writeRetryJob(t, "b\na\nc\n")
	sum := decodeRun[mrSummary](t, e.ok(t, "run", "--json", spec))
	must.Eq(t, 2, sum.Phases[0].Attempts)
	must.Eq(t, 1, sum.Phases[0].Failed)
	b, err := os.ReadFile(filepath.Join(e.path(t, "out"), "part-m-00000"))
	must.NoError(t, err)
	e.ok(t, "logs", sum.ID, "m-00000")
	must.StrContains(t, e.dockmr(t, "logs", sum.ID, "m-00001").stderr, "task m-00001: no attempt has started yet")
	must.Eq(t, "b\na\nc\n", string(b), must.Sprint("a map-only job writes its records in input order"))

	// The history keeps the failed attempt, and its page marks it.
	h := e.checkHistory(t, sum.ID, sum.Phases[0].Attempts)
	// The mapper exited 3; the task runtime, its container, 1.
	exited := slices.IndexFunc(h.Attempts, func(a mrAttempt) bool { return a.State == "failed" && a.ExitCode == 1 })
	must.NonNegative(t, exited, must.Sprintf("no attempt failed with exit code 1: %+v", h.Attempts))
	failed, retry := h.Attempts[exited], h.Attempts[len(h.Attempts)-1]
	must.StrContains(t, failed.Failure, "exit code 1")
	must.Nil(t, failed.Counters)
	must.Eq(t, "committed", retry.State)
	must.Eq(t, len(h.Attempts), retry.Number)
	must.Eq(t, uint64(3), retry.Counters.RecordsOut)
	page := filepath.Join(t.TempDir(), "retry.html")
	e.ok(t, "history", "--html", page, e.path(t, "out"))
	must.StrContains(t, browsertest.DumpDOM(t, page), fmt.Sprintf(`class="bar map failed" data-attempt="m-00000.%d"`, failed.Number))
	e.fails(t, "for a --local job, or one Nomad has forgotten, pass its output directory", "history", "job_20200101000000_00000000")
}

// A streaming mapper that prints a traceback and exits 1, on every
// attempt: the job's error, its history and `dockmr logs OUTDIR` keep the
// traceback's lines.
func (e *mrEnv) testStderrTail(t *testing.T) {
	e.cluster.Watch(t)
	in := e.path(t, "input.txt")
	must.NoError(t, os.WriteFile(in, []byte("one\n"), 0o644))
	traceback := []string{
		"Traceback (most recent call last):",
		`  File "mapper.py", line 3, in <module>`,
		"    parse(line)",
		"ValueError: bad record 'one'",
	}
	quoted := make([]string, len(traceback))
	for i, l := range traceback {
		quoted[i] = "'" + strings.ReplaceAll(l, "'", `'\''`) + "'"
	}
	command := "printf '%s\\n' " + strings.Join(quoted, " ") + " >&2; exit 1"
	spec := e.path(t, "traceback.hcl")
	must.NoError(t, os.WriteFile(spec, []byte(fmt.Sprintf(`job "traceback" {
  input  = ["input.txt"]
  output = "out"
  map {
    command = %s
    tasks   = 1
  }
}
`, strconv.Quote(command))), 0o644))

	r := e.fails(t, "ValueError: bad record 'one'", "run", spec, "--max-attempts", "2")
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	must.StrHasPrefix(t, "dockmr: ", lines[len(lines)-1], must.Sprint(r))
	must.StrContains(t, strings.Join(lines[:len(lines)-1], "\n"),
		"the failed task's stderr ends with:\n    "+strings.Join(traceback, "\n    "), must.Sprint(r))

	h := decodeRun[mrHistory](t, e.ok(t, "history", "--json", e.path(t, "out")))
	must.SliceLen(t, 2, h.Attempts, must.Sprintf("attempts %+v", h.Attempts))
	for _, a := range h.Attempts {
		must.Eq(t, "failed", a.State)
		must.StrContains(t, a.Stderr, strings.Join(traceback, "\n"), must.Sprintf("attempt %d", a.Number))
	}
	logs := e.ok(t, "logs", e.path(t, "out"), "m-00000")
	must.Eq(t, 2, strings.Count(logs.stderr, "\n    "+traceback[3]+"\n"), must.Sprint(logs))
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
	must.NoError(t, filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(out, p)
			names = append(names, rel)
		}
		return nil
	}))
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

// barElement finds the bars of a history page: elements with a
// data-attempt attribute.
var barElement = regexp.MustCompile(`<[a-z]+ [^>]*\bdata-attempt="`)
