package local_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/jobs/local"
)

// linesInput writes a small text input and returns its directory and bytes.
func linesInput(t *testing.T) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	for i := range 1000 {
		fmt.Fprintf(&b, "input line %d\n", i)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, b.Bytes()
}

// killOnce is a mapper whose first attempt passes its input through, then
// writes 8 MB more (twice the output buffer, so that the attempt's part
// file has data on disk) and kills its task process with SIGKILL; later
// attempts pass the input through.
const killOnce = `
if [ -e "$MARKER" ]; then exec cat; fi
touch "$MARKER"
cat
yes 'filler line that must never reach the output' | head -n 200000
kill -9 $PPID
sleep 5
`

// inspectingRunner runs tasks with a local runner and, when a phase fails,
// records the sizes of the files that attempts left in the staging
// directory before the job aborts.
type inspectingRunner struct {
	*local.Runner
	left map[string]int64
}

func (r *inspectingRunner) RunTasks(ctx context.Context, plan *jobs.Plan, kind jobs.TaskKind) error {
	err := r.Runner.RunTasks(ctx, plan, kind)
	if err != nil {
		r.left = map[string]int64{}
		_ = filepath.WalkDir(filepath.Join(plan.StagingDir(), "attempts"), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if info, err := d.Info(); err == nil {
					r.left[filepath.Base(p)] = info.Size()
				}
			}
			return nil
		})
	}
	return err
}

func TestKilledAttemptLeavesNoOutputAndRetryCommits(t *testing.T) {
	in, want := linesInput(t)
	job := func(out string, attempts int) jobs.Job {
		return jobs.Job{
			Name:     "kill",
			Input:    jobs.Input{Paths: []string{in}, Records: jobs.Lines},
			Output:   out,
			Map:      jobs.Phase{Func: jobs.Stream, Tasks: 1, Command: []string{"sh", "-c", killOnce}, Env: map[string]string{"MARKER": filepath.Join(t.TempDir(), "marker")}},
			Settings: jobs.Settings{MaxAttempts: attempts},
		}
	}

	// One attempt: it is killed mid-write and the job fails without output.
	out := filepath.Join(t.TempDir(), "out")
	plan, err := jobs.NewPlan(job(out, 1))
	if err != nil {
		t.Fatal(err)
	}
	r := &inspectingRunner{Runner: &local.Runner{Command: []string{taskBin}, Log: testLog{t}}}
	_, err = jobs.Run(context.Background(), r, plan)
	if err == nil || !strings.Contains(err.Error(), "m-00000 attempt") || !strings.Contains(err.Error(), "killed by signal killed") {
		t.Fatalf("error %v does not say the attempt was killed", err)
	}
	if r.left["part-m-00000"] < 4<<20 {
		t.Fatalf("the killed attempt had written %d bytes of its part file; the test needs it killed mid-write", r.left["part-m-00000"])
	}
	if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the killed job left its output directory: %v", err)
	}

	// Two attempts: the first is killed, the retry commits the right bytes.
	out = filepath.Join(t.TempDir(), "out")
	res, err := runJob(t, job(out, 2))
	if err != nil {
		t.Fatal(err)
	}
	if got := readParts(t, out); !bytes.Equal(got, want) {
		t.Errorf("output after the retry is %d bytes, want the %d input bytes", len(got), len(want))
	}
	if got := listDir(t, out); strings.Join(got, " ") != "_SUCCESS part-m-00000" {
		t.Errorf("output holds %q", got)
	}
	if res.Map.RecordsOut != 1000 {
		t.Errorf("map wrote %d records, want 1000", res.Map.RecordsOut)
	}
}

func TestFailingCommandsAreExplained(t *testing.T) {
	in, _ := linesInput(t)
	for _, tc := range []struct {
		name    string
		command []string
		want    string
	}{
		{"not found", []string{"no-such-command-anywhere"}, `: mapper "no-such-command-anywhere" cannot start: executable file not found in $PATH`},
		{"fails", []string{"sh", "-c", "echo 'cannot parse line 3' >&2; exit 9"}, "exit status 9: cannot parse line 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			_, err := runJob(t, jobs.Job{
				Name:   "fail",
				Input:  jobs.Input{Paths: []string{in}, Records: jobs.Lines},
				Output: out,
				Map:    jobs.Phase{Func: jobs.Stream, Tasks: 2, Command: tc.command},
				Reduce: &jobs.Phase{Func: jobs.Identity, Tasks: 1},
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v does not say %q", err, tc.want)
			}
			if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the failed job left its output directory: %v", err)
			}
		})
	}
}

// Cancelling a job kills its task processes and the commands they run,
// and leaves no output.
func TestCancelKillsTasks(t *testing.T) {
	in, _ := linesInput(t)
	pidFile := filepath.Join(t.TempDir(), "pid")
	out := filepath.Join(t.TempDir(), "out")
	plan, err := jobs.NewPlan(jobs.Job{
		Name:   "cancel",
		Input:  jobs.Input{Paths: []string{in}, Records: jobs.Lines},
		Output: out,
		Map:    jobs.Phase{Func: jobs.Stream, Tasks: 1, Command: []string{"sh", "-c", `echo $$ > "$PIDFILE.tmp" && mv "$PIDFILE.tmp" "$PIDFILE" && exec sleep 600`}, Env: map[string]string{"PIDFILE": pidFile}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := jobs.Run(ctx, &local.Runner{Command: []string{taskBin}}, plan)
		done <- err
	}()
	pid := waitForPID(t, pidFile, done)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled job returned %v, want context.Canceled", err)
	}
	// SIGKILL is delivered asynchronously: give the kernel time to end the
	// mapper, however loaded the machine.
	for deadline := time.Now().Add(30 * time.Second); alive(pid); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Errorf("the mapper (pid %d) outlived its cancelled job", pid)
			_ = syscall.Kill(pid, syscall.SIGKILL) // the failure is reported; this only cleans up
			break
		}
	}
	if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the cancelled job left its output directory: %v", err)
	}
}

// waitForPID waits for the mapper to write its pid, or the job to end.
func waitForPID(t *testing.T, path string, done <-chan error) int {
	t.Helper()
	for {
		select {
		case err := <-done:
			t.Fatalf("job ended before its mapper started: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
		if b, err := os.ReadFile(path); err == nil {
			var pid int
			if _, err := fmt.Sscan(string(b), &pid); err != nil {
				t.Fatal(err)
			}
			return pid
		}
	}
}

// alive reports whether a process runs; a zombie awaiting its reaper is
// dead.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}
