package s3

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/jobs/local"
	"github.com/dockmr/dockmr/storage"
)

// killOnce is a mapper whose first attempt passes its input through, then
// writes about 36 MB more (several 8 MB parts of its upload) and kills its
// task process with SIGKILL; later attempts pass the input through.
const killOnce = `
if [ -e "$MARKER" ]; then exec cat; fi
touch "$MARKER"
cat
yes 'filler line that must never reach the output' | head -n 800000
kill -9 $PPID
sleep 5
`

// pendingRunner runs tasks with a local runner and, when a phase fails,
// counts the pending uploads under the output before the job aborts.
type pendingRunner struct {
	*local.Runner
	s       *storage.S3
	pending int
}

func (r *pendingRunner) RunTasks(ctx context.Context, plan *jobs.Plan, kind jobs.TaskKind) error {
	err := r.Runner.RunTasks(ctx, plan, kind)
	if err != nil {
		p, _ := r.s.Pending(ctx, "")
		r.pending = len(p)
	}
	return err
}

// TestKilledAttemptLeavesNothingVisible: an attempt killed mid-upload
// leaves no part object; with one attempt the job fails and leaves neither
// object nor pending upload, with two the retry's part alone is published.
func TestKilledAttemptLeavesNothingVisible(t *testing.T) {
	_, s := startS3(t)
	var in bytes.Buffer
	for i := range 1000 {
		fmt.Fprintf(&in, "input line %d\n", i)
	}
	if err := s.Put(context.Background(), "lines/in.txt", bytes.NewReader(in.Bytes()), false); err != nil {
		t.Fatal(err)
	}
	job := func(out string, attempts int) jobs.Job {
		return jobs.Job{
			Name: "kill", Input: jobs.Input{Paths: []string{"s3://tera/lines"}, Records: jobs.Lines}, Output: out,
			Map: jobs.Phase{Func: jobs.Stream, Tasks: 1, Command: []string{"sh", "-c", killOnce},
				Env: map[string]string{"MARKER": filepath.Join(t.TempDir(), "marker")}},
			Settings: jobs.Settings{MaxAttempts: attempts},
		}
	}

	plan, err := jobs.NewPlan(job("s3://tera/failed", 1))
	if err != nil {
		t.Fatal(err)
	}
	r := &pendingRunner{Runner: &local.Runner{Command: []string{taskBin}, Log: testLog{t}}, s: s}
	_, err = jobs.Run(context.Background(), r, plan)
	if err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("error %v does not say the attempt was killed", err)
	}
	if r.pending == 0 {
		t.Fatal("the killed attempt had no pending upload; the test needs it killed mid-upload")
	}
	if objs, _ := s.List(context.Background(), "failed/"); len(objs) != 0 {
		t.Errorf("the failed job left objects: %v", objs)
	}
	noPending(t, s, "")

	res := run(t)(jobs.NewPlan(job("s3://tera/out", 2)))
	got, names := readObjects(t, s, "out/")
	if !bytes.Equal(got, in.Bytes()) {
		t.Errorf("output after the retry is %d bytes, want the %d input bytes", len(got), in.Len())
	}
	if strings.Join(names, " ") != "_SUCCESS part-m-00000" {
		t.Errorf("output holds %q", names)
	}
	if res.Map.RecordsOut != 1000 {
		t.Errorf("map wrote %d records, want 1000", res.Map.RecordsOut)
	}
	noPending(t, s, "")
}
